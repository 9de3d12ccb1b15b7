import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { allocate, channelData, nextData, permit, sendIndication, type StunClient } from '../server/turn-client.ts';
import { allocated, cleanUp, client, credential, relayProcess, type Allocated } from '../server/turn-fixture.ts';
import type { Bench } from './lib/context.ts';
import { compared } from './lib/report.ts';
import { median, percentile, round2 } from './lib/stats.ts';

// The teacher's relay while one hostile laptop (127.0.2.1) holds every allocation and TCP connection its
// address may have and floods sends the relay must refuse: how long an honest laptop (127.0.0.1) takes to
// set up a relayed link (two allocations, permissions, one datagram through), against the same figure with
// the relay idle, and the relay's RSS (alone in a child process). Loopback only.

const HOSTILE = '127.0.2.1';
const HONEST = '127.0.0.1';
/** Allocations the hostile laptop tries (its cap is 512 per address): the rest are refused. */
const HOSTILE_ALLOCATIONS = 540;
const HOSTILE_TCP_CONNECTIONS = 300;
const BATCH = 50;
const FLOOD_PER_SECOND = 20_000;
const FLOOD_TICK_MS = 10;

const rssMB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** Two allocations, each permitting the other, one datagram relayed: what a relayed link needs first. */
async function honestLink(port: number): Promise<number> {
  const started = performance.now();
  const [a, b] = await Promise.all([allocated('udp', port, credential(), HONEST), allocated('udp', port, credential(), HONEST)]);
  await Promise.all([permit(a.client, a.session, b.relayed), permit(b.client, b.session, a.relayed)]);
  const atB = nextData(b.client);
  a.client.send(sendIndication(b.relayed, Buffer.from('hello')));
  await atB;
  return performance.now() - started;
}

async function honestLinks(port: number, rounds: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) ms.push(await honestLink(port));
  return ms;
}

/** The hostile laptop's allocations, as many as it may hold; returns them (the refused ones are dropped). */
async function hostileAllocations(port: number): Promise<Allocated[]> {
  const held: Allocated[] = [];
  const auths = [credential(), credential(), credential()];
  for (let start = 0; start < HOSTILE_ALLOCATIONS; start += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, HOSTILE_ALLOCATIONS - start) }, async (_, i) => {
      const made = await client('udp', port, HOSTILE);
      const outcome = await allocate(made, auths[(start + i) % auths.length]!);
      if (outcome.ok) held.push({ client: made, session: outcome.session, relayed: outcome.relayed });
    }));
  }
  return held;
}

/** TCP connections that never allocate, reopened as the relay closes them. */
function holdTcpConnections(port: number): () => void {
  let stopped = false;
  const sockets = new Set<Socket>();
  const open = () => {
    if (stopped) return;
    const socket = connect({ port, host: HONEST, localAddress: HOSTILE });
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => { sockets.delete(socket); setTimeout(open, 100); });
  };
  for (let i = 0; i < HOSTILE_TCP_CONNECTIONS; i++) open();
  return () => { stopped = true; for (const socket of sockets) socket.destroy(); };
}

/** Sends the relay must refuse, at FLOOD_PER_SECOND (about what one laptop's Wi-Fi carries in small frames). */
function flood(from: StunClient): { stop(): number } {
  let sent = 0;
  const frames = [
    sendIndication({ address: '10.0.0.1', port: 0 }, Buffer.alloc(100)), sendIndication({ address: '::1', port: 9 }, Buffer.alloc(100)),
    sendIndication({ address: HONEST, port: 22 }, Buffer.alloc(100)), channelData(0x4000, Buffer.alloc(100)), Buffer.alloc(3),
  ];
  const perTick = FLOOD_PER_SECOND / (1000 / FLOOD_TICK_MS);
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) from.send(frames[(sent + i) % frames.length]!);
    sent += perTick;
  }, FLOOD_TICK_MS);
  return { stop: () => { clearInterval(timer); return sent; } };
}

export const relayAbuseBench: Bench = {
  name: 'relay-abuse',
  async run(ctx) {
    const rounds = ctx.quick ? 10 : 30;
    const relay = await relayProcess();
    const stops: (() => unknown)[] = [];
    try {
      const idleRss = rssMB(relay.pid);
      const idle = await honestLinks(relay.port, rounds);
      ctx.baselines.set('relay-abuse:idle-link-ms', median(idle));
      const held = await hostileAllocations(relay.port);
      stops.push(holdTcpConnections(relay.port));
      const flooding = flood(held[0]!.client);
      stops.push(() => flooding.stop());
      const started = performance.now();
      const attacked = await honestLinks(relay.port, rounds);
      const floodPerSecond = flooding.stop() / ((performance.now() - started) / 1000);
      const attackedRss = rssMB(relay.pid);
      ctx.log(`relay-abuse: hostile holds ${held.length} allocations; ${Math.round(floodPerSecond)} refused frames/s sent`);
      ctx.emit(compared(ctx.baselines, 'relay-abuse:idle-link-ms', {
        bench: 'relay-abuse',
        config: { hostileAllocations: held.length, hostileTcp: HOSTILE_TCP_CONNECTIONS, floodPerSecond: FLOOD_PER_SECOND, rounds },
        value: {
          attackedLinkMedianMs: round2(median(attacked)), attackedLinkP90Ms: round2(percentile(attacked, 90)),
          idleLinkMedianMs: round2(median(idle)), floodFramesPerSecond: Math.round(floodPerSecond),
          relayIdleRssMB: round2(idleRss), relayAttackedRssMB: round2(attackedRss),
        },
        runs: attacked.map(round2),
      }));
      if (relay.exit() !== null) throw new Error(`the relay exited: ${relay.exit()}`);
    } finally {
      for (const stop of stops) stop();
      await cleanUp();
    }
  },
};
