import type { Page } from 'playwright-core';
import type { PairInfo } from './pages/rtc-path.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { launchBenchBrowser } from './lib/browser.ts';
import { startStaticServer } from './lib/static-server.ts';
import { closeRawTabs, connectRawTabs } from './lib/rtc-connect.ts';
import { pushTransfer, windowTransfer, type TransferTiming } from './lib/raw-transfer.ts';
import { pathInfo } from './lib/path-label.ts';
import { best, median, round2 } from './lib/stats.ts';
import { compared, type Figure } from './lib/report.ts';

// Physical limit: one raw RTCDataChannel between two tabs of one headless Chromium, 64 MiB one way.
// Sets the baseline 'raw-channel:best' (best config of the sweep) that every transfer figure compares against.
//
// Candidate pairs (findings, this machine, Chromium 14x, see the report of issue 7):
// - A page gathers only UDP host candidates, one per non-loopback interface, and hides each address behind an
//   mDNS name (xxxx.local). Two tabs of one browser resolve each other's names, so the pair is host↔host.
// - Loopback is never gathered: in a namespace with only `lo`, two tabs do not connect at all (no candidates).
// - Every interface adds a candidate and so a pair; all pairs on one machine are equally fast (the kernel
//   loops them back). What varies is RTT *under load*: getStats' currentRoundTripTime is measured by STUN
//   checks that queue behind SCTP data, so it reads 0–1 ms idle and 10–40 ms during a transfer on any pair.
//   A "22 ms pair" was most likely a loaded one, not a slow route.
// - Throughput is CPU-bound here: ~1,200-byte SCTP packets, each DTLS-encrypted and carried renderer → network
//   process over IPC, fill both cores (machine busy 99–100 % during a transfer). Hence large messages and
//   enough in flight (≥ 1 MiB) win; tiny windows and simple-peer's 64 KiB high water lose.

const KiB = 1024;
const MiB = 1024 * KiB;

interface Config { mode: 'push' | 'window'; messageKiB: number; highWaterKiB?: number; window?: number; label?: string }

function sweep(quick: boolean): Config[] {
  const sizes = quick ? [64, 256] : [16, 64, 256];
  const push: Config[] = sizes.flatMap((messageKiB) =>
    (quick ? [1024, 4096] : [256, 1024, 4096]).map((highWaterKiB) => ({ mode: 'push' as const, messageKiB, highWaterKiB })));
  const windowed: Config[] = sizes.flatMap((messageKiB) =>
    (quick ? [16, 64] : [4, 16, 64]).map((window) => ({ mode: 'window' as const, messageKiB, window })));
  const simplePeer: Config = { mode: 'push', messageKiB: 16, highWaterKiB: 64, label: 'simple-peer-default' };
  return [simplePeer, ...push, ...windowed];
}

function transfer(c: Config, sender: Page, receiver: Page, totalBytes: number): Promise<TransferTiming> {
  const messageBytes = c.messageKiB * KiB;
  if (c.mode === 'push') {
    const highWater = (c.highWaterKiB ?? 1024) * KiB;
    return pushTransfer(sender, receiver, { messageBytes, totalBytes, highWater, lowThreshold: highWater / 2 });
  }
  const window = c.window ?? 16;
  return windowTransfer(sender, receiver, { messageBytes, totalBytes, window, grantEvery: Math.max(1, window / 4) });
}

interface Measured { config: Config; runs: number[]; idle: PairInfo | null; loadedRttMs: number | null }

async function measure(c: Config, tabs: Page[], totalBytes: number, runs: number): Promise<Measured> {
  const [sender, receiver] = tabs as [Page, Page];
  const connected = await connectRawTabs(sender, receiver);
  const mbps: number[] = [];
  let loadedRttMs: number | null = null;
  try {
    for (let i = 0; i < runs; i++) {
      mbps.push((await transfer(c, sender, receiver, totalBytes)).MBps);
      loadedRttMs = Math.max(loadedRttMs ?? 0, (await sender.evaluate(() => (benchPage as RawPage).path()))?.rttMs ?? 0);
    }
  } finally {
    await closeRawTabs(tabs);
  }
  return { config: c, runs: mbps, idle: connected.path, loadedRttMs };
}
type RawPage = typeof import('./pages/raw-channel.ts');

function figureOf(m: Measured, totalMiB: number): Omit<Figure, 'baseline' | 'ratio'> {
  const path = pathInfo(m.idle);
  return {
    bench: 'raw-channel',
    config: { ...m.config, fileMiB: totalMiB },
    MBps: best(m.runs),
    value: { bestMBps: best(m.runs), medianMBps: round2(median(m.runs)), loadedRttMs: m.loadedRttMs ?? -1 },
    runs: m.runs,
    ...(path === undefined ? {} : { path }),
  };
}

export const rawChannelBench: Bench = {
  name: 'raw-channel',
  async run(ctx: BenchContext) {
    const totalMiB = ctx.quick ? 32 : 64;
    const runs = ctx.quick ? 1 : 3;
    const server = await startStaticServer({ '/': ctx.repoRoot });
    const browser = await launchBenchBrowser();
    const measured: Measured[] = [];
    try {
      const tabs = await browser.openTabs(`${server.origin}/page/raw-channel`, 2);
      for (const c of sweep(ctx.quick)) {
        measured.push(await measure(c, tabs, totalMiB * MiB, runs));
        ctx.log(`raw-channel ${JSON.stringify(c)}: ${measured.at(-1)?.runs.join(', ')} MB/s`);
      }
    } finally {
      await browser.close();
      await server.close();
    }
    const figures = measured.map((m) => figureOf(m, totalMiB));
    const top = Math.max(...figures.map((f) => f.MBps ?? 0));
    ctx.baselines.set('raw-channel:best', top);
    for (const f of figures) ctx.emit(compared(ctx.baselines, 'raw-channel:best', f));
  },
};
