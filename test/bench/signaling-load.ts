import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createManifest } from '../../shared/manifest.ts';
import { newSwarmId } from '../../shared/ids.ts';
import { hasRedis, startRedis } from '../helpers/redis-server.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import type { UsageReply } from './signaling-load-server.ts';
import type { ClientCommand, ClientReply } from './signaling-load-clients.ts';
import { closeAll, connectMember, type LoadClient } from './lib/signal-clients.ts';
import { percentile, round2 } from './lib/stats.ts';
import { compared } from './lib/report.ts';

// Signaling server at load: ws clients (no browsers) in swarms of 1×1,000 + 133×30 + 1×10 per 5,000 sockets
// against the real createSignalingServer in child processes (their RSS and CPU alone), the clients in one child
// process per server (a process here may hold 20,000 descriptors at most). Announcement fan-out latency to every
// member of a 1,000-member and a 30-member swarm, from this process's send to each member's arrival.
// Same run: the in-memory default (5,000 sockets, one process), then Redis with one process (5,000) and with four
// (20,000 sockets; every swarm's members spread over the four, round-robin).

const GOAL_P99_MS = 100;
const GOAL_RSS_MB = 300;
const FANOUT_TIMEOUT_MS = 15_000;
const wallClock = (): number => performance.timeOrigin + performance.now();

interface Child<Reply> { ready: unknown; send(message: unknown): Promise<Reply>; stop(): Promise<void> }
interface ServerChild { wsUrl: string; usage(): Promise<UsageReply>; stop(): Promise<void> }
interface Setup { label: string; processes: number; redisUrl: string | null }

