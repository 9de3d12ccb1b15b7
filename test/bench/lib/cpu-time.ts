import type { Browser } from 'playwright-core';

// CPU time the whole browser spent (every process: browser, renderers, network utility, GPU), from CDP
// SystemInfo.getProcessInfo. On a shared, loaded machine the wall-clock MB/s swings by 2x between runs;
// CPU milliseconds per MiB moved hardly do, so they compare engine changes honestly.

export type CpuByType = Record<string, number>;

/** Cumulative CPU seconds per process type, keyed by type; processes that exited are lost (small). */
export async function browserCpu(browser: Browser): Promise<Map<number, { type: string; cpuTime: number }>> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    return new Map(processInfo.map((p) => [p.id, { type: p.type, cpuTime: p.cpuTime }]));
  } finally {
    await cdp.detach();
  }
}

/** CPU milliseconds spent between two readings, per process type plus `total`. */
export function cpuSpent(before: Awaited<ReturnType<typeof browserCpu>>, after: Awaited<ReturnType<typeof browserCpu>>): CpuByType {
  const out: CpuByType = { total: 0 };
  for (const [pid, now] of after) {
    const spentMs = Math.round((now.cpuTime - (before.get(pid)?.cpuTime ?? 0)) * 1000);
    out[now.type] = (out[now.type] ?? 0) + spentMs;
    out['total'] = out['total']! + spentMs;
  }
  return out;
}

/** CPU ms per MiB moved, per process type plus `total`, from a cpuSpent reading over `bytes` moved. */
export function perMiBByProcess(spent: CpuByType, bytes: number): CpuByType {
  const mib = bytes / (1024 * 1024);
  return Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round((v / mib) * 100) / 100]));
}
