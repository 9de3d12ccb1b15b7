import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Bench, BenchContext } from './lib/context.ts';
import type { BenchBrowser } from './lib/browser.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { createMemoryProbe, openProbedTab } from './lib/memory-probe.ts';
import { startLoopLag } from './lib/loop-lag.ts';
import { browserCpu, cpuSpent, perMiBByProcess, type CpuByType } from './lib/cpu-time.ts';
import { pathInfo } from './lib/path-label.ts';
import { writeRandomFile, type RandomFile } from './lib/random-file.ts';
import { compared, type Figure } from './lib/report.ts';
import { best, median, round2 } from './lib/stats.ts';
import {
  closeForGood, completedAt, createSwarm, fileOf, firstPieceAt, joinSwarm, linkedTo, milestonesOf, peerIdOf, seedFromDisk, sha256In,
  startTabswarmServer, tabswarmReady, type TabswarmServer,
} from './lib/tabswarm-tabs.ts';
import { describePairs, selectedOf } from './pages/rtc-path.ts';

// tabswarm itself: the built page served by the real signaling server, files seeded from disk, every piece
// SHA-256-verified and written to IndexedDB. Four tabs of one browser (A seeds; B, C, D download). Their links
// are warmed up first with a small file in a lobby swarm that every tab downloads (a new connection's first
// transfer runs 30–50 % slower), so connection set-up is never timed: a transfer is clocked from the leecher's
// join call to its file's `complete`. Memory and time to first piece use fresh tabs (their set-up is the point).

const MiB = 1024 * 1024;
export interface Fleet { bb: BenchBrowser; tabs: TabswarmServer; url: string; a: Page; leechers: [Page, Page, Page] }
interface Seeded { link: string; fileId: string; file: RandomFile }

const sha256OfFile = (path: string): Promise<string> => new Promise((resolve, reject) => {
  const hash = createHash('sha256');
  createReadStream(path).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
});

async function seedNew(fleet: Fleet, sizeBytes: number): Promise<Seeded> {
  const { link, swarmId } = await createSwarm(fleet.a);
  const file = await writeRandomFile(sizeBytes);
  return { link, file, fileId: await seedFromDisk(fleet.a, swarmId, file.path) };
}

const mbps = (bytes: number, ms: number): number => round2(bytes / 1e6 / (ms / 1000));

/** Join links every leecher to A and to each other; the small lobby file warms every link up. */
async function warmUp(ctx: BenchContext, fleet: Fleet): Promise<void> {
  const lobby = await seedNew(fleet, (ctx.quick ? 4 : 8) * MiB);
  const all = [fleet.a, ...fleet.leechers];
  const ids = await Promise.all(all.map(peerIdOf));
  await Promise.all(fleet.leechers.map((page) => joinSwarm(page, lobby.link)));
  await Promise.all(all.map((page, i) => linkedTo(page, ids.filter((_, j) => j !== i))));
  await Promise.all(fleet.leechers.map((page) => completedAt(page, lobby.fileId)));
  await lobby.file.remove();
}

export interface RunResult {
  oneToOne: number; twoToOne: number; oneToThree: number; pieceKiB: number;
  /** CPU ms per MiB moved, 1 → 1, 2 → 1, 1 → 3: the whole browser, and by process type. */
  cpuMsPerMiB: number[]; cpuByProcess: CpuByType[];
}

/** CPU ms per MiB by process type while `run` moves `bytes`. */
async function metered<T>(bb: BenchBrowser, bytes: number, run: () => Promise<T>): Promise<[T, CpuByType]> {
  const cpu0 = await browserCpu(bb.browser);
  const out = await run();
  return [out, perMiBByProcess(cpuSpent(cpu0, await browserCpu(bb.browser)), bytes)];
}

/** One round: B from A (1 → 1), then C from A and B (2 → 1); then a second file to B, C and D (1 → 3). */
export async function runRound(fleet: Fleet, sizeBytes: number, verify: boolean): Promise<RunResult> {
  const [b, c, d] = fleet.leechers;
  const first = await seedNew(fleet, sizeBytes);
  const timed = async (page: Page) => {
    const t0 = Date.now();
    await joinSwarm(page, first.link);
    return mbps(sizeBytes, (await completedAt(page, first.fileId)) - t0);
  };
  const [oneToOne, cpu11] = await metered(fleet.bb, sizeBytes, () => timed(b));
  const [twoToOne, cpu21] = await metered(fleet.bb, sizeBytes, () => timed(c));
  const got = (await fileOf(c, first.fileId))!;
  if (Object.keys(got.sources).length < 2) throw new Error('2 → 1: C did not download from both A and B');
  if (verify && (await sha256In(c, first.fileId)) !== (await sha256OfFile(first.file.path))) throw new Error('2 → 1: file differs');
  await first.file.remove();
  const second = await seedNew(fleet, sizeBytes);
  const [oneToThree, cpu13] = await metered(fleet.bb, 3 * sizeBytes, async () => {
    const t0 = Date.now();
    await Promise.all([b, c, d].map((page) => joinSwarm(page, second.link)));
    const done = await Promise.all([b, c, d].map((page) => completedAt(page, second.fileId)));
    return mbps(3 * sizeBytes, Math.max(...done) - t0);
  });
  await second.file.remove();
  const cpuByProcess = [cpu11, cpu21, cpu13];
  return { oneToOne, twoToOne, oneToThree, pieceKiB: got.pieceLength / 1024, cpuMsPerMiB: cpuByProcess.map((c) => c['total']!), cpuByProcess };
}

