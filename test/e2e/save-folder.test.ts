import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareWithConsole } from '../../node-peer/share-console.ts';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { playwrightTab, type BrowserName, type BrowserTab } from './browser-tab.ts';
import { hasFirefox } from './firefox.ts';
import { lanIp, removeBuiltPage, startHarness, type Harness } from './harness.ts';
import { joinThroughPage, MiB, ready } from './tabs.ts';

// The teacher's folder arrives as a folder, in Chromium and in Firefox: a nested folder shared from the Node
// sharer shows as a tree in the page; "Save all" downloads one zip whose entries (names and bytes) are the
// folder's, "Save folder" the zip of one subfolder, and Save of one file its exact bytes under its own name.

const FOLDER: Record<string, Buffer> = {
  'README.md': Buffer.from('# Lab 9\nUnzip me.\n'),
  'ex1/data.csv': randomBytes(MiB + 12_345),
  'ex1/run.py': Buffer.from('print("hello")\n'),
  'ex2/notes two.txt': Buffer.from('A name with a space.\n'.repeat(100)),
  'ex2/deep/image.bin': randomBytes(2 * MiB),
};

/** Every entry of a zip on disk: name → bytes (read back by Info-ZIP's unzip, which also checks each CRC-32). */
function unzipAll(zipPath: string): Map<string, Buffer> {
  execFileSync('unzip', ['-tq', zipPath]);
  const names = execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n');
  return new Map(names.map((n) => [n, execFileSync('unzip', ['-p', zipPath, n], { maxBuffer: 64 * MiB })]));
}

const expected = (prefix: string, strip = '') => new Map(Object.entries(FOLDER)
  .filter(([rel]) => `lab9/${rel}`.startsWith(prefix))
  .map(([rel, bytes]) => [`lab9/${rel}`.slice(strip.length), bytes]));

