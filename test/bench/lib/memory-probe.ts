import { readFile } from 'node:fs/promises';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { BenchBrowser, WaitReady } from './browser.ts';

// Memory of one tab: its renderer process's resident memory (/proc/PID/status VmRSS, peak VmHWM; RssAnon is the
// private part, without shared libraries: what buffers grow) plus its JS heap (CDP Runtime.getHeapUsage). ArrayBuffers and Blobs live outside the JS heap, so the heap alone hides them.
// The renderer PID: CDP SystemInfo.getProcessInfo lists renderer PIDs; the one that appears when a tab opens is
// that tab's (each new tab of a context gets its own process; browser.ts turns off the pre-launched spare renderer,
// which would otherwise be the one that appears).

export interface MemorySample { rssMiB: number; hwmMiB: number; anonMiB: number; jsHeapMiB: number }
export interface MemoryPeak { peakRssMiB: number; hwmMiB: number; peakAnonMiB: number; peakJsHeapMiB: number; samples: number }
/** Private (anonymous) resident MiB over time, one value per sample: shows a sawtooth (GC) from a leak. */
export type AnonSeries = number[];

const toMiB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function rendererPids(browser: Browser): Promise<Set<number>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    return new Set(processInfo.filter((p) => p.type === 'renderer').map((p) => p.id));
  } finally {
    await cdp.detach();
  }
}

/** Opens one tab and finds its renderer PID by the difference in renderer processes; null if ambiguous. */
export async function openProbedTab(bb: BenchBrowser, url: string, waitReady?: WaitReady): Promise<{ page: Page; pid: number | null }> {
  const before = await rendererPids(bb.browser);
  const [page] = await bb.openTabs(url, 1, waitReady);
  if (page === undefined) throw new Error('memory probe: tab did not open');
  const fresh = [...(await rendererPids(bb.browser))].filter((pid) => !before.has(pid));
  return { page, pid: fresh.length === 1 ? fresh[0]! : null };
}

async function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}

export interface MemoryProbe {
  sample(): Promise<MemorySample>;
  /** Samples every intervalMs until stop(); stop() answers the peaks seen (and the kernel's VmHWM). */
  start(intervalMs: number): void;
  stop(): Promise<MemoryPeak>;
  /** Every sample's private resident MiB so far. */
  series(): AnonSeries;
}

export async function createMemoryProbe(page: Page, pid: number): Promise<MemoryProbe> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  let timer: ReturnType<typeof setInterval> | null = null;
  const peak: MemoryPeak = { peakRssMiB: 0, hwmMiB: 0, peakAnonMiB: 0, peakJsHeapMiB: 0, samples: 0 };
  const anon: AnonSeries = [];
  const sample = async (): Promise<MemorySample> => {
    const heap = await cdp.send('Runtime.getHeapUsage');
    return {
      rssMiB: toMiB((await procStatusKiB(pid, 'VmRSS')) * 1024),
      hwmMiB: toMiB((await procStatusKiB(pid, 'VmHWM')) * 1024),
      anonMiB: toMiB((await procStatusKiB(pid, 'RssAnon')) * 1024),
      jsHeapMiB: toMiB(heap.usedSize),
    };
  };
  const record = (s: MemorySample) => {
    peak.peakRssMiB = Math.max(peak.peakRssMiB, s.rssMiB);
    peak.hwmMiB = Math.max(peak.hwmMiB, s.hwmMiB);
    peak.peakAnonMiB = Math.max(peak.peakAnonMiB, s.anonMiB);
    peak.peakJsHeapMiB = Math.max(peak.peakJsHeapMiB, s.jsHeapMiB);
    peak.samples++;
    anon.push(s.anonMiB);
  };
  return {
    sample,
    series: () => [...anon],
    start(intervalMs) {
      timer ??= setInterval(() => void sample().then(record, () => {}), intervalMs);
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      record(await sample());
      await cdp.detach().catch(() => {});
      return { ...peak };
    },
  };
}
