import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { useHarness } from './harness-hooks.ts';

// The page for people who use a keyboard or a screen reader. Every step of the lesson is done with key presses
// only (Tab to a control, then type or press Enter), and axe-core audits each state the page goes through:
// start, swarm created, mid-download, complete, an error shown, phone width. Zero serious or critical findings.
// Each test opens its own tabs, each tab with a browser profile of its own: a test never relies on another's state.

const MiB = 1024 * 1024;
/** Big enough that B is still downloading while axe audits its page. */
const BIG = 96 * MiB;
const PHONE = { width: 390, height: 844 };
const small = { name: 'notes.txt', buffer: Buffer.from('Every piece knows its route.\n'.repeat(2000)) };
/** Several pieces, so the piece map has something to say, and fetched in a few seconds. */
const medium = { name: 'slides.bin', buffer: randomBytes(4 * MiB) };
const big = { name: 'lecture.bin', buffer: randomBytes(BIG) };

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would; fails if it is not
 * reachable that way, or if the focused control shows no focus indicator.
 */
async function tabTo(page: Page, target: Locator, backwards = false): Promise<void> {
  const element = await target.elementHandle({ timeout: 10_000 });
  for (let presses = 0; presses < 60; presses++) {
    if (await element!.evaluate((el) => el === document.activeElement)) {
      const visible = await element!.evaluate((el) => {
        // A visually hidden file input shows its focus on the label that stands for it.
        const shown = el.matches('.visually-hidden') ? document.querySelector(`label[for="${el.id}"]`) : el;
        const style = getComputedStyle(shown!);
        return (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none';
      });
      expect(visible, 'the focused control shows a focus indicator').toBe(true);
      return;
    }
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`could not reach ${String(target)} with the Tab key`);
}

const fileState = (page: Page, name: string): Promise<string | undefined> =>
  page.evaluate((n) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.name === n)?.state, name);

const SHORT_CODE = /^[2-9A-HJKMNP-Z]{6}$/;

