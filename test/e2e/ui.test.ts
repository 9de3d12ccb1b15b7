import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSnapshot } from '../../peer/snapshot-types.ts';
import { removeBuiltPage, startHarness, type Harness } from './harness.ts';

// The classroom page driven as people use it: by role and label. Three tabs: A (the teacher) creates and
// seeds; B joins by short code, typed with the keyboard; C joins by opening the link (on the LAN address
// when the test runs in its network namespace) and downloads from A and B at once. Screenshots of the main
// states go to test-results/ui/ (not committed).

const MiB = 1024 * 1024;
/** Big enough that C's download is still running when the mid-transfer screenshot is taken. */
const BIG = 40 * MiB;
const SHOTS = path.resolve('test-results/ui');
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fileOn(page: Page, name: string): Promise<FileSnapshot | undefined> {
  return page.evaluate((n) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.name === n), name);
}

/** 'complete', or at least `fraction` of the pieces had with pieces received from at least `sources` peers. */
type FileGoal = 'complete' | { fraction: number; sources: number };

async function waitForFile(page: Page, name: string, goal: FileGoal, timeout = 120_000): Promise<void> {
  try {
    await page.waitForFunction(([n, g]) => {
      const f = window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((x) => x.name === n);
      if (f === undefined) return false;
      if (g === 'complete') return f.state === 'complete';
      return f.piecesHad >= f.pieceCount * g.fraction && Object.keys(f.sources).length >= g.sources;
    }, [name, goal] as const, { timeout, polling: 100 });
  } catch (e) {
    const snap = await page.evaluate(() => window.tabswarm!.snapshot()).catch(() => null);
    const files = snap?.swarms.flatMap((s) => s.files.map(({ name: n, state, piecesHad, sources, holders }) => ({ n, state, piecesHad, sources, holders })));
    throw new Error(`${String(e)}\nfiles: ${JSON.stringify(files)}\npeers: ${JSON.stringify(snap?.peers.map((p) => [p.peerId, p.linkState]))}`);
  }
}

const peerIdOf = (page: Page): Promise<string> => page.evaluate(() => window.tabswarm!.snapshot().peerId!);

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** Controls whose accessible name is empty, from Playwright's accessibility snapshot. */
async function unnamedControls(page: Page): Promise<string[]> {
  const tree = await page.locator('body').ariaSnapshot();
  return tree.split('\n').filter((line) => /^\s*- (button|textbox|combobox|link|checkbox)\s*(\[.*\])?:?\s*$/.test(line));
}

