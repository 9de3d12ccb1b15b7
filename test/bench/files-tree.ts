import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shareWithConsole } from '../../node-peer/share-console.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { median, percentile, round2 } from './lib/stats.ts';
import { closeForGood, startTabswarmServer, tabswarmReady } from './lib/tabswarm-tabs.ts';
import { withTimeout } from './lib/timeout.ts';

// The page's main-thread time per snapshot update while a 256-file folder downloads (the teacher's lab9 shared
// by the Node sharer; 16 folders of 16 files). The page measures each render (`tabswarm:render`: snapshot plus
// every panel), the engine's snapshot within it (`tabswarm:snapshot`) and the file tree's part
// (`tabswarm:files-render`); a PerformanceObserver in the tab collects them from the join to the last file
// complete. Two views: the default (the top folder open, subfolders closed: what a student sees) and every
// folder open (every row on screen and updated). The share of wall time spent rendering is the cost to a tab.

const FOLDERS = 16;
const PER_FOLDER = 16;
const DOWNLOAD_TIMEOUT_MS = 300_000;

type Entry = [name: string, ms: number];

function stats(entries: Entry[], name: string) {
  const ms = entries.filter(([n]) => n === name).map(([, d]) => d);
  return { median: round2(median(ms)), p95: round2(percentile(ms, 95)), max: round2(Math.max(0, ...ms)), sum: ms.reduce((a, b) => a + b, 0), n: ms.length };
}

async function writeLab(dir: string, fileBytes: number): Promise<string> {
  const lab = path.join(dir, 'lab9');
  for (let f = 1; f <= FOLDERS; f++) {
    const folder = path.join(lab, `ex${f}`, f % 2 === 0 ? 'data' : '');
    await mkdir(folder, { recursive: true });
    for (let i = 1; i <= PER_FOLDER; i++) await writeFile(path.join(folder, `part${i}.bin`), randomBytes(fileBytes));
  }
  return lab;
}

export const filesTreeBench: Bench = {
  name: 'files-tree',
  async run(ctx: BenchContext) {
    const fileBytes = ctx.quick ? 128 * 1024 : 512 * 1024;
    const work = await mkdtemp(path.join(tmpdir(), 'tabswarm-bench-tree-'));
    const server = await startTabswarmServer();
    const bb = await launchDiskBrowser();
    let stop = () => undefined as void;
    try {
      const shared = await shareWithConsole({
        paths: [await writeLab(work, fileBytes)], server: server.url, cacheDir: path.join(work, 'cache'), log: () => undefined,
      });
      stop = () => shared.stop();
      for (const view of ['default', 'all-open'] as const) {
        const [page] = await bb.openTabs(server.url, 1, tabswarmReady);
        await page!.evaluate(() => {
          const seen: [string, number][] = [];
          (window as unknown as { __renders: typeof seen }).__renders = seen;
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) if (e.name.startsWith('tabswarm:')) seen.push([e.name, e.duration]);
          }).observe({ type: 'measure' });
        });
        const started = Date.now();
        await page!.evaluate((link) => window.tabswarm!.joinSwarm(link), shared.sharing.link);
        if (view === 'all-open') {
          await page!.waitForFunction((n) => document.querySelectorAll('li.folder').length >= n, FOLDERS);
          await page!.evaluate(() => document.querySelectorAll<HTMLButtonElement>('.folder-toggle[aria-expanded="false"]').forEach((b) => b.click()));
        }
        await withTimeout(page!.waitForFunction((n) => {
          const files = window.tabswarm!.snapshot().swarms[0]?.files ?? [];
          return files.length === n && files.every((f) => f.state === 'complete');
        }, FOLDERS * PER_FOLDER, { timeout: 0, polling: 200 }), DOWNLOAD_TIMEOUT_MS, 'the 256-file download');
        const seconds = (Date.now() - started) / 1000;
        const entries = await page!.evaluate(() => (window as unknown as { __renders: [string, number][] }).__renders);
        const page_ = stats(entries, 'tabswarm:render');
        const files = stats(entries, 'tabswarm:files-render');
        const snapshot = stats(entries, 'tabswarm:snapshot');
        ctx.emit({
          bench: 'files-tree', config: { files: FOLDERS * PER_FOLDER, fileBytes, view, browser: 'chromium' },
          value: {
            renderMsMedian: page_.median, renderMsP95: page_.p95, renderMsMax: page_.max, renders: page_.n,
            filesRenderMsMedian: files.median, filesRenderMsP95: files.p95, snapshotMsMedian: snapshot.median,
            renderShareOfWallPercent: round2((100 * page_.sum) / (seconds * 1000)), downloadSeconds: round2(seconds),
          },
          baseline: null, ratio: null,
        });
        await closeForGood(page!);
      }
    } finally {
      stop();
      await bb.close();
      await server.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};
