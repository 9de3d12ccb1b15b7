import { newSwarmId } from '../../shared/ids.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { budgetFiller, codeGuesser, maximalAnnounces, nonReader, preHelloFlooder, type Abuser } from './lib/abusers.ts';
import { compared } from './lib/report.ts';
import { startServerChild, type ServerChild } from './lib/server-child.ts';
import { closeAll, connectMember } from './lib/signal-clients.ts';
import { percentile, round2 } from './lib/stats.ts';

// The server as `npm start` runs it (production limits, in its own process) under the worst attacks of issue 12 at
// once: 120 sockets flooding full-size frames without hello, sockets filling every manifest budget, sockets that
// stop reading, share-code guessers reconnecting from several addresses. Meanwhile a legitimate tab keeps joining
// (connect + hello + join, timed until `joined`) and the page's server keeps answering GET /healthz. Both are
// compared with the same measurements taken just before the attack, in the same run.

const FLOODERS = 120;
const FLOOD_ADDRESSES = 8; // 15 sockets each: under the per-address cap, as an attacker with 8 addresses would
const BUDGET_SOCKETS = 4;
const NON_READERS = 16;
const GUESS_ADDRESSES = 8;

interface Sample { joinMs: number | null; healthzMs: number }

let samples = 0;

/** One GET /healthz and one join by a fresh tab on its own laptop (closed afterwards, as a tab that joined and left). */
async function sample(server: ServerChild): Promise<Sample> {
  const laptop = `127.0.6.${(samples++ % 250) + 1}`;
  const t0 = performance.now();
  const healthz = await fetch(`${server.httpUrl}/healthz`).then((r) => r.text()).then(() => performance.now() - t0);
  const t1 = performance.now();
  const member = await connectMember(server.wsUrl, newSwarmId(), 10_000, laptop).catch(() => null);
  const joinMs = member ? performance.now() - t1 : null;
  if (member) await closeAll([member]);
  return { joinMs, healthzMs: healthz };
}

async function sampleFor(server: ServerChild, ms: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const end = performance.now() + ms; performance.now() < end;) {
    samples.push(await sample(server));
    await new Promise((r) => setTimeout(r, 200));
  }
  return samples;
}

function summary(samples: Sample[]): Record<string, number> {
  const joins = samples.flatMap((s) => (s.joinMs === null ? [] : [s.joinMs]));
  const healthz = samples.map((s) => s.healthzMs);
  return {
    joinP50Ms: round2(percentile(joins, 50)), joinP95Ms: round2(percentile(joins, 95)), joinMaxMs: round2(Math.max(...joins)),
    joinsFailed: samples.length - joins.length, healthzP95Ms: round2(percentile(healthz, 95)), samples: samples.length,
  };
}

async function startAbusers(server: ServerChild, victimSwarm: string): Promise<Abuser[]> {
  const announces = await maximalAnnounces(30);
  return [
    ...Array.from({ length: FLOODERS }, (_, i) => preHelloFlooder(server.port, `127.0.2.${(i % FLOOD_ADDRESSES) + 1}`, announces[0]!)),
    ...Array.from({ length: BUDGET_SOCKETS }, (_, i) => budgetFiller(server.wsUrl, `127.0.3.${i + 1}`, announces, 45)),
    ...Array.from({ length: NON_READERS }, (_, i) => nonReader(server.port, `127.0.4.${(i % 4) + 1}`, victimSwarm)),
    ...Array.from({ length: GUESS_ADDRESSES }, (_, i) => codeGuesser(server.wsUrl, `127.0.5.${i + 1}`)),
  ];
}

function totals(abusers: Abuser[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const a of abusers) for (const [k, n] of Object.entries(a.counts)) (out[a.name] ??= {})[k] = (out[a.name]?.[k] ?? 0) + n;
  return out;
}

export const abuseBench: Bench = {
  name: 'abuse',
  async run(ctx: BenchContext) {
    const windowMs = ctx.quick ? 8_000 : 20_000;
    const server = await startServerChild(ctx, {});
    let peakRss = 0;
    const sampler = setInterval(() => void server.usage().then((u) => { peakRss = Math.max(peakRss, u.rssBytes); }), 250);
    let abusers: Abuser[] = [];
    try {
      const idleRss = (await server.usage()).rssBytes;
      const before = summary(await sampleFor(server, 3_000));
      ctx.baselines.set('abuse:join-p50-idle-ms', before.joinP50Ms!);
      const attackStart = performance.now();
      abusers = await startAbusers(server, newSwarmId());
      const during = summary(await sampleFor(server, windowMs));
      const seconds = (performance.now() - attackStart) / 1000;
      const attack = totals(abusers);
      const guesses = attack['code guesser'] ?? {};
      ctx.log(`abuse: ${JSON.stringify(attack)}`);
      ctx.emit(compared(ctx.baselines, 'abuse:join-p50-idle-ms', {
        bench: 'abuse',
        config: { windowSeconds: round2(seconds), flooders: FLOODERS, floodAddresses: FLOOD_ADDRESSES, budgetSockets: BUDGET_SOCKETS,
          nonReaders: NON_READERS, guessAddresses: GUESS_ADDRESSES },
        value: {
          joinP50Ms: during.joinP50Ms!, joinP95Ms: during.joinP95Ms!, joinMaxMs: during.joinMaxMs!, joinsFailed: during.joinsFailed!,
          healthzP95Ms: during.healthzP95Ms!, idleJoinP50Ms: before.joinP50Ms!, idleHealthzP95Ms: before.healthzP95Ms!,
          serverIdleRssMB: round2(idleRss / 1e6), serverPeakRssMB: round2(peakRss / 1e6),
          wrongCodesAnsweredPerSecond: round2((guesses['ERR_UNKNOWN_CODE'] ?? 0) / seconds),
        },
        breakdown: attack,
      }));
    } finally {
      for (const a of abusers) a.stop();
      clearInterval(sampler);
      await Promise.race([Promise.all(abusers.map((a) => a.done)), new Promise((r) => setTimeout(r, 5000))]);
      await server.stop();
    }
  },
};
