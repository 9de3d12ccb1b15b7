import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { FileSnapshot, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import type { BrowserName, BrowserTab } from './browser-tab.ts';
import type { Harness } from './harness.ts';

// Helpers for driving tabs (Chromium or Firefox) through the page and reading window.tabswarm.

export interface TestFile {
  name: string;
  buffer: Buffer;
  sha256: string;
}

export function randomFile(name: string, bytes: number): TestFile {
  const buffer = randomBytes(bytes);
  return { name, buffer, sha256: createHash('sha256').update(buffer).digest('hex') };
}

export const snapshotOf = (page: BrowserTab): Promise<TabswarmSnapshot> => page.evaluate(() => window.tabswarm!.snapshot());

export async function fileIn(page: BrowserTab, fileId: string): Promise<FileSnapshot | undefined> {
  const snap = await snapshotOf(page);
  return snap.swarms.flatMap((s) => s.files).find((f) => f.fileId === fileId);
}

/** Waits until window.tabswarm exists and the tab has its peerId. */
export function ready(page: BrowserTab): Promise<string> {
  return page.waitFor(() => window.tabswarm?.snapshot().peerId);
}

/** A tab in a browser profile of its own (another laptop's browser) on `url`, once it has its peer id. */
export async function openLaptop(harness: Harness, url: string, browser: BrowserName = 'chromium'): Promise<{ tab: BrowserTab; id: string }> {
  const tab = await harness.open(url, browser, { isolated: true });
  return { tab, id: await ready(tab) };
}

/** The same join link on the namespace's LAN address, as a second laptop opens it. */
export const onLan = (harness: Harness, link: string): string => link.replace(harness.localUrl, harness.lanUrl()!);

/** Creates a swarm with `tab`'s page and shares `file` into it through the page; returns the join link and fileId. */
export async function shareInNewSwarm(tab: BrowserTab, file: TestFile): Promise<{ link: string; fileId: string }> {
  const link = await createThroughPage(tab);
  return { link, fileId: await seedThroughPage(tab, file) };
}

/**
 * Shares a file the tab does not hold yet through the page's file input, into the swarm in the page's URL;
 * returns its fileId. A file of the same name seeded before (say, by a failed attempt of the test) is not it.
 */
export async function seedThroughPage(page: BrowserTab, file: TestFile): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-seed-'));
  try {
    const held = (await snapshotOf(page)).swarms.flatMap((s) => s.files).map((f) => f.fileId);
    await writeFile(path.join(dir, file.name), file.buffer);
    await page.setInputFiles('#seed-input', [path.join(dir, file.name)]);
    return await page.waitFor(
      ([name, before]) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files)
        .find((f) => f.name === name && f.seeded && !before.includes(f.fileId))?.fileId,
      [file.name, held] as const, { timeout: 60_000 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true }); // seeded: every piece is in the tab's store
  }
}

/** Joins through the page's join form, as a person pasting a link; resolves once the tab is in the swarm. */
export async function joinThroughPage(page: BrowserTab, link: string): Promise<void> {
  const swarmId = /#swarm=([0-9a-f]{32})/.exec(link)![1]!;
  await page.fill('#join-input', link);
  await page.click('form.join-form button[type="submit"]');
  await page.waitFor((id) => window.tabswarm!.snapshot().swarms.some((s) => s.swarmId === id), swarmId);
  // The form clears its input once the join settled: typing before that would be wiped.
  await page.waitFor(() => (document.getElementById('join-input') as HTMLInputElement | null)?.value === '');
}

/** Creates a swarm with the page's button; returns the join link the page shows for it. */
export async function createThroughPage(page: BrowserTab): Promise<string> {
  const before = await page.evaluate(() => location.hash);
  await page.click('#create-swarm');
  const hash = await page.waitFor((old) => /^#swarm=[0-9a-f]{32}$/.test(location.hash) && location.hash !== old && location.hash, before);
  return page.waitFor((h) => document.querySelector(`#share-link[href$="${h}"]`)?.getAttribute('href'), hash);
}

export function waitForFile(page: BrowserTab, fileId: string, test: 'complete' | { piecesHad: number }, timeout = 120_000) {
  return page.waitFor(([id, t]) => {
    const f = window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((x) => x.fileId === id);
    if (!f) return false;
    return t === 'complete' ? f.state === 'complete' : f.piecesHad >= t.piecesHad;
  }, [fileId, test] as const, { timeout, polling: 50 });
}

/**
 * Every piece of `file` came from one of `holders` (each piece counted once). Which holder served which piece is
 * not a promise: seed-once lets a busy initial seeder leave to another holder the pieces it holds, and a link
 * that comes up later gets less (on a loaded machine one holder served all 24 pieces); the pieces from each
 * are logged. The engine's own two-sources promise is a unit test (swarm engine: two peers at once).
 */
export function expectPiecesFrom(file: FileSnapshot, holders: Record<string, string>): void {
  const names = Object.fromEntries(Object.entries(holders).map(([name, id]) => [id, name]));
  console.log(`${file.name}: pieces from ${Object.entries(file.sources).map(([id, n]) => `${names[id] ?? id} ${n}`).join(', ')}`);
  expect(Object.keys(file.sources).every((id) => id in names), JSON.stringify(file.sources)).toBe(true);
  expect(Object.values(file.sources).reduce((sum, n) => sum + n, 0)).toBe(file.pieceCount);
}

export const sha256Of = (page: BrowserTab, fileId: string): Promise<string> =>
  page.evaluate((id) => window.tabswarm!.sha256(id), fileId);

export const MiB = 1024 * 1024;
export const mbPerSecond = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1);
