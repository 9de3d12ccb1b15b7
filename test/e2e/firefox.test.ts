import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserTab } from './browser-tab.ts';
import { hasFirefox } from './firefox.ts';
import { lanIp, removeBuiltPage, startHarness, type Harness } from './harness.ts';
import {
  createThroughPage, fileIn, joinThroughPage, mbPerSecond, MiB, randomFile, ready, seedThroughPage, sha256Of, snapshotOf, waitForFile,
} from './tabs.ts';

// Firefox ESR and Chromium tabs in one class. A and B are Chromium tabs on 127.0.0.1; F is a Firefox tab on the
// namespace's LAN address (a second laptop: not a secure context). Same harness and helpers as the Chromium
// tests; Firefox is driven over WebDriver BiDi (test/e2e/firefox.ts).

const BIG = 24 * MiB;

describe.skipIf(lanIp() === null || !hasFirefox())('Firefox and Chromium tabs', () => {
  let harness: Harness;
  let a: BrowserTab;
  let b: BrowserTab;
  let f: BrowserTab;
  let ids: { a: string; b: string; f: string };
  const lan = (link: string) => link.replace(harness.localUrl, harness.lanUrl()!);
  /** The file of the first case, which A and F both hold afterwards. */
  let shared: { link: string; fileId: string; sha256: string } | null = null;

  beforeAll(async () => {
    harness = await startHarness();
    a = await harness.open(harness.localUrl, 'chromium');
    b = await harness.open(harness.localUrl, 'chromium');
    f = await harness.open(harness.lanUrl()!, 'firefox');
    ids = { a: await ready(a), b: await ready(b), f: await ready(f) };
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [name, tab] of Object.entries({ a, b, f })) {
      const s = await snapshotOf(tab).catch(() => null);
      console.log(name, JSON.stringify(s && {
        files: s.swarms.flatMap((w) => w.files.map((x) => [x.name, x.state, x.piecesHad, x.sources])),
        peers: s.peers.map((p) => [p.peerId.slice(0, 6), p.linkState, p.bytesReceived, p.bytesSent]),
      }));
    }
  });

  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });

  it('firefox: a Firefox tab on the LAN address downloads a file a Chromium tab shares, intact', async () => {
    const file = randomFile('to-firefox.bin', BIG);
    const link = await createThroughPage(a);
    const fileId = await seedThroughPage(a, file);
    const started = Date.now();
    await joinThroughPage(f, lan(link));
    await waitForFile(f, fileId, 'complete');
    console.log(`[${await f.evaluate(() => navigator.userAgent)}] Chromium→Firefox 24 MiB in ${Date.now() - started} ms ` +
      `(${mbPerSecond(BIG, Date.now() - started)} MB/s, incl. join + connect)`);
    expect(await sha256Of(f, fileId)).toBe(file.sha256);
    expect((await fileIn(f, fileId))!.sources).toEqual({ [ids.a]: (await fileIn(f, fileId))!.pieceCount });
    expect((await snapshotOf(f)).secureContext).toBe(false);
    shared = { link, fileId, sha256: file.sha256 };
  });

  it('firefox: a Chromium tab downloads a file shared through the Firefox tab\'s page, intact', async () => {
    const file = randomFile('from-firefox.bin', 8 * MiB);
    const link = await createThroughPage(f);
    const fileId = await seedThroughPage(f, file);
    await joinThroughPage(b, link.replace(harness.lanUrl()!, harness.localUrl));
    await waitForFile(b, fileId, 'complete');
    expect(await sha256Of(b, fileId)).toBe(file.sha256);
    expect((await fileIn(b, fileId))!.sources).toEqual({ [ids.f]: (await fileIn(b, fileId))!.pieceCount });
  });

  it('firefox: a Chromium tab downloads from a Chromium and a Firefox tab at once', async () => {
    expect(shared).not.toBeNull();
    await joinThroughPage(b, shared!.link);
    await waitForFile(b, shared!.fileId, 'complete');
    const got = (await fileIn(b, shared!.fileId))!;
    expect(got.sources[ids.a]).toBeGreaterThan(0);
    expect(got.sources[ids.f]).toBeGreaterThan(0);
    expect(await sha256Of(b, shared!.fileId)).toBe(shared!.sha256);
  });

  it('firefox: the Firefox tab reloaded mid-download resumes without fetching its verified pieces again', async () => {
    const file = randomFile('resume-in-firefox.bin', BIG);
    const link = await createThroughPage(a);
    const fileId = await seedThroughPage(a, file);
    await joinThroughPage(f, lan(link));
    const pieceCount = (await fileIn(a, fileId))!.pieceCount;
    await waitForFile(f, fileId, { piecesHad: Math.ceil(pieceCount / 4) });
    await f.reload();
    expect(await ready(f)).toBe(ids.f);
    await waitForFile(f, fileId, 'complete');
    const after = (await fileIn(f, fileId))!;
    expect(after.piecesResumed).toBeGreaterThanOrEqual(Math.ceil(pieceCount / 4));
    expect(after.piecesFetched).toBe(pieceCount - after.piecesResumed);
    expect(await sha256Of(f, fileId)).toBe(file.sha256);
  });

  it('firefox: the Connection check says the server is reachable, each link is direct, and what plain http turns off', async () => {
    const text = await f.waitFor(() => {
      const panel = document.getElementById('diagnostics-panel')?.innerText ?? '';
      return /Server reachable/.test(panel) && (panel.match(/linked directly/g) ?? []).length >= 2 ? panel : null;
    });
    expect(text).toMatch(/Not a secure context/);
    expect(text).toMatch(/Sharing and downloading still work/);
    expect(text).not.toMatch(/cannot make WebRTC connections|offers no IndexedDB/);
    expect(harness.consoleErrors).toEqual([]);
  });
});
