import type { Page } from 'playwright-core';
import type { PairInfo } from './pages/rtc-path.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { launchBenchBrowser, type BenchBrowser } from './lib/browser.ts';
import { browserCpu, cpuSpent, perMiBByProcess } from './lib/cpu-time.ts';
import { startStaticServer } from './lib/static-server.ts';
import { closeRawTabs, connectRawTabs } from './lib/rtc-connect.ts';
import { pushTransfer, windowTransfer, type TransferTiming } from './lib/raw-transfer.ts';
import { pathInfo } from './lib/path-label.ts';
import { best, median, round2 } from './lib/stats.ts';
import { compared, type Figure } from './lib/report.ts';

// Physical limit: one raw RTCDataChannel between two tabs of one headless Chromium, 64 MiB one way.
// Sets the baseline 'raw-channel:best' (best config of the sweep) that every transfer figure compares against.
//
// Candidate pairs: findings on this machine (Chromium 156, in scripts/netns-run.sh: lo + veth 10.77.0.1):
// - Without ICE servers a page gathers one UDP host candidate per address family, only for the interface of the
//   default route (no getUserMedia permission = no adapter enumeration), hidden behind an mDNS name (x.local).
//   No TCP candidates, and never loopback: in a namespace with only `lo`, two tabs do not connect at all.
//   Two tabs of one browser resolve each other's mDNS names: the pair is host↔host, RTT 0–1 ms idle.
//   With an IPv6 address too (fd77::1) there are two pairs; IPv6 has the higher priority and wins, same speed.
// - With the server's ICE list (its STUN + TURN on the LAN address), each tab adds a srflx candidate (the same
//   socket and address as host) and two relay candidates; srflx↔srflx is selected, as fast as host↔host.
//   A relay↔relay pair (every packet through the Node TURN relay) moves 8–12 MB/s vs 28–38 direct: the slow pair.
// - getStats' currentRoundTripTime comes from STUN checks that queue behind SCTP data: 0–1 ms idle, 10–40 ms
//   (once 83) during a transfer on the SAME pair. A "22 ms pair" read during a transfer is a loaded pair, or a relay.
// - Throughput is CPU-bound here, not window-bound: the network service process (26–45 % of a core) and both
//   renderers (16–34 % each) carry ~1,200-byte SCTP packets; the machine reads 95–100 % busy during a transfer.
//   Every config with ≥ 16 KiB messages and ≥ ~1 MiB in flight lands within the noise of the best (≈ 30–38 MB/s
//   on a quiet machine, 15–20 when other engineers' jobs run); only tiny windows (4 × 16 KiB) stay clearly lower.
//   Request batching (a grant per block vs per 4 blocks) made no difference in paired runs.
// What makes a link fast, for client/: keep the direct pair (host or srflx); expose the selected pair (type,
// protocol, RTT read while idle) in link stats, and treat `relay` links as ~1/3 capacity; do not filter candidates
// (only UDP ones exist, and without ICE servers the mDNS host ones are all a tab has). Messages of 64–256 KiB with
// ~1 MiB in flight are on the plateau; tabswarm uses 128 KiB × 8 (fewer messages, less CPU per MiB).

const KiB = 1024;
const MiB = 1024 * KiB;
/** Untimed bytes first on every connection: its first ~32 MiB run 30–50 % slower (a warm-up, not an idle-time effect). */
export const WARM_UP_BYTES = 8 * MiB;

export interface Config {
  mode: 'push' | 'window';
  messageKiB: number;
  highWaterKiB?: number;
  window?: number;
  grantEvery?: number; // window mode: re-request after this many blocks arrived (default window / 4)
  label?: string;
}

function sweep(quick: boolean): Config[] {
  const sizes = quick ? [64, 256] : [16, 64, 256];
  const push: Config[] = sizes.flatMap((messageKiB) =>
    (quick ? [1024, 4096] : [256, 1024, 4096]).map((highWaterKiB) => ({ mode: 'push' as const, messageKiB, highWaterKiB })));
  const windowed: Config[] = sizes.flatMap((messageKiB) =>
    (quick ? [16, 64] : [4, 16, 64]).map((window) => ({ mode: 'window' as const, messageKiB, window })));
  const simplePeer: Config = { mode: 'push', messageKiB: 16, highWaterKiB: 64, label: 'simple-peer-default' };
  // peer/engine: 128 KiB blocks, 8 requests in flight per peer, one new request per block received.
  const tabswarm: Config = { mode: 'window', messageKiB: 128, window: 8, grantEvery: 1, label: 'tabswarm-default' };
  return [simplePeer, tabswarm, ...push, ...windowed];
}

function transfer(c: Config, sender: Page, receiver: Page, totalBytes: number): Promise<TransferTiming> {
  const messageBytes = c.messageKiB * KiB;
  if (c.mode === 'push') {
    const highWater = (c.highWaterKiB ?? 1024) * KiB;
    return pushTransfer(sender, receiver, { messageBytes, totalBytes, highWater, lowThreshold: highWater / 2 });
  }
  const window = c.window ?? 16;
  return windowTransfer(sender, receiver, { messageBytes, totalBytes, window, grantEvery: c.grantEvery ?? Math.max(1, window / 4) });
}

export interface Measured { config: Config; runs: number[]; cpuMsPerMiB: number[]; cpuByProcess: Record<string, number>; idle: PairInfo | null; loadedRttMs: number | null }

/** Connects the two tabs, warms the channel up, times `runs` transfers of totalBytes, then closes the channel. */
export async function measure(c: Config, bb: BenchBrowser, tabs: Page[], totalBytes: number, runs: number): Promise<Measured> {
  const [sender, receiver] = tabs as [Page, Page];
  const connected = await connectRawTabs(sender, receiver);
  const mbps: number[] = [];
  const cpuMsPerMiB: number[] = [];
  let cpuByProcess: Record<string, number> = {};
  let loadedRttMs: number | null = null;
  try {
    await transfer(c, sender, receiver, WARM_UP_BYTES);
    for (let i = 0; i < runs; i++) {
      const cpu0 = await browserCpu(bb.browser);
      mbps.push((await transfer(c, sender, receiver, totalBytes)).MBps);
      const spent = cpuSpent(cpu0, await browserCpu(bb.browser));
      cpuMsPerMiB.push(round2(spent['total']! / (totalBytes / MiB)));
      cpuByProcess = perMiBByProcess(spent, totalBytes);
      loadedRttMs = Math.max(loadedRttMs ?? 0, (await sender.evaluate(() => (benchPage as RawPage).path()))?.rttMs ?? 0);
    }
  } finally {
    await closeRawTabs(tabs);
  }
  return { config: c, runs: mbps, cpuMsPerMiB, cpuByProcess, idle: connected.path, loadedRttMs };
}
type RawPage = typeof import('./pages/raw-channel.ts');

function figureOf(m: Measured, totalMiB: number): Omit<Figure, 'baseline' | 'ratio'> {
  const path = pathInfo(m.idle);
  return {
    bench: 'raw-channel',
    config: { ...m.config, fileMiB: totalMiB },
    MBps: best(m.runs),
    value: { bestMBps: best(m.runs), medianMBps: round2(median(m.runs)), loadedRttMs: m.loadedRttMs ?? -1, cpuMsPerMiB: median(m.cpuMsPerMiB) },
    breakdown: { lastRunCpuMsPerMiBByProcess: m.cpuByProcess },
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
        measured.push(await measure(c, browser, tabs, totalMiB * MiB, runs));
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
