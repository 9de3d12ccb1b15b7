import { readFile } from 'node:fs/promises';
import type { CDPSession, Page } from 'playwright-core';
import type { BenchBrowser } from './lib/browser.ts';
import { browserCpu } from './lib/cpu-time.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { createMemoryProbe, openProbedTab } from './lib/memory-probe.ts';
import { writeRandomFile } from './lib/random-file.ts';
import { summariseTrace, traceFor } from './lib/trace-summary.ts';
import { completedAt, createSwarm, joinSwarm, seedFromDisk, startTabswarmServer, tabswarmReady } from './lib/tabswarm-tabs.ts';
import { threadCpu, threadMsPerMiB } from './lib/thread-cpu.ts';

// Where a 1 → 1 transfer's CPU goes: CPU ms per MiB by process (seeder tab, leecher tab, browser, network
// service, GPU) and by thread within each tab, each tab's hottest JavaScript (CDP Profiler self time), and the
// leecher's memory over time. Not part of `npm run bench`; the tool behind the CPU table in docs/performance.md:
//   bash scripts/netns-run.sh npx tsx test/bench/profile-transfer.ts [MiB] [query …]
// e.g. `… profile-transfer.ts 128 '' '?ui=off'` compares two page variants, each in a fresh browser.
// PROFILE_JS=0 skips the JS profiler (it costs a little CPU), PROFILE_TRACE=1 adds a 2 s Chromium trace summary of
// the leecher, TABSWARM_NO_MINIFY=1 builds the page with readable function names.

const MiB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

interface CpuProfileNode { callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

async function startProfiler(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** Self time per function in % of all samples (idle and "(program)" included), hottest first. */
async function stopProfiler(cdp: CDPSession, top = 25): Promise<Array<[string, number]>> {
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
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, round1((v / total) * 100)]);
}

const rssLines = async (pid: number | null): Promise<string> => (pid === null ? '' :
  (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n').filter((l) => l.startsWith('Rss')).join(' ').replace(/\s+/g, ' '));

/** Seeder A and leecher B, linked, B having downloaded a small file from A (a fresh link runs slower at first). */
async function linkedPair(bb: BenchBrowser, url: string) {
  const a = await openProbedTab(bb, url, tabswarmReady);
  const b = await openProbedTab(bb, url, tabswarmReady);
  const freshRss = await rssLines(b.pid);
  const warm = await writeRandomFile(8 * MiB);
  const { link, swarmId } = await createSwarm(a.page);
  const warmId = await seedFromDisk(a.page, swarmId, warm.path);
  await joinSwarm(b.page, link);
  await completedAt(b.page, warmId);
  await warm.remove();
  return { a, b, freshRss };
}

async function profileVariant(url: string, fileMiB: number): Promise<Record<string, unknown>> {
  const bb = await launchDiskBrowser();
  try {
    const { a, b, freshRss } = await linkedPair(bb, url);
    const file = await writeRandomFile(fileMiB * MiB);
    const swarm = await createSwarm(a.page);
    const fileId = await seedFromDisk(a.page, swarm.swarmId, file.path);
    const profilers = process.env['PROFILE_JS'] === '0' ? null : await Promise.all([startProfiler(a.page), startProfiler(b.page)]);
    const probe = b.pid === null ? null : await createMemoryProbe(b.page, b.pid);
    const idle = await probe?.sample();
    probe?.start(100);
    const [threads0, cpu0] = [await Promise.all([threadCpu(a.pid), threadCpu(b.pid)]), await browserCpu(bb.browser)];
    const t0 = Date.now();
    await joinSwarm(b.page, swarm.link);
    const traced = process.env['PROFILE_TRACE'] === '1'
      ? new Promise((r) => setTimeout(r, 500)).then(() => traceFor(bb.browser, b.page, 2000)) : null;
    const ms = (await completedAt(b.page, fileId)) - t0;
    const [cpu1, threads1] = [await browserCpu(bb.browser), await Promise.all([threadCpu(a.pid), threadCpu(b.pid)])];
    const peak = await probe?.stop();
    await file.remove();
    const byProcess: Record<string, number> = {};
    let total = 0;
    for (const [pid, now] of cpu1) {
      const spentMs = (now.cpuTime - (cpu0.get(pid)?.cpuTime ?? 0)) * 1000;
      const name = pid === a.pid ? 'seeder' : pid === b.pid ? 'leecher' : now.type;
      byProcess[name] = round1((byProcess[name] ?? 0) + spentMs / fileMiB);
      total += spentMs;
    }
    return {
      url, fileMiB, MBps: Math.round(((fileMiB * MiB) / 1e6 / (ms / 1000)) * 100) / 100,
      cpuMsPerMiB: { total: round1(total / fileMiB), ...byProcess },
      seederThreads: threadMsPerMiB(threads0[0], threads1[0], fileMiB),
      leecherThreads: threadMsPerMiB(threads0[1], threads1[1], fileMiB),
      leecherMemory: { freshRss, idle, peak, privateMiBEverySecond: (probe?.series() ?? []).filter((_, i) => i % 10 === 0) },
      ...(profilers ? { seederJs: await stopProfiler(profilers[0]), leecherJs: await stopProfiler(profilers[1]) } : {}),
      ...(traced ? { leecherTrace: summariseTrace(await traced, b.pid) } : {}),
    };
  } finally {
    await bb.close();
  }
}

const [sizeArg, ...queries] = process.argv.slice(2);
const tabs = await startTabswarmServer();
try {
  for (const query of queries.length === 0 ? [''] : queries) {
    process.stdout.write(`${JSON.stringify(await profileVariant(`${tabs.url}${query}`, Number(sizeArg ?? 64)))}\n`);
  }
} finally {
  await tabs.close();
}
