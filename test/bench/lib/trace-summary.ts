import type { Browser, Page } from 'playwright-core';

// A short Chromium trace taken while something runs, summed per thread and event name for one process: how
// many frames the page drew, what its main thread spent on style, layout and paint, how many IPC messages
// WebRTC's thread handled.

const CATEGORIES = [
  'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'toplevel', 'v8', 'IndexedDB', 'webrtc', 'Blob',
];

export async function traceFor(browser: Browser, page: Page, ms: number): Promise<Buffer> {
  await browser.startTracing(page, { categories: CATEGORIES });
  await new Promise((resolve) => setTimeout(resolve, ms));
  return browser.stopTracing();
}

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }

/** `thread/event ×count` → thread-time ms, the 40 largest, for the process `pid`. Nested events are each counted. */
export function summariseTrace(trace: Buffer, pid: number | null): Array<[string, number]> {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const threads = new Map<number, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.pid === pid) threads.set(e.tid, e.args?.name ?? String(e.tid));
  const totals = new Map<string, [number, number]>();
  for (const e of events) {
    if (e.pid !== pid || e.ph !== 'X') continue;
    const key = `${threads.get(e.tid) ?? e.tid}/${e.name}`;
    const [ms, n] = totals.get(key) ?? [0, 0];
    totals.set(key, [ms + (e.tdur ?? e.dur ?? 0) / 1000, n + 1]);
  }
  return [...totals].sort((x, y) => y[1][0] - x[1][0]).slice(0, 40).map(([k, [ms, n]]) => [`${k} ×${n}`, Math.round(ms)]);
}
