import type { Page } from 'playwright-core';
import type { Bench, BenchContext } from './lib/context.ts';
import type { CpuByType } from './lib/cpu-time.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { startStaticServer } from './lib/static-server.ts';
import { startTabswarmServer } from './lib/tabswarm-tabs.ts';
import { startTracker } from './lib/tracker.ts';
import { median, round2 } from './lib/stats.ts';
import { measure, type Config as RawConfig } from './raw-channel.ts';
import { aggregateMBps, runLeechers, seed, type Swarm } from './webtorrent.ts';
import { closeFleet, openFleet, runRound, type Fleet } from './tabswarm.ts';
import { stageMsPerMiB, stageTotals } from './lib/stage-times.ts';

// The fair comparison: raw RTCDataChannel, WebTorrent and tabswarm in alternating rounds (raw → WebTorrent →
// tabswarm, then tabswarm → WebTorrent → raw, …) in ONE browser, so each ratio comes from adjacent measurements
// on the same machine load; rounds on this shared machine differ by up to 50 %. Each ratio is reported as the
// median of its per-round values with their spread (min–max). CPU per MiB by process (browser, renderers, network
// service) for each, and tabswarm's leecher main-thread time by stage (peer/engine/stage-clock.ts).

const MiB = 1024 * 1024;
/** The plateau the raw sweep finds (docs/performance.md) and tabswarm's own setting: raw is the better of the two. */
const RAW_CONFIGS: RawConfig[] = [
  { mode: 'window', messageKiB: 256, window: 4, label: 'plateau' },
  { mode: 'window', messageKiB: 128, window: 8, grantEvery: 1, label: 'tabswarm-default' },
];

interface Round { raw: number; rawCpu: CpuByType; wt11: number; wt13: number; wtCpu: CpuByType; ts11: number; ts21: number; ts13: number; tsCpu: CpuByType; stages: Record<string, number> }

interface Contenders {
  rawTabs: [Page, Page];
  wt: Swarm;
  fleet: Fleet;
}

async function rawRound(c: Contenders, bytes: number): Promise<Pick<Round, 'raw' | 'rawCpu'>> {
  let top: Pick<Round, 'raw' | 'rawCpu'> = { raw: 0, rawCpu: {} };
  for (const config of RAW_CONFIGS) {
    const m = await measure(config, c.fleet.bb, c.rawTabs, bytes, 1);
    if (m.runs[0]! > top.raw) top = { raw: m.runs[0]!, rawCpu: m.cpuByProcess };
  }
  return top;
}

async function webtorrentRound(c: Contenders): Promise<Pick<Round, 'wt11' | 'wt13' | 'wtCpu'>> {
  const one = await runLeechers(c.wt, 1, false);
  const three = await runLeechers(c.wt, 3, false);
  return { wt11: aggregateMBps(one.timings), wt13: aggregateMBps(three.timings), wtCpu: one.cpuByProcess };
}

async function tabswarmRound(c: Contenders, bytes: number, verify: boolean): Promise<Pick<Round, 'ts11' | 'ts21' | 'ts13' | 'tsCpu' | 'stages'>> {
  const b = c.fleet.leechers[0];
  const before = await stageTotals(b);
  const r = await runRound(c.fleet, bytes, verify);
  // B's stage times cover its 1 → 1 download and its share of the 1 → 3 one (it also serves C in 2 → 1).
  const stages = stageMsPerMiB(before, await stageTotals(b));
  return { ts11: r.oneToOne, ts21: r.twoToOne, ts13: r.oneToThree, tsCpu: r.cpuByProcess[0]!, stages };
}

/** Median of per-round ratios with their spread. */
function ratio(rounds: Round[], of: (r: Round) => number): Record<string, number> {
  const values = rounds.map(of);
  return { median: round2(median(values)), min: round2(Math.min(...values)), max: round2(Math.max(...values)) };
}

const medianBy = (rounds: Round[], of: (r: Round) => number): number => round2(median(rounds.map(of)));

function medianCpu(cpus: CpuByType[]): Record<string, number> {
  const keys = [...new Set(cpus.flatMap((c) => Object.keys(c)))];
  return Object.fromEntries(keys.map((k) => [k, round2(median(cpus.map((c) => c[k] ?? 0)))]));
}