describe('classroom page', () => {
  let harness: Harness;
  let a: Page;
  let b: Page;
  let c: Page;
  let code = '';
  let link = '';
  let linkForC = '';
  const small = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Pieces find their file by route.\n'.repeat(4000)) };
  const big = { name: 'lecture.bin', mimeType: 'application/octet-stream', buffer: randomBytes(BIG) };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    harness = await startHarness();
    a = (await harness.openTab(harness.localUrl)).page;
    await a.setViewportSize(WIDE);
  });

  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });

  it('ui: the start screen names every control and says files stay in the browser', async () => {
    await a.getByRole('button', { name: 'Create a swarm' }).waitFor();
    await a.waitForFunction(() => /^[0-9a-f]{32}$/.test(document.getElementById('peer-id')?.textContent ?? ''));
    await expect.poll(() => a.getByText('Nothing is stored on the server').count()).toBe(1);
    await expect.poll(() => unnamedControls(a)).toEqual([]);
    await shot(a, '1-start');
  });

  it('ui: create a swarm shows its link, QR code and a short code; the nickname is set', async () => {
    await a.getByLabel('Your nickname').fill('Teacher');
    await a.getByRole('button', { name: 'Rename' }).click();
    await a.getByRole('button', { name: 'Create a swarm' }).click();
    const shareLink = a.locator('#share-link[href*="#swarm="]');
    await shareLink.waitFor();
    link = (await shareLink.getAttribute('href'))!;
    await expect.poll(() => new URL(a.url()).hash).toBe(new URL(link).hash);
    await expect.poll(() => a.getByLabel('Short code').textContent()).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
    code = (await a.getByLabel('Short code').textContent())!;
    await expect.poll(() => a.getByRole('img', { name: 'QR code of the swarm link' }).isVisible()).toBe(true);
    await a.getByLabel('Files to share').setInputFiles([small, big]);
    await waitForFile(a, big.name, 'complete', 60_000);
    await expect.poll(async () => (await fileOn(a, small.name))?.state).toBe('complete');
    await expect.poll(() => unnamedControls(a)).toEqual([]);
    await shot(a, '2-created-and-seeded');
  });

  it('ui: join by short code typed with the keyboard; the other tab shows the nickname and the files', async () => {
    b = (await harness.openTab(harness.localUrl)).page;
    await b.setViewportSize(WIDE);
    await b.getByLabel('Your nickname').fill('Student B');
    await b.getByLabel('Your nickname').press('Enter');
    await b.getByLabel('Swarm link or code').focus();
    await b.keyboard.type(code.toLowerCase());
    await b.keyboard.press('Enter');
    await b.getByRole('listitem', { name: 'Peer Teacher' }).waitFor({ timeout: 60_000 });
    await waitForFile(b, big.name, 'complete');
    await b.getByRole('button', { name: `Save ${small.name}` }).waitFor();
    await shot(b, '3-joined-by-code-complete');
  });

  it('ui: join by link; the piece map, its legend, the routing table and the log show where pieces came from', async () => {
    const lan = harness.lanUrl();
    c = (await harness.openTab(lan ?? harness.localUrl)).page;
    await c.setViewportSize(WIDE);
    linkForC = lan === null ? link : link.replace(harness.localUrl, lan);
    await c.getByLabel('Swarm link or code').fill(linkForC);
    await c.getByRole('button', { name: 'Join swarm' }).click();
    // Two sources at once is the engine's promise (transfer.test.ts); here the page must show whatever happened.
    await waitForFile(c, big.name, { fraction: 0.3, sources: 1 });
    await shot(c, '4-mid-transfer');
    await c.locator('#files-panel').screenshot({ path: path.join(SHOTS, '4-mid-transfer-files.png') });
    await waitForFile(c, big.name, 'complete');
    await a.waitForFunction(() => window.tabswarm!.snapshot().peers.length >= 2); // C is linked to A and B
    const names = new Map([[await peerIdOf(a), 'Teacher'], [await peerIdOf(b), 'Student B']]);
    const sources = Object.keys((await fileOn(c, big.name))!.sources);
    expect(sources.length).toBeGreaterThan(0);
    const card = c.locator('li.file-card', { hasText: big.name });
    for (const peerId of sources) {
      await expect.poll(() => card.getByRole('list', { name: 'Piece map legend' }).textContent()).toContain(`from ${names.get(peerId)}`);
    }
    const pieces = (await fileOn(c, big.name))!.pieceCount;
    const mapName = new RegExp(`^Piece map of lecture\\.bin: ${pieces} of ${pieces} pieces`);
    await expect.poll(() => card.getByRole('img', { name: mapName }).count()).toBe(1);
    await expect.poll(() => c.getByRole('table').textContent()).toContain(big.name);
    const log = c.getByRole('log', { name: 'Event log' });
    await expect.poll(() => log.textContent()).toContain('lecture.bin is complete and verified');
    await expect.poll(() => log.textContent()).toMatch(/Joined swarm [0-9a-f]{8}: \d other member\(s\), 2 file\(s\) announced/);
  });

  it('ui: a link pasted into the join field while a join runs is kept when that join finishes', async () => {
    const field = c.getByLabel('Swarm link or code');
    const kept = await field.evaluate(async (el, submitted) => {
      const input = el as HTMLInputElement;
      const button = input.form!.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      input.value = submitted;
      input.form!.requestSubmit(); // the join starts now and finishes later
      input.value = 'pasted meanwhile';
      while (button.disabled) await new Promise((r) => setTimeout(r, 20)); // until the join has finished
      return input.value;
    }, linkForC);
    expect(kept).toBe('pasted meanwhile');
    await expect.poll(() => c.getByText('Joined. Files announced in the swarm appear below.').count()).toBe(1);
    await field.fill('');
  });

  it('ui: Save downloads the finished file with its exact bytes', async () => {
    const [download] = await Promise.all([
      c.waitForEvent('download'),
      c.getByRole('button', { name: `Save ${big.name}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(big.name);
    const saved = await readFile((await download.path())!);
    expect(sha256(saved)).toBe(sha256(big.buffer));
  });

  it('ui: a nickname with a text-direction override is refused on the page, saying why', async () => {
    await b.getByLabel('Your nickname').fill('Student\u202EB');
    await b.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => b.getByRole('alert').filter({ hasText: 'Not renamed' }).textContent()).toMatch(/text-direction controls/);
    await expect.poll(() => b.evaluate(() => window.tabswarm!.snapshot().nickname)).toBe('Student B');
  });

  it('ui: every tab ran under the page\'s Content-Security-Policy without one violation or error', async () => {
    const res = await fetch(harness.localUrl);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(harness.consoleErrors).toEqual([]);
  });

  it('ui: at phone width the page is one column with nothing wider than the screen', async () => {
    await c.setViewportSize(PHONE);
    await expect.poll(() => c.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await shot(c, '5-phone');
  });
});