function transferFigure(
  ctx: BenchContext, config: Record<string, unknown>, runs: number[], cpuMsPerMiB: number[], wtBaseline: string, path: Figure['path'],
): Figure {
  const top = best(runs);
  const wt = ctx.baselines.get(wtBaseline);
  return compared(ctx.baselines, 'raw-channel:best', {
    bench: 'tabswarm', config, MBps: top, runs, ...(path === undefined ? {} : { path }),
    value: { bestMBps: top, medianMBps: round2(median(runs)), cpuMsPerMiB: median(cpuMsPerMiB), ...(wt === undefined ? {} : { vsWebtorrent: round2(top / wt) }) },
  });
}

async function transfers(ctx: BenchContext, fleet: Fleet, fileMiB: number, variant: string): Promise<void> {
  const rounds: RunResult[] = [];
  for (let i = 0; i < Number(process.env['TABSWARM_BENCH_ROUNDS'] ?? (ctx.quick ? 1 : 2)); i++) {
    rounds.push(await runRound(fleet, fileMiB * MiB, i === 0));
    ctx.log(`tabswarm round ${i + 1}: ${JSON.stringify(rounds.at(-1))}`);
  }
  const path = pathInfo(selectedOf((await fleet.leechers[0].evaluate(describePairs, null))[0]));
  const base = { fileMiB, pieceKiB: rounds[0]!.pieceKiB, ...(variant === '' ? {} : { variant }), warmedUp: true, store: 'indexeddb', verified: 'sha256 per piece' };
  ctx.emit(transferFigure(ctx, { ...base, seeders: 1, leechers: 1 }, rounds.map((r) => r.oneToOne), rounds.map((r) => r.cpuMsPerMiB[0]!), 'webtorrent:1-1', path));
  ctx.emit(transferFigure(ctx, { ...base, seeders: 2, leechers: 1 }, rounds.map((r) => r.twoToOne), rounds.map((r) => r.cpuMsPerMiB[1]!), 'webtorrent:1-1', path));
  ctx.emit(transferFigure(ctx, { ...base, seeders: 1, leechers: 3, aggregate: true }, rounds.map((r) => r.oneToThree), rounds.map((r) => r.cpuMsPerMiB[2]!), 'webtorrent:1-3', path));
  if (variant === '') ctx.baselines.set('tabswarm:1-1', best(rounds.map((r) => r.oneToOne)));
}

/** A fresh tab downloads a file of `fileMiB` from A while its renderer's memory and its event-loop lag are sampled. */
async function memory(ctx: BenchContext, fleet: Fleet, fileMiB: number): Promise<void> {
  const seeded = await seedNew(fleet, fileMiB * MiB);
  const { page, pid } = await openProbedTab(fleet.bb, fleet.url, tabswarmReady);
  try {
    if (pid === null) return ctx.log('tabswarm: renderer PID not found, no memory figure');
    const probe = await createMemoryProbe(page, pid);
    probe.start(100);
    const stopLag = await startLoopLag(page);
    const t0 = Date.now();
    await joinSwarm(page, seeded.link);
    const ms = (await completedAt(page, seeded.fileId)) - t0;
    const lag = await stopLag();
    const peak = await probe.stop();
    const wt = ctx.baselines.get('webtorrent:memory:peak-rss-mib');
    ctx.emit(compared(ctx.baselines, 'webtorrent:memory:peak-rss-mib', {
      bench: 'tabswarm-memory', config: { fileMiB, tab: 'leecher', seeders: 1, warmedUp: false },
      value: { ...peak, MBps: mbps(fileMiB * MiB, ms), ...lag, ...(wt === undefined ? {} : { webtorrentPeakRssMiB: wt }) },
    }));
  } finally {
    await closeForGood(page);
    await seeded.file.remove();
  }
}

/** Per milestone (peer/milestones.ts), the median ms since navigation start over the runs, in time order. */
function medianMilestones(runs: Array<Record<string, number>>): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const medians = names.map((n) => [n, median(runs.map((r) => r[n]).filter((v): v is number => v !== undefined))] as const);
  return Object.fromEntries(medians.sort((a, b) => a[1] - b[1]));
}