/** A child that says it is ready (its first message), then answers each command once, in order. */
async function forkChild<Reply>(ctx: BenchContext, file: string, env: Record<string, string> = {}): Promise<Child<Reply>> {
  const child: ChildProcess = fork(join(ctx.repoRoot, 'test', 'bench', file), [], {
    execArgv: process.execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending: ((reply: Reply) => void)[] = [];
  const ready = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited (${code})`)));
  });
  child.on('message', (m) => pending.shift()?.(m as Reply));
  return {
    ready,
    send: (message) => new Promise<Reply>((resolve) => { pending.push(resolve); child.send(message as object); }),
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.send('stop'); }),
  };
}

async function startServer(ctx: BenchContext, redisUrl: string | null): Promise<ServerChild> {
  const child = await forkChild<UsageReply>(ctx, 'signaling-load-server.ts', redisUrl ? { REDIS_URL: redisUrl } : {});
  return { wsUrl: `ws://127.0.0.1:${(child.ready as { port: number }).port}/ws`, usage: () => child.send('usage'), stop: child.stop };
}

const swarmSizes = (copies: number): number[] =>
  [...Array<number>(copies).fill(1000), ...Array<number>(133 * copies).fill(30), ...Array<number>(copies).fill(10)];

/** One announce from `announcer`; each other member's latency (ms), measured where it arrived. */
async function announceOnce(workers: Child<ClientReply>[], announcer: LoadClient, swarmId: string, round: number): Promise<number[]> {
  const blob = new Blob([randomBytes(1024), String(round)], { type: 'application/octet-stream' });
  const { fileId, manifest } = await createManifest(blob, { name: `bench-${round}.bin` });
  await Promise.all(workers.map((w) => w.send({ type: 'expect', fileId, swarmId } satisfies ClientCommand)));
  const sentAt = wallClock();
  announcer.send({ type: 'announce', swarmId, fileId, manifest });
  const replies = await Promise.all(workers.map((w) => w.send({ type: 'collect', fileId, timeoutMs: FANOUT_TIMEOUT_MS } satisfies ClientCommand)));
  return replies.flatMap((r) => (r.type === 'arrivals' ? r.times.map((t) => t - sentAt) : []));
}

async function fanout(ctx: BenchContext, setup: Setup, workers: Child<ClientReply>[], servers: ServerChild[], swarm: [string, number], announcer: LoadClient): Promise<void> {
  const rounds = ctx.quick ? 5 : 20;
  const before = await Promise.all(servers.map((s) => s.usage()));
  const started = performance.now();
  const latencies: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const got = await announceOnce(workers, announcer, swarm[0], round);
    if (got.length < swarm[1] - 1) ctx.log(`fan-out round ${round}: ${got.length}/${swarm[1] - 1} arrived`);
    latencies.push(...got);
  }
  const after = await Promise.all(servers.map((s) => s.usage()));
  const cpuMs = after.reduce((sum, u, i) => sum + (u.cpuMicros - before[i]!.cpuMicros) / 1000, 0);
  ctx.emit(compared(ctx.baselines, 'goal:fanout-p99-ms', {
    bench: 'signaling-fanout', config: { setup: setup.label, processes: setup.processes, members: swarm[1], rounds, sequential: true },
    value: {
      p99Ms: round2(percentile(latencies, 99)), p50Ms: round2(percentile(latencies, 50)), maxMs: round2(Math.max(...latencies)),
      delivered: latencies.length, serverCpuPct: round2((cpuMs / (performance.now() - started)) * 100),
    },
  }));
}

/** Member j of every swarm connects to server j mod N (through that server's client worker); the announcer of
 * the two fan-out swarms is member 0, a socket of this process on server 0. */
function assignments(sizes: [string, number][], n: number, announced: Set<string>): [string, number][][] {
  const perWorker = Array.from({ length: n }, () => [] as [string, number][]);
  for (const [swarmId, size] of sizes) {
    const first = announced.has(swarmId) ? 1 : 0;
    for (let w = 0; w < n; w++) {
      const count = Math.floor((size - first - w + n - 1) / n);
      if (count > 0) perWorker[(w + first) % n]!.push([swarmId, count]);
    }
  }
  return perWorker;
}

async function measure(ctx: BenchContext, setup: Setup): Promise<void> {
  const servers = await Promise.all(Array.from({ length: setup.processes }, () => startServer(ctx, setup.redisUrl)));
  const workers = await Promise.all(servers.map(() => forkChild<ClientReply>(ctx, 'signaling-load-clients.ts')));
  const announcers: LoadClient[] = [];
  try {
    const idle = await Promise.all(servers.map((s) => s.usage()));
    const sizes = swarmSizes(setup.processes).map((size) => [newSwarmId(), size] as [string, number]);
    const fanoutSwarms = [sizes[0]!, sizes.find(([, size]) => size === 30)!];
    const started = performance.now();
    const perWorker = assignments(sizes, setup.processes, new Set(fanoutSwarms.map(([id]) => id)));
    for (const [swarmId] of fanoutSwarms) announcers.push(await connectMember(servers[0]!.wsUrl, swarmId));
    await Promise.all(workers.map((w, i) => w.send({ type: 'connect', wsUrl: servers[i]!.wsUrl, swarms: perWorker[i]! } satisfies ClientCommand)));
    const ms = performance.now() - started;
    const connected = await Promise.all(servers.map((s) => s.usage()));
    const total = sizes.reduce((sum, [, size]) => sum + size, 0);
    ctx.log(`signaling-load (${setup.label} × ${setup.processes}): ${total} clients joined in ${Math.round(ms)} ms`);
    for (const [i, swarm] of fanoutSwarms.entries()) await fanout(ctx, setup, workers, servers, swarm, announcers[i]!);
    const rss = connected.map((u) => u.rssBytes / 1e6);
    const perProcessMB = round2(Math.max(...rss));
    if (setup.redisUrl === null) ctx.baselines.set('signaling:memory-rss-mb', perProcessMB);
    ctx.emit(compared(ctx.baselines, setup.redisUrl === null ? 'goal:server-rss-mb' : 'signaling:memory-rss-mb', {
      bench: 'signaling-load',
      config: { setup: setup.label, processes: setup.processes, connections: total, perProcess: total / setup.processes },
      value: {
        serverRssMB: perProcessMB, totalRssMB: round2(rss.reduce((a, b) => a + b, 0)),
        idleRssMB: round2(Math.max(...idle.map((u) => u.rssBytes / 1e6))), connectSeconds: round2(ms / 1000),
      },
    }));
  } finally {
    await closeAll(announcers);
    await Promise.all([...workers, ...servers].map((c) => c.stop()));
  }
}

export const signalingLoadBench: Bench = {
  name: 'signaling-load',
  async run(ctx) {
    ctx.baselines.set('goal:fanout-p99-ms', GOAL_P99_MS);
    ctx.baselines.set('goal:server-rss-mb', GOAL_RSS_MB);
    await measure(ctx, { label: 'memory', processes: 1, redisUrl: null });
    if (!hasRedis) return ctx.log('signaling-load: no /usr/bin/redis-server, Redis setups skipped');
    const redis = await startRedis();
    try {
      await measure(ctx, { label: 'redis', processes: 1, redisUrl: redis.url });
      await measure(ctx, { label: 'redis', processes: 4, redisUrl: redis.url });
    } finally {
      await redis.stop();
    }
  },
};
