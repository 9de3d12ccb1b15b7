import type { Page } from 'playwright-core';
import type { Bench, BenchContext } from './lib/context.ts';
import type { LeechTiming, StoreKind } from './pages/webtorrent.ts';
import { launchBenchBrowser, type BenchBrowser } from './lib/browser.ts';
import { startStaticServer, type StaticServer } from './lib/static-server.ts';
import { withTimeout } from './lib/timeout.ts';
import { startTracker } from './lib/tracker.ts';
import { createMemoryProbe, openProbedTab, type MemoryPeak } from './lib/memory-probe.ts';
import { pathInfo } from './lib/path-label.ts';
import { describePairs, selectedOf, type PairInfo } from './pages/rtc-path.ts';
import { best, median, round2 } from './lib/stats.ts';
import { compared } from './lib/report.ts';
import { browserCpu, cpuSpent, perMiBByProcess } from './lib/cpu-time.ts';

// WebTorrent baseline: the same file between tabs with webtorrent's browser bundle and bittorrent-tracker's
// WebSocket tracker on 127.0.0.1. Clocked from `add` (magnet link) to `done`, as a user waits.
// Two stores: OPFS (its default in a secure context such as 127.0.0.1) and memory (its fallback on plain http
// from a LAN address, the classroom case). Sets baselines 'webtorrent:<store>:1-N' (MB/s), 'webtorrent:1-N' (the
// better store), 'webtorrent:first-piece-ms' and 'webtorrent:<store>:peak-rss-mib' for tabswarm's figures.

type WtPage = typeof import('./pages/webtorrent.ts');
const MiB = 1024 * 1024;

export interface Swarm { bb: BenchBrowser; repoRoot: string; trackerUrl: string; store: StoreKind; magnet: string; pieceLength: number }
/** Each tab ever opened gets a fresh origin (127.0.0.N), so no tab finds another's OPFS store. */
let nextHost = 10;
const freshOrigin = (repoRoot: string): Promise<StaticServer> => startStaticServer({ '/': repoRoot }, `127.0.0.${nextHost++}`);
/** A 64 MiB leech normally takes seconds; minutes means a stuck swarm. */
const LEECH_TIMEOUT_MS = 180_000;
export interface Run {
  timings: LeechTiming[]; memory: MemoryPeak | null; path: PairInfo | null; cpuMsPerMiB: number; cpuByProcess: Record<string, number>;
}

/** `leechers` fresh tabs (each on its own origin) add the magnet link at once; resolves when all are done. */
export async function runLeechers(swarm: Swarm, leechers: number, probeMemory: boolean): Promise<Run> {
  const servers = await Promise.all(Array.from({ length: leechers }, () => freshOrigin(swarm.repoRoot)));
  const first = await openProbedTab(swarm.bb, `${servers[0]!.origin}/page/webtorrent`);
  const tabs: Page[] = [first.page];
  for (const server of servers.slice(1)) tabs.push(...(await swarm.bb.openTabs(`${server.origin}/page/webtorrent`, 1)));
  const probe = probeMemory && first.pid !== null ? await createMemoryProbe(first.page, first.pid) : null;
  try {
    probe?.start(100);
    const cpu0 = await browserCpu(swarm.bb.browser);
    const timings = await withTimeout(Promise.all(tabs.map((tab) =>
      tab.evaluate(([m, t, k]) => (benchPage as WtPage).leech(m, t, k), [swarm.magnet, swarm.trackerUrl, swarm.store] as const))),
    LEECH_TIMEOUT_MS, 'webtorrent leech');
    const cpuByProcess = perMiBByProcess(cpuSpent(cpu0, await browserCpu(swarm.bb.browser)), timings.reduce((sum, t) => sum + t.bytes, 0));
    const memory = (await probe?.stop()) ?? null;
    const path = selectedOf((await first.page.evaluate(describePairs, null))[0]);
    return { timings, memory, path, cpuMsPerMiB: cpuByProcess['total']!, cpuByProcess };
  } finally {
    await Promise.all(tabs.map((tab) => tab.evaluate(() => (benchPage as WtPage).close()).catch(() => {}).then(() => tab.close())));
    await Promise.all(servers.map((server) => server.close()));
  }
}

/** Aggregate MB/s of one run: every leecher's bytes over the span from the first add to the last done. */
export function aggregateMBps(timings: LeechTiming[]): number {
  const bytes = timings.reduce((sum, t) => sum + t.bytes, 0);
  const span = Math.max(...timings.map((t) => t.doneMs)) - Math.min(...timings.map((t) => t.addMs));
  return round2(bytes / 1e6 / (span / 1000));
}