/**
 * Time to the first verified piece, twice per run: a new tab navigating to a join link (from navigation start, with
 * the milestones on the way), and an open, idle tab handed the link (from its joinSwarm call, as WebTorrent's
 * figure starts at `add`). Each uses a fresh tab, so its link to the seeder is new too.
 */
async function firstPiece(ctx: BenchContext, fleet: Fleet): Promise<void> {
  const seeded = await seedNew(fleet, 4 * MiB);
  const joinUrl = `${fleet.url}${new URL(seeded.link).hash}`;
  const times: number[] = [];
  const afterJoin: number[] = [];
  const marks: Array<Record<string, number>> = [];
  for (let i = 0; i < (ctx.quick ? 3 : 5); i++) {
    const [page] = await fleet.bb.openTabs(joinUrl, 1, async () => undefined); // nothing injected: see firstPieceAt
    try {
      times.push(Math.round(await firstPieceAt(page!)));
      marks.push(await milestonesOf(page!));
    } finally {
      await closeForGood(page!);
    }
    // As WebTorrent's figure is taken: a page already open and idle is handed the link (its link to A is new too).
    const [idle] = await fleet.bb.openTabs(fleet.url, 1, tabswarmReady);
    try {
      const joinedAt = await idle!.evaluate((link) => {
        const t = performance.now();
        void window.tabswarm!.joinSwarm(link);
        return t;
      }, seeded.link);
      afterJoin.push(Math.round((await firstPieceAt(idle!)) - joinedAt));
    } finally {
      await closeForGood(idle!);
    }
  }
  await seeded.file.remove();
  const wt = ctx.baselines.get('webtorrent:first-piece-ms');
  ctx.emit(compared(ctx.baselines, 'webtorrent:first-piece-ms', {
    bench: 'tabswarm-first-piece', config: { from: 'navigation start', fileMiB: 4, seeders: 1 },
    value: { firstPieceMs: median(times), ...(wt === undefined ? {} : { webtorrentFirstPieceMs: wt }) },
    breakdown: { medianMsSinceNavigationStart: medianMilestones(marks) },
    runs: times,
  }));
  ctx.emit(compared(ctx.baselines, 'webtorrent:first-piece-ms', {
    bench: 'tabswarm-first-piece', config: { from: 'joinSwarm call in an open tab', fileMiB: 4, seeders: 1 },
    value: { firstPieceMs: median(afterJoin), ...(wt === undefined ? {} : { webtorrentFirstPieceMs: wt }) },
    runs: afterJoin,
  }));
}

/** Four fresh tabs opened at `url` (engine knobs in its query), linked and warmed up. */
export async function openFleet(ctx: BenchContext, bb: BenchBrowser, tabs: TabswarmServer, url: string): Promise<Fleet> {
  const [a, b, c, d] = await bb.openTabs(url, 4, tabswarmReady);
  const fleet: Fleet = { bb, tabs, url, a: a!, leechers: [b!, c!, d!] };
  await warmUp(ctx, fleet);
  return fleet;
}

export async function closeFleet(fleet: Fleet): Promise<void> {
  await Promise.all([fleet.a, ...fleet.leechers].map(closeForGood));
}

// Its transfer figures are also in the interleaved bench (next to raw and WebTorrent, same rounds): here they run only
// with TABSWARM_BENCH_PARTS='transfer,…', e.g. with TABSWARM_BENCH_VARIANTS='?piece=65536,?window=32' for transfer figures
// of other engine knobs (test/e2e/page-knobs.ts) measured in the same run.
export const tabswarmBench: Bench = {
  name: 'tabswarm',
  async run(ctx) {
    const tabs = await startTabswarmServer();
    const bb = await launchDiskBrowser();
    const parts = (process.env['TABSWARM_BENCH_PARTS'] ?? 'memory,first-piece').split(',');
    const variants = (process.env['TABSWARM_BENCH_VARIANTS'] ?? '').split(',').filter(Boolean);
    try {
      for (const variant of ['', ...variants]) {
        const fleet = await openFleet(ctx, bb, tabs, `${tabs.url}${variant}`);
        if (parts.includes('transfer')) await transfers(ctx, fleet, ctx.quick ? 32 : 128, variant);
        if (variant === '' && parts.includes('first-piece')) await firstPiece(ctx, fleet);
        if (variant === '' && parts.includes('memory')) for (const fileMiB of ctx.quick ? [256] : [256, 1024]) await memory(ctx, fleet, fileMiB);
        await closeFleet(fleet);
      }
    } finally {
      await bb.close();
      await tabs.close();
    }
  },
};
