import { readdir, readFile } from 'node:fs/promises';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { browserCpu } from './lib/cpu-time.ts';
import { createMemoryProbe, openProbedTab } from './lib/memory-probe.ts';
import { writeRandomFile } from './lib/random-file.ts';
import {
  completedAt, createSwarm, joinSwarm, seedFromDisk, startTabswarmServer, tabswarmReady,
} from './lib/tabswarm-tabs.ts';

// Where a 1 → 1 transfer's CPU goes: per process (seeder's renderer, leecher's renderer, browser, network
// utility, GPU) in CPU ms per MiB, and each tab's hottest JavaScript (CDP Profiler self time). Not part of
// `npm run bench`; a tool for the profiling notes in issue 7:
//   bash scripts/netns-run.sh npx tsx test/bench/profile-transfer.ts [MiB] [query ...]
// e.g. `… profile-transfer.ts 64 '' '?ui=off'` compares two engine variants in one browser.

const MiB = 1024 * 1024;

interface CpuProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

async function startProfiler(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** Self time per function as a share of all samples, hottest first. */
async function stopProfiler(cdp: CDPSession, top: number): Promise<Array<[string, number]>> {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.detach();
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes as CpuProfileNode[]) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, Math.round((v / total) * 1000) / 10]);
}

/** A Chromium trace (timeline categories) of `ms` while the transfer runs. */
async function traceWhile(browser: Browser, page: Page, ms: number): Promise<Buffer> {
  await new Promise((r) => setTimeout(r, 500));
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'toplevel', 'v8', 'IndexedDB', 'webrtc', 'Blob'] });
  await new Promise((r) => setTimeout(r, ms));
  return browser.stopTracing();
}

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number }

/** Thread time per event name in one process (complete events, outermost per thread only), per thread name. */
function summariseTrace(trace: Buffer, pid: number | null): Array<[string, number]> {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const threads = new Map<number, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.pid === pid) threads.set(e.tid, (e as unknown as { args: { name: string } }).args.name);
  const totals = new Map<string, [number, number]>();
  for (const e of events) {
    if (e.pid !== pid || e.ph !== 'X') continue;
    const key = `${threads.get(e.tid) ?? e.tid}/${e.name}`;
    const [ms, n] = totals.get(key) ?? [0, 0];
    totals.set(key, [ms + (e.tdur ?? e.dur ?? 0) / 1000, n + 1]);
  }
  return [...totals].sort((x, y) => y[1][0] - x[1][0]).slice(0, 40).map(([k, [ms, n]]) => [`${k} ×${n}`, Math.round(ms)]);
}

/** CPU seconds per thread name of one process (/proc/PID/task/TID/stat: utime + stime, in clock ticks). */
async function threadCpu(pid: number | null): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (pid === null) return out;
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '#');
    const fields = stat.slice(close + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return out;
}

function threadSpent(before: Map<string, number>, after: Map<string, number>, fileMiB: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of after) {
    const ms = ((s - (before.get(name) ?? 0)) * 1000) / fileMiB;
    if (ms >= 0.5) out[name] = Math.round(ms * 10) / 10;
  }
  return out;
}

async function profileVariant(url: string, fileMiB: number, profile: boolean): Promise<void> {
  const bb = await launchDiskBrowser();
  try {
    const a = await openProbedTab(bb, url, tabswarmReady);
    const b = await openProbedTab(bb, url, tabswarmReady);
    const fresh = b.pid === null ? '' : (await readFile(`/proc/${b.pid}/status`, 'utf8')).split('\n').filter((l) => l.startsWith('Rss')).join(' ');
    const warm = await writeRandomFile(8 * MiB);
    const { link, swarmId } = await createSwarm(a.page);
    const warmId = await seedFromDisk(a.page, swarmId, warm.path);
    await joinSwarm(b.page, link);
    await completedAt(b.page, warmId);
    const file = await writeRandomFile(fileMiB * MiB);
    const second = await createSwarm(a.page);
    const fileId = await seedFromDisk(a.page, second.swarmId, file.path);
    const profilers = profile ? await Promise.all([startProfiler(a.page), startProfiler(b.page)]) : [];
    const probe = b.pid === null ? null : await createMemoryProbe(b.page, b.pid);
    const idle = await probe?.sample();
    probe?.start(100);
    const threads0 = await Promise.all([threadCpu(a.pid), threadCpu(b.pid)]);
    const cpu0 = await browserCpu(bb.browser);
    const t0 = Date.now();
    await joinSwarm(b.page, second.link);
    const traced = process.env['PROFILE_TRACE'] === '1' ? traceWhile(bb.browser, b.page, 2000) : null;
    const ms = (await completedAt(b.page, fileId)) - t0;
    const cpu1 = await browserCpu(bb.browser);
    const threads1 = await Promise.all([threadCpu(a.pid), threadCpu(b.pid)]);
    const peak = await probe?.stop();
    const perMiB: Record<string, number> = {};
    let total = 0;
    for (const [pid, now] of cpu1) {
      const spent = (now.cpuTime - (cpu0.get(pid)?.cpuTime ?? 0)) * 1000;
      const name = pid === a.pid ? 'seeder' : pid === b.pid ? 'leecher' : now.type;
      perMiB[name] = Math.round(((perMiB[name] ?? 0) + spent / fileMiB) * 10) / 10;
      total += spent;
    }
    const out: Record<string, unknown> = {
      url, fileMiB, MBps: Math.round((fileMiB * MiB) / 1e6 / (ms / 1000) * 100) / 100,
      cpuMsPerMiB: { total: Math.round((total / fileMiB) * 10) / 10, ...perMiB },
    };
    const series = probe?.series() ?? [];
    out['leecherMemory'] = { fresh: fresh.replace(/\s+/g, ' '), idle, peak, anonEverySecond: series.filter((_, i) => i % 10 === 0) };
    out['seederThreads'] = threadSpent(threads0[0], threads1[0], fileMiB);
    out['leecherThreads'] = threadSpent(threads0[1], threads1[1], fileMiB);
    if (profile) {
      out['seederJs'] = await stopProfiler(profilers[0]!, 25);
      out['leecherJs'] = await stopProfiler(profilers[1]!, 25);
    }
    if (traced) out['leecherTrace'] = summariseTrace(await traced, b.pid);
    process.stdout.write(`${JSON.stringify(out)}\n`);
    await Promise.all([warm.remove(), file.remove()]);
  } finally {
    await bb.close();
  }
}

const [sizeArg, ...queries] = process.argv.slice(2);
const tabs = await startTabswarmServer();
try {
  for (const query of queries.length === 0 ? [''] : queries) {
    await profileVariant(`${tabs.url}${query}`, Number(sizeArg ?? 64), process.env['PROFILE_JS'] !== '0');
  }
} finally {
  await tabs.close();
}