function report(ctx: BenchContext, rounds: Round[], fileMiB: number): void {
  const config = { fileMiB, rounds: rounds.length, order: 'raw-webtorrent-tabswarm, then reversed', store: { webtorrent: 'memory', tabswarm: 'indexeddb' } };
  const emit = (what: string, value: Record<string, number>, runs: number[], breakdown?: Record<string, Record<string, number>>) =>
    ctx.emit({ bench: 'interleaved', config: { ...config, what }, value, runs, baseline: null, ratio: null, ...(breakdown ? { breakdown } : {}) });
  emit('MB/s, median of rounds', {
    raw: medianBy(rounds, (r) => r.raw), webtorrent11: medianBy(rounds, (r) => r.wt11), webtorrent13: medianBy(rounds, (r) => r.wt13),
    tabswarm11: medianBy(rounds, (r) => r.ts11), tabswarm21: medianBy(rounds, (r) => r.ts21), tabswarm13: medianBy(rounds, (r) => r.ts13),
  }, rounds.map((r) => r.ts11), {
    cpuMsPerMiBByProcess_raw: medianCpu(rounds.map((r) => r.rawCpu)),
    cpuMsPerMiBByProcess_webtorrent11: medianCpu(rounds.map((r) => r.wtCpu)),
    cpuMsPerMiBByProcess_tabswarm11: medianCpu(rounds.map((r) => r.tsCpu)),
    leecherMainThreadMsPerMiBByStage: medianCpu(rounds.map((r) => r.stages)),
  });
  const pairs: Array<[string, (r: Round) => number]> = [
    ['tabswarm 1→1 / raw', (r) => r.ts11 / r.raw],
    ['tabswarm 1→1 / webtorrent 1→1', (r) => r.ts11 / r.wt11],
    ['tabswarm 1→3 / webtorrent 1→3', (r) => r.ts13 / r.wt13],
    ['tabswarm 2→1 / webtorrent 1→1', (r) => r.ts21 / r.wt11],
    ['tabswarm CPU per MiB / raw', (r) => r.tsCpu['total']! / r.rawCpu['total']!],
    ['webtorrent 1→1 / raw', (r) => r.wt11 / r.raw],
  ];
  for (const [what, of] of pairs) emit(what, ratio(rounds, of), rounds.map((r) => round2(of(r))));
}

export const interleavedBench: Bench = {
  name: 'interleaved',
  async run(ctx) {
    const fileMiB = ctx.quick ? 32 : 64;
    const roundCount = Number(process.env['TABSWARM_BENCH_ROUNDS'] ?? (ctx.quick ? 2 : 4));
    const tracker = await startTracker(ctx.repoRoot);
    const pages = await startStaticServer({ '/': ctx.repoRoot });
    const wtOrigin = await startStaticServer({ '/': ctx.repoRoot }, '127.0.0.9');
    const tabs = await startTabswarmServer();
    const bb = await launchDiskBrowser();
    try {
      const rawTabs = await bb.openTabs(`${pages.origin}/page/raw-channel`, 2) as [Page, Page];
      const [wtSeeder] = await bb.openTabs(`${wtOrigin.origin}/page/webtorrent`, 1);
      const wt: Swarm = { bb, repoRoot: ctx.repoRoot, trackerUrl: tracker.url, store: 'memory', ...await seed(wtSeeder!, tracker.url, fileMiB, 'memory') };
      const fleet = await openFleet(ctx, bb, tabs, tabs.url);
      const c: Contenders = { rawTabs, wt, fleet };
      const rounds: Round[] = [];
      for (let i = 0; i < roundCount; i++) {
        const parts: Array<() => Promise<Partial<Round>>> = [
          () => rawRound(c, fileMiB * MiB), () => webtorrentRound(c), () => tabswarmRound(c, fileMiB * MiB, i === 0),
        ];
        let round: Partial<Round> = {};
        for (const part of i % 2 === 0 ? parts : parts.reverse()) round = { ...round, ...await part() };
        rounds.push(round as Round);
        ctx.log(`interleaved round ${i + 1}: ${JSON.stringify(round)}`);
      }
      report(ctx, rounds, fileMiB);
      await closeFleet(fleet);
    } finally {
      await bb.close();
      await Promise.all([tabs.close(), pages.close(), wtOrigin.close(), tracker.close()]);
    }
  },
};
