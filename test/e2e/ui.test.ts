import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSnapshot } from '../../peer/snapshot-types.ts';
import { useHarness } from './harness-hooks.ts';

// The classroom page driven as people use it: by role and label. A teacher's tab creates a swarm and shares;
// students join by the short code typed with the keyboard, or by the link (on the LAN address when the test runs
// in its network namespace). Each test opens its own tabs, each in a browser profile of its own (another laptop),
// and fails if one of them logged a console error (a CSP violation is one). Screenshots of the main states go to
// test-results/ui/ (not committed).

const MiB = 1024 * 1024;
/** Big enough that C's download is still running when the mid-transfer screenshot is taken. */
const BIG = 40 * MiB;
const SHORT_CODE = /^[2-9A-HJKMNP-Z]{6}$/;
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
  const harness = useHarness({ noConsoleErrors: true });
  const small = { name: 'notes.txt', buffer: Buffer.from('Pieces find their file by route.\n'.repeat(4000)) };
  /** A few pieces: a piece map with something to show, fetched in a second. */
  const medium = { name: 'slides.bin', buffer: randomBytes(3 * MiB) };
  const big = { name: 'lecture.bin', buffer: randomBytes(BIG) };
  type PageFile = typeof small;
  // The files on disk, picked from there as a person's are: handed over as a 40 MiB buffer, setInputFiles ran out
  // of its 30 s twice on a loaded machine.
  let dir = '';
  const onDisk = (files: PageFile[]) => files.map((f) => path.join(dir, f.name));

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-ui-'));
    for (const file of [small, medium, big]) await writeFile(path.join(dir, file.name), file.buffer);
  });

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** A wide tab in a browser profile of its own, with its peer id; `nickname` set through the API. */
  async function openPage(url = harness().localUrl, nickname?: string): Promise<Page> {
    const { page } = await harness().openTab(url, { isolated: true });
    await page.setViewportSize(WIDE);
    await page.waitForFunction(() => /^[0-9a-f]{32}$/.test(document.getElementById('peer-id')?.textContent ?? ''));
    if (nickname !== undefined) await page.evaluate((n) => window.tabswarm!.setNickname(n), nickname);
    return page;
  }

  /** The teacher's tab: a swarm created with the button, `files` shared through the page; its link and code. */
  async function teacherSharing(...files: PageFile[]): Promise<{ teacher: Page; link: string; code: string }> {
    const teacher = await openPage(harness().localUrl, 'Teacher');
    await teacher.getByRole('button', { name: 'Create a swarm' }).click();
    const link = (await teacher.locator('#share-link[href*="#swarm="]').getAttribute('href'))!;
    await teacher.waitForFunction((hash) => location.hash === hash, new URL(link).hash); // files go to the swarm in the URL
    if (files.length > 0) await teacher.getByLabel('Files to share').setInputFiles(onDisk(files));
    for (const file of files) await waitForFile(teacher, file.name, 'complete', 60_000);
    await expect.poll(() => teacher.getByLabel('Short code').textContent()).toMatch(SHORT_CODE);
    return { teacher, link, code: (await teacher.getByLabel('Short code').textContent())! };
  }

  /** A student's tab (on the LAN address when there is one) that joined `link` and holds `files` complete. */
  async function studentWith(link: string, nickname: string, ...files: PageFile[]): Promise<Page> {
    const lan = harness().lanUrl();
    const student = await openPage(lan ?? harness().localUrl, nickname);
    await student.evaluate((l) => window.tabswarm!.joinSwarm(l), lan === null ? link : link.replace(harness().localUrl, lan));
    for (const file of files) await waitForFile(student, file.name, 'complete');
    return student;
  }

  it('ui: the start screen names every control and says files stay in the browser', async () => {
    const a = await openPage();
    await a.getByRole('button', { name: 'Create a swarm' }).waitFor();
    await expect.poll(() => a.getByText('Nothing is stored on the server').count()).toBe(1);
    await expect.poll(() => unnamedControls(a)).toEqual([]);
    await shot(a, '1-start');
  });

  it('ui: create a swarm shows its link, QR code and a short code; the nickname is set', async () => {
    const a = await openPage();
    await a.getByLabel('Your nickname').fill('Teacher');
    await a.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => a.evaluate(() => window.tabswarm!.snapshot().nickname)).toBe('Teacher');
    await a.getByRole('button', { name: 'Create a swarm' }).click();
    const shareLink = a.locator('#share-link[href*="#swarm="]');
    await shareLink.waitFor();
    const link = (await shareLink.getAttribute('href'))!;
    await expect.poll(() => new URL(a.url()).hash).toBe(new URL(link).hash);
    await expect.poll(() => a.getByLabel('Short code').textContent()).toMatch(SHORT_CODE);
    await expect.poll(() => a.getByRole('img', { name: 'QR code of the swarm link' }).isVisible()).toBe(true);
    await a.getByLabel('Files to share').setInputFiles(onDisk([small, medium]));
    await waitForFile(a, medium.name, 'complete', 60_000);
    await expect.poll(async () => (await fileOn(a, small.name))?.state).toBe('complete');
    await expect.poll(() => unnamedControls(a)).toEqual([]);
    await shot(a, '2-created-and-seeded');
  });

  it('ui: join by short code typed with the keyboard; the other tab shows the nickname and the files', async () => {
    const { code } = await teacherSharing(small);
    const b = await openPage();
    await b.getByLabel('Your nickname').fill('Student B');
    await b.getByLabel('Your nickname').press('Enter');
    await b.getByLabel('Swarm link or code').focus();
    await b.keyboard.type(code.toLowerCase());
    await b.keyboard.press('Enter');
    await b.getByRole('listitem', { name: 'Peer Teacher' }).waitFor({ timeout: 60_000 });
    await waitForFile(b, small.name, 'complete');
    await b.getByRole('button', { name: `Save ${small.name}` }).waitFor();
    await shot(b, '3-joined-by-code-complete');
  });

  it('ui: join by link; the piece map, its legend, the routing table and the log show where pieces came from', async () => {
    const { teacher: a, link } = await teacherSharing(small, big);
    const b = await studentWith(link, 'Student B', big);
    const lan = harness().lanUrl();
    const c = await openPage(lan ?? harness().localUrl);
    await c.getByLabel('Swarm link or code').fill(lan === null ? link : link.replace(harness().localUrl, lan));
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
    const { link } = await teacherSharing();
    const c = await openPage();
    const field = c.getByLabel('Swarm link or code');
    const kept = await field.evaluate(async (el, submitted) => {
      const input = el as HTMLInputElement;
      const button = input.form!.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      input.value = submitted;
      input.form!.requestSubmit(); // the join starts now and finishes later
      input.value = 'pasted meanwhile';
      while (button.disabled) await new Promise((r) => setTimeout(r, 20)); // until the join has finished
      return input.value;
    }, link);
    expect(kept).toBe('pasted meanwhile');
    await expect.poll(() => c.getByText('Joined. Files announced in the swarm appear below.').count()).toBe(1);
  });

  it('ui: Save downloads the finished file with its exact bytes', async () => {
    const { link } = await teacherSharing(medium);
    const c = await studentWith(link, 'Student C', medium);
    const [download] = await Promise.all([
      c.waitForEvent('download'),
      c.getByRole('button', { name: `Save ${medium.name}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(medium.name);
    const saved = await readFile((await download.path())!);
    expect(sha256(saved)).toBe(sha256(medium.buffer));
  });

  it('ui: a nickname with a text-direction override is refused on the page, saying why', async () => {
    const b = await openPage(harness().localUrl, 'Student B');
    await b.getByLabel('Your nickname').fill('Student\u202EB');
    await b.getByRole('button', { name: 'Rename' }).click();
    await expect.poll(() => b.getByRole('alert').filter({ hasText: 'Not renamed' }).textContent()).toMatch(/text-direction controls/);
    await expect.poll(() => b.evaluate(() => window.tabswarm!.snapshot().nickname)).toBe('Student B');
  });

  it('ui: a teacher\'s and a student\'s tab run under the page\'s Content-Security-Policy without one violation or error', async () => {
    const res = await fetch(harness().localUrl);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const { link } = await teacherSharing(small, medium);
    await studentWith(link, 'Student B', small, medium);
    expect(harness().consoleErrors).toEqual([]);
  });

  it('ui: at phone width the page is one column with nothing wider than the screen', async () => {
    const { link } = await teacherSharing(small, medium);
    const c = await studentWith(link, 'Student C', small, medium);
    await c.setViewportSize(PHONE);
    await expect.poll(() => c.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await shot(c, '5-phone');
  });
});