async function scenario(ctx: BenchContext, swarm: Swarm, leechers: number, runs: number, fileMiB: number): Promise<void> {
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await runLeechers(swarm, leechers, leechers === 1));
    ctx.log(`webtorrent ${swarm.store} 1→${leechers} run ${i + 1}: ${aggregateMBps(results.at(-1)!.timings)} MB/s`);
  }
  const mbps = results.map((r) => aggregateMBps(r.timings));
  const firstPiece = results.flatMap((r) => r.timings.map((t) => Math.round(t.firstPieceMs - t.addMs)));
  const config = { seeders: 1, leechers, fileMiB, pieceKiB: swarm.pieceLength / 1024, store: swarm.store };
  const path = pathInfo(results[0]?.path);
  ctx.emit(compared(ctx.baselines, 'raw-channel:best', {
    bench: 'webtorrent', config, MBps: best(mbps),
    value: {
      bestMBps: best(mbps), medianMBps: round2(median(mbps)), firstPieceMs: median(firstPiece),
      cpuMsPerMiB: median(results.map((r) => r.cpuMsPerMiB)), // whole browser, connection set-up and metadata included
    },
    runs: mbps, ...(path === undefined ? {} : { path }),
  }));
  ctx.baselines.set(`webtorrent:${swarm.store}:1-${leechers}`, best(mbps));
  ctx.baselines.set(`webtorrent:1-${leechers}`, Math.max(best(mbps), ctx.baselines.get(`webtorrent:1-${leechers}`) ?? 0));
  if (leechers !== 1) return;
  const fastestStart = Math.min(median(firstPiece), ctx.baselines.get('webtorrent:first-piece-ms') ?? Infinity);
  ctx.baselines.set('webtorrent:first-piece-ms', fastestStart);
  ctx.emit({ bench: 'webtorrent-first-piece', config, value: { firstPieceMs: median(firstPiece) }, baseline: null, ratio: null, runs: firstPiece });
  const memory = results.map((r) => r.memory).filter((m): m is MemoryPeak => m !== null);
  if (memory.length === 0) { ctx.log('webtorrent: renderer PID not found, no memory figure'); return; }
  const worst = memory.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a));
  ctx.baselines.set(`webtorrent:${swarm.store}:peak-rss-mib`, worst.peakRssMiB);
  ctx.emit({ bench: 'webtorrent-memory', config: { ...config, tab: 'leecher' }, value: { ...worst }, baseline: null, ratio: null });
}

export async function seed(seeder: Page, trackerUrl: string, fileMiB: number, store: StoreKind): Promise<Pick<Swarm, 'magnet' | 'pieceLength'>> {
  const seeding = seeder.evaluate(([size, t, k]) => (benchPage as WtPage).seed(size, t, k), [fileMiB * MiB, trackerUrl, store] as const);
  return withTimeout(seeding, LEECH_TIMEOUT_MS, 'webtorrent seed');
}

/** Runs per store: [1 → 1 runs, 1 → 3 runs]. */
const RUNS: Record<'quick' | 'full', Record<StoreKind, [number, number]>> = {
  quick: { memory: [2, 1], opfs: [1, 1] },
  full: { memory: [4, 2], opfs: [3, 2] },
};

export const webtorrentBench: Bench = {
  name: 'webtorrent',
  async run(ctx) {
    const fileMiB = ctx.quick ? 32 : 64;
    const tracker = await startTracker(ctx.repoRoot);
    const bb = await launchBenchBrowser();
    try {
      for (const store of ['memory', 'opfs'] as const) {
        const server = await freshOrigin(ctx.repoRoot);
        const [seeder] = await bb.openTabs(`${server.origin}/page/webtorrent`, 1);
        try {
          const seeded = await seed(seeder!, tracker.url, fileMiB, store);
          const swarm: Swarm = { bb, repoRoot: ctx.repoRoot, trackerUrl: tracker.url, store, ...seeded };
          const [oneToOne, oneToThree] = RUNS[ctx.quick ? 'quick' : 'full'][store];
          await scenario(ctx, swarm, 1, oneToOne, fileMiB);
          await scenario(ctx, swarm, 3, oneToThree, fileMiB);
        } finally {
          await seeder?.close();
          await server.close();
        }
      }
    } finally {
      await bb.close();
      await tracker.close();
    }
  },
};
