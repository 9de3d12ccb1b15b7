import { describe, expect, it } from 'vitest';
import { hasFirefox } from './firefox.ts';
import { lanIp } from './harness.ts';
import { useHarness } from './harness-hooks.ts';
import {
  createThroughPage, expectPiecesFrom, fileIn, joinThroughPage, mbPerSecond, MiB, onLan, openLaptop, randomFile, ready, shareInNewSwarm, sha256Of, snapshotOf, waitForFile,
} from './tabs.ts';

// Firefox ESR and Chromium tabs in one class. A and B are Chromium tabs on 127.0.0.1; F is a Firefox tab on the
// namespace's LAN address (a second laptop: not a secure context). Same harness and helpers as the Chromium
// tests; Firefox is driven over WebDriver BiDi (test/e2e/firefox.ts). Each test opens its own tabs, each in a
// browser profile of its own, and fails if one of them logged a console error.

const BIG = 24 * MiB;

describe.skipIf(lanIp() === null || !hasFirefox())('Firefox and Chromium tabs', () => {
  const harness = useHarness({ noConsoleErrors: true });
  const chromiumTab = () => openLaptop(harness(), harness().localUrl);
  const firefoxTab = () => openLaptop(harness(), harness().lanUrl()!, 'firefox');
  /** The LAN link a Firefox tab shows, as a Chromium tab on 127.0.0.1 opens it. */
  const onLoopback = (link: string) => link.replace(harness().lanUrl()!, harness().localUrl);

  it('firefox: a Firefox tab on the LAN address downloads a file a Chromium tab shares, intact', async () => {
    const file = randomFile('to-firefox.bin', BIG);
    const a = await chromiumTab();
    const { link, fileId } = await shareInNewSwarm(a.tab, file);
    const f = await firefoxTab();
    const started = Date.now();
    await joinThroughPage(f.tab, onLan(harness(), link));
    await waitForFile(f.tab, fileId, 'complete');
    console.log(`[${await f.tab.evaluate(() => navigator.userAgent)}] Chromium→Firefox 24 MiB in ${Date.now() - started} ms ` +
      `(${mbPerSecond(BIG, Date.now() - started)} MB/s, incl. join + connect)`);
    expect(await sha256Of(f.tab, fileId)).toBe(file.sha256);
    expect((await fileIn(f.tab, fileId))!.sources).toEqual({ [a.id]: (await fileIn(f.tab, fileId))!.pieceCount });
    expect((await snapshotOf(f.tab)).secureContext).toBe(false);
  });

  it('firefox: a Chromium tab downloads a file shared through the Firefox tab\'s page, intact', async () => {
    const file = randomFile('from-firefox.bin', 8 * MiB);
    const f = await firefoxTab();
    const { link, fileId } = await shareInNewSwarm(f.tab, file);
    const b = await chromiumTab();
    await joinThroughPage(b.tab, onLoopback(link));
    await waitForFile(b.tab, fileId, 'complete');
    expect(await sha256Of(b.tab, fileId)).toBe(file.sha256);
    expect((await fileIn(b.tab, fileId))!.sources).toEqual({ [f.id]: (await fileIn(b.tab, fileId))!.pieceCount });
  });

  it('firefox: a Chromium tab downloads a file a Chromium and a Firefox tab both hold', async () => {
    const file = randomFile('from-both.bin', BIG);
    const a = await chromiumTab();
    const { link, fileId } = await shareInNewSwarm(a.tab, file);
    const f = await firefoxTab();
    await joinThroughPage(f.tab, onLan(harness(), link));
    await waitForFile(f.tab, fileId, 'complete');
    const b = await chromiumTab();
    await joinThroughPage(b.tab, link);
    await waitForFile(b.tab, fileId, 'complete');
    expectPiecesFrom((await fileIn(b.tab, fileId))!, { Chromium: a.id, Firefox: f.id });
    expect(await sha256Of(b.tab, fileId)).toBe(file.sha256);
  });

  it('firefox: the Firefox tab reloaded mid-download resumes without fetching its verified pieces again', async () => {
    const file = randomFile('resume-in-firefox.bin', BIG);
    const a = await chromiumTab();
    const { link, fileId } = await shareInNewSwarm(a.tab, file);
    const f = await firefoxTab();
    await joinThroughPage(f.tab, onLan(harness(), link));
    const pieceCount = (await fileIn(a.tab, fileId))!.pieceCount;
    await waitForFile(f.tab, fileId, { piecesHad: Math.ceil(pieceCount / 4) });
    await f.tab.reload();
    expect(await ready(f.tab)).toBe(f.id);
    await waitForFile(f.tab, fileId, 'complete');
    const after = (await fileIn(f.tab, fileId))!;
    expect(after.piecesResumed).toBeGreaterThanOrEqual(Math.ceil(pieceCount / 4));
    expect(after.piecesFetched).toBe(pieceCount - after.piecesResumed);
    expect(await sha256Of(f.tab, fileId)).toBe(file.sha256);
  });

  it('firefox: the Connection check says the server is reachable, each link is direct, and what plain http turns off', async () => {
    const a = await chromiumTab();
    const link = await createThroughPage(a.tab); // members of one swarm link up, files or not
    const b = await chromiumTab();
    await joinThroughPage(b.tab, link);
    const f = await firefoxTab();
    await joinThroughPage(f.tab, onLan(harness(), link));
    const text = await f.tab.waitFor(() => {
      const panel = document.getElementById('diagnostics-panel')?.innerText ?? '';
      return /Server reachable/.test(panel) && (panel.match(/linked directly/g) ?? []).length >= 2 ? panel : null;
    });
    expect(text).toMatch(/Not a secure context/);
    expect(text).toMatch(/Sharing and downloading still work/);
    expect(text).not.toMatch(/cannot make WebRTC connections|offers no IndexedDB/);
  });
});
