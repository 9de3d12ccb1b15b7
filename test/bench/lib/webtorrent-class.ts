import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Classroom } from '../../e2e/classroom-netns.ts';
import { CHROMIUM_ARGS } from '../../e2e/harness.ts';
import type { LeechTiming } from '../pages/webtorrent.ts';
import { withTimeout } from './timeout.ts';
import type { ClassTimes } from './class-round.ts';

// The WebTorrent baseline in the same classroom: its bench page (pages/webtorrent.ts, memory store) and its
// WebSocket tracker served from the teacher's namespace, one Chromium per laptop; laptop 1 seeds, the others add
// the magnet link at once. WebTorrent hashes with crypto.subtle, which a plain-http LAN page does not have, so
// these browsers treat the teacher's page origins as secure (a teacher's laptop would need HTTPS for WebTorrent).

type WtPage = typeof import('../pages/webtorrent.ts');
const CLASS_TIMEOUT_MS = Number(process.env['TABSWARM_BENCH_CLASS_TIMEOUT_MS'] ?? 300_000);

async function startHost(classroom: Classroom, repoRoot: string): Promise<{ pagePort: number; trackerPort: number; stop: () => void }> {
  const script = path.join(repoRoot, 'test/bench/webtorrent-classroom-host.ts');
  const child = classroom.spawnIn(classroom.teacherNs, process.execPath, ['--import', 'tsx', script, repoRoot]);
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+) (\d+)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
    child.once('exit', () => reject(new Error(`webtorrent host exited: ${out}`)));
  });
  return { pagePort: ports[0], trackerPort: ports[1], stop: () => child.kill('SIGKILL') };
}

export async function webtorrentClass(classroom: Classroom, repoRoot: string, bytes: number): Promise<ClassTimes & { seedMs: number }> {
  const host = await startHost(classroom, repoRoot);
  const browsers: Browser[] = [];
  try {
    const pages: Page[] = [];
    for (const laptop of classroom.laptops) {
      const origin = `http://${laptop.teacherIp}:${host.pagePort}`;
      const browser = await chromium.launch({
        executablePath: await classroom.chromiumIn(laptop.ns), headless: true,
        // Host candidates as addresses, not mDNS names: nothing resolves those between namespaces (tabswarm gets
        // server-reflexive candidates from the teacher's STUN instead; WebTorrent's page has no ICE server).
        args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`, '--disable-features=WebRtcHideLocalIpsWithMdns'],
      });
      browsers.push(browser);
      const page = await browser.newPage();
      await page.goto(`${origin}/page/webtorrent`);
      await page.waitForFunction(() => document.title === 'ready');
      pages.push(page);
    }
    const tracker = (i: number) => `ws://${classroom.laptops[i]!.teacherIp}:${host.trackerPort}`;
    const seedStart = Date.now();
    const { magnet } = await withTimeout(pages[0]!.evaluate(([size, t]) => (benchPage as WtPage).seed(size, t, 'memory'), [bytes, tracker(0)] as const), CLASS_TIMEOUT_MS, 'webtorrent seed');
    const seedMs = Date.now() - seedStart;
    const timings: LeechTiming[] = await withTimeout(Promise.all(pages.slice(1).map((page, i) =>
      page.evaluate(([m, t]) => (benchPage as WtPage).leech(m, t, 'memory'), [magnet, tracker(i + 1)] as const))), CLASS_TIMEOUT_MS, 'webtorrent class');
    const t0 = Math.min(...timings.map((t) => t.addMs));
    return { finishS: timings.map((t) => (t.doneMs - t0) / 1000).sort((a, b) => a - b), seederSentPerFile: NaN, cpuBusy: NaN, classCpu: NaN, seedMs };
  } finally {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    host.stop();
  }
}