describe('accessibility and keyboard use', () => {
  const harness = useHarness();
  let dir = ''; // the files to share, on disk as a person's are (Playwright hands over 50 MB only from disk)
  const onDisk = (...files: Array<{ name: string }>) => files.map((f) => path.join(dir, f.name));

  /** Each test's tabs are its own: a browser profile of their own (no swarm or file left by another test). */
  async function openTab(): Promise<Page> {
    const { page } = await harness().openTab(harness().localUrl, { isolated: true });
    await page.waitForFunction(() => window.tabswarm?.snapshot().server === 'connected');
    return page;
  }

  /** A teacher tab sharing `files` in a new swarm, picked with the mouse-free input directly (not what is tested). */
  async function teacherSharing(...files: Array<{ name: string }>): Promise<{ teacher: Page; code: string }> {
    const teacher = await openTab();
    await teacher.evaluate(() => window.tabswarm!.setNickname('Teacher'));
    await teacher.getByLabel('Files to share').setInputFiles(onDisk(...files));
    await teacher.waitForFunction((n) => window.tabswarm!.snapshot().swarms[0]?.files.filter((f) => f.seeded).length === n,
      files.length, { timeout: 60_000 });
    const code = teacher.getByLabel('Short code').filter({ hasText: SHORT_CODE });
    await code.waitFor();
    return { teacher, code: (await code.textContent())! };
  }

  /** A student tab that joined the teacher's swarm by its code and holds `file` complete. */
  async function studentWith(code: string, file: { name: string }): Promise<Page> {
    const student = await openTab();
    await student.evaluate(() => window.tabswarm!.setNickname('Student'));
    await student.evaluate((c) => window.tabswarm!.joinSwarm(c), code);
    await student.waitForFunction((n) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.name === n)?.state === 'complete',
      file.name, { timeout: 120_000 });
    return student;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-a11y-'));
    for (const file of [small, medium, big]) await writeFile(path.join(dir, file.name), file.buffer);
  });

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('a11y: the start screen has no serious or critical accessibility findings', async () => {
    expect(await seriousViolations(await openTab())).toEqual([]);
  });

  it('keyboard: the teacher sets a nickname, creates a swarm and shares two files with keys only', async () => {
    const a = await openTab();
    await tabTo(a, a.getByLabel('Your nickname'));
    await a.keyboard.type('Teacher');
    await a.keyboard.press('Enter');
    await a.waitForFunction(() => window.tabswarm!.snapshot().nickname === 'Teacher');
    await tabTo(a, a.getByRole('button', { name: 'Create a swarm' }));
    await a.keyboard.press('Enter');
    await a.getByLabel('Short code').filter({ hasText: SHORT_CODE }).waitFor();
    // Listen before moving there: Playwright intercepts file choosers only once its listener's subscription reached
    // the browser, which it sends without waiting. A key press, unlike a click, has no round trips of its own
    // before it is dispatched: fired together with the listener, it sometimes won that race (one in three tries on
    // a loaded machine), and headless Chromium cancelled the unintercepted chooser at once.
    const chooser = a.waitForEvent('filechooser');
    await tabTo(a, a.getByLabel('Files to share')); // at least one round trip to the page
    await a.keyboard.press('Enter');
    await (await chooser).setFiles(onDisk(small, medium)); // the browser's dialog, not the page
    await a.waitForFunction(() => window.tabswarm!.snapshot().swarms[0]?.files.filter((f) => f.seeded).length === 2,
      undefined, { timeout: 60_000 });
    expect(await seriousViolations(a)).toEqual([]);
  });

  it('keyboard: a student joins by the short code with keys only; mid-download the page has no serious findings', async () => {
    const { code } = await teacherSharing(big);
    const b = await openTab();
    await tabTo(b, b.getByLabel('Your nickname'));
    await b.keyboard.type('Student');
    await b.keyboard.press('Enter');
    await tabTo(b, b.getByLabel('Swarm link or code'));
    await b.keyboard.type(code.toLowerCase());
    await b.keyboard.press('Enter');
    await b.waitForFunction((n) => {
      const f = window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((x) => x.name === n);
      return f !== undefined && f.piecesHad > 0;
    }, big.name, { polling: 20, timeout: 60_000 });
    expect(await fileState(b, big.name)).toBe('downloading');
    expect(await seriousViolations(b)).toEqual([]);
  });

  it('a11y: a screen reader hears where pieces came from: the piece map, its legend and the event log are named', async () => {
    const { code } = await teacherSharing(small, medium);
    const b = await studentWith(code, medium);
    const card = b.locator('li.file-card', { hasText: medium.name });
    const pieces = await b.evaluate((n) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.name === n)!.pieceCount, medium.name);
    await expect.poll(() => card.ariaSnapshot()).toMatch(new RegExp(`img "Piece map of slides\\.bin: ${pieces} of ${pieces} pieces, ${pieces} from Teacher"`));
    await expect.poll(() => card.getByRole('list', { name: 'Piece map legend' }).ariaSnapshot()).toMatch(/from Teacher \d+/);
    const log = b.getByRole('log', { name: 'Event log' });
    await expect.poll(() => log.ariaSnapshot()).toMatch(/slides\.bin is complete and verified/);
    const heard = await log.ariaSnapshot();
    expect(heard).toMatch(/Joined swarm [0-9a-f]{8}: 1 other member\(s\), 2 file\(s\) announced/);
    expect(heard).toMatch(/Connected to Teacher/);
    expect(await seriousViolations(b)).toEqual([]);
  });

  it('keyboard: the student saves the finished file with keys only; the bytes are exact', async () => {
    const { code } = await teacherSharing(small);
    const b = await studentWith(code, small);
    await tabTo(b, b.getByRole('button', { name: `Save ${small.name}` }));
    const [download] = await Promise.all([b.waitForEvent('download'), b.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe(small.name);
    const saved = await readFile((await download.path())!);
    expect(createHash('sha256').update(saved).digest('hex')).toBe(createHash('sha256').update(small.buffer).digest('hex'));
  });

  it('a11y: an error shown (a code that names no swarm) and the phone-width layout have no serious findings', async () => {
    const b = await openTab();
    await tabTo(b, b.getByLabel('Swarm link or code'));
    await b.keyboard.type('ZZZZZZ');
    await b.keyboard.press('Enter');
    await b.getByRole('status').filter({ hasText: /Could not join/ }).waitFor();
    expect(await seriousViolations(b)).toEqual([]);
    await b.setViewportSize(PHONE);
    expect(await seriousViolations(b)).toEqual([]);
  });
});