describe.skipIf(lanIp() === null)('save a shared folder', () => {
  let harness: Harness;
  let work = '';
  let link = '';
  let shared: Awaited<ReturnType<typeof shareWithConsole>>['sharing'];
  let stop = () => undefined as void;

  beforeAll(async () => {
    harness = await startHarness();
    work = await mkdtemp(path.join(tmpdir(), 'tabswarm-save-folder-'));
    for (const [rel, bytes] of Object.entries(FOLDER)) {
      await mkdir(path.dirname(path.join(work, 'lab9', rel)), { recursive: true });
      await writeFile(path.join(work, 'lab9', rel), bytes);
    }
    const sharer = await shareWithConsole({
      paths: [path.join(work, 'lab9')], server: harness.localUrl, cacheDir: path.join(work, 'cache'), log: () => undefined,
    });
    stop = () => sharer.stop();
    shared = sharer.sharing;
    link = shared.link.replace(harness.localUrl, harness.lanUrl()!);
  });

  afterAll(async () => {
    stop();
    await harness?.close();
    await removeBuiltPage();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('save folder (chromium, secure context): Save into a folder… writes every file under its path, bytes exact', async () => {
    // 127.0.0.1 is a secure context, so File System Access exists; the picker (a native dialog) is replaced by the
    // origin-private file system's root, which is the same FileSystemDirectoryHandle API the picked folder has.
    const page = (await harness.openTab(harness.localUrl)).page;
    const tab = playwrightTab(page);
    await ready(tab);
    await joinThroughPage(tab, shared.link);
    await tab.waitFor((n) => (window.tabswarm!.snapshot().swarms[0]?.files ?? []).filter((f) => f.state === 'complete').length === n,
      Object.keys(FOLDER).length, { timeout: 60_000 });
    await page.evaluate(() => {
      (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = () => navigator.storage.getDirectory();
    });
    await page.getByRole('button', { name: 'Save into a folder…' }).click();
    await page.getByRole('status').filter({ hasText: /Saved lab9: 5 file\(s\)/ }).waitFor();
    const written = await page.evaluate(async (paths) => {
      const out: Record<string, string> = {};
      for (const p of paths) {
        let dir = await navigator.storage.getDirectory();
        const parts = p.split('/');
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
        const bytes = await (await (await dir.getFileHandle(parts.at(-1)!)).getFile()).arrayBuffer();
        out[p] = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
      }
      return out;
    }, Object.keys(FOLDER).map((rel) => `lab9/${rel}`));
    for (const [rel, bytes] of Object.entries(FOLDER)) {
      expect(written[`lab9/${rel}`], rel).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    await page.close();
  });

  describe.each(['chromium', 'firefox'] as BrowserName[])('in %s', (browser) => {
    let tab: BrowserTab;
    let chromiumPage: Page | null = null; // for axe-core and key presses (Playwright only)

    // One tab per browser holds the downloaded folder; each test only reads it (and restores what it toggles).
    beforeAll(async () => {
      if (browser === 'firefox' && !hasFirefox()) return;
      if (browser === 'chromium') {
        chromiumPage = (await harness.openTab(harness.lanUrl()!)).page;
        tab = playwrightTab(chromiumPage);
      } else {
        tab = await harness.open(harness.lanUrl()!, browser);
      }
      await ready(tab);
      await joinThroughPage(tab, link);
      await tab.waitFor((n) => {
        const files = window.tabswarm!.snapshot().swarms[0]?.files ?? [];
        return files.length === n && files.every((f) => f.state === 'complete');
      }, Object.keys(FOLDER).length, { timeout: 60_000 });
    });

    it.skipIf(browser === 'firefox' && !hasFirefox())(`save folder (${browser}): the tree shows the nested folders with sizes; collapsing hides a folder`, async () => {
      const tree = await tab.waitFor(() => {
        const folders = [...document.querySelectorAll('li.folder')].map((li) => li.getAttribute('data-path'));
        const summary = document.querySelector('.tree-summary')?.textContent ?? '';
        return folders.length === 4 && /5 files .* 100 % · 5 complete/.test(summary) ? { folders, summary } : null;
      });
      expect(tree.folders).toEqual(['lab9', 'lab9/ex1', 'lab9/ex2', 'lab9/ex2/deep']);
      const inEx1 = await tab.evaluate(() => [...document.querySelectorAll('li.folder[data-path="lab9/ex1"] li.file-card .file-name')]
        .map((el) => el.textContent));
      expect(inEx1).toEqual(['data.csv', 'run.py']);
      if (chromiumPage) {
        expect(await seriousViolations(chromiumPage)).toEqual([]);
        await chromiumPage.focus('li.folder[data-path="lab9/ex2"] .folder-toggle');
        await chromiumPage.keyboard.press('Enter');
      } else {
        await tab.click('li.folder[data-path="lab9/ex2"] .folder-toggle');
      }
      expect(await tab.evaluate(() => {
        const toggle = document.querySelector('li.folder[data-path="lab9/ex2"] .folder-toggle')!;
        return [toggle.getAttribute('aria-expanded'), document.getElementById(toggle.getAttribute('aria-controls')!)!.hidden];
      })).toEqual(['false', true]);
      await tab.click('li.folder[data-path="lab9/ex2"] .folder-toggle');
    });

    it.skipIf(browser === 'firefox' && !hasFirefox())(`save folder (${browser}): Save all downloads lab9.zip holding exactly the folder`, async () => {
      const saved = await tab.download('button[aria-label="Save all"]');
      expect(saved.name).toBe('lab9.zip');
      const entries = unzipAll(saved.path);
      expect([...entries.keys()].sort()).toEqual([...expected('lab9/').keys()].sort());
      for (const [name, bytes] of expected('lab9/')) expect(Buffer.compare(entries.get(name)!, bytes), name).toBe(0);
      await tab.waitFor(() => /Saved lab9\.zip: 5 file\(s\)/.test(document.querySelector('.save-text')?.textContent ?? ''));
    });

    it.skipIf(browser === 'firefox' && !hasFirefox())(`save folder (${browser}): Save folder saves one subfolder as its own zip; Save one file, its bytes`, async () => {
      const folder = await tab.download('button[aria-label="Save folder lab9/ex2 as a zip"]');
      expect(folder.name).toBe('ex2.zip');
      const entries = unzipAll(folder.path);
      expect([...entries.keys()].sort()).toEqual(['ex2/deep/image.bin', 'ex2/notes two.txt']);
      for (const [name, bytes] of expected('lab9/ex2/', 'lab9/')) expect(Buffer.compare(entries.get(name)!, bytes), name).toBe(0);

      const one = await tab.download('button[aria-label="Save lab9/ex1/data.csv"]');
      expect(one.name).toBe('data.csv');
      expect(Buffer.compare(await readFile(one.path), FOLDER['ex1/data.csv']!)).toBe(0);
    });
  });
});
