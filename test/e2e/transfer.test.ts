import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserTab } from './browser-tab.ts';
import { lanIp, removeBuiltPage, startHarness, type Harness } from './harness.ts';
import {
  createThroughPage, fileIn, joinThroughPage, mbPerSecond, MiB, randomFile, ready, seedThroughPage, sha256Of, snapshotOf, waitForFile,
  type TestFile,
} from './tabs.ts';

// Three tabs, real server, real WebRTC. A and B open the page on 127.0.0.1; C opens it on the namespace's LAN
// address (a second laptop: not a secure context). Each scenario uses its own swarm and its own random file.

const BIG = 24 * MiB;

describe.skipIf(lanIp() === null)('transfer between tabs', () => {
  let harness: Harness;
  let a: BrowserTab;
  let b: BrowserTab;
  let c: BrowserTab;
  let ids: { a: string; b: string; c: string };

  beforeAll(async () => {
    harness = await startHarness();
    a = await harness.open(harness.localUrl, 'chromium');
    b = await harness.open(harness.localUrl, 'chromium');
    c = await harness.open(harness.lanUrl()!, 'chromium');
    ids = { a: await ready(a), b: await ready(b), c: await ready(c) };
    // A lobby swarm links the three tabs first, as tabs of a class are; every swarm below reuses these links.
    const lobby = await a.evaluate(() => window.tabswarm!.createSwarm());
    for (const page of [b, c]) await page.evaluate((link) => window.tabswarm!.joinSwarm(link), lobby.link);
    for (const page of [a, b, c]) {
      await page.waitFor(() => window.tabswarm!.snapshot().peers.filter((p) => p.linkState === 'connected').length === 2);
    }
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [name, page] of Object.entries({ a, b, c })) {
      if (page.isClosed()) continue;
      const s = await snapshotOf(page).catch(() => null);
      console.log(name, JSON.stringify(s && {
        peerId: s.peerId, counters: s.counters,
        swarms: s.swarms.map((w) => ({ id: w.swarmId.slice(0, 6), members: w.members.map((m) => m.slice(0, 6)), files: w.files.map((f) => [f.name, f.state, f.piecesHad, f.sources, f.holders.map((h) => h.slice(0, 6))]) })),
        peers: s.peers.map((p) => [p.peerId.slice(0, 6), p.linkState, p.swarms.map((w) => w.slice(0, 6)), p.bytesReceived, p.bytesSent, p.requestsInFlight]),
      }));
    }
  });

  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });

  /** A new swarm on A with the file seeded through A's page; returns the join link and the fileId. */
  async function seededSwarm(file: TestFile): Promise<{ link: string; fileId: string }> {
    const { link } = await a.evaluate(() => window.tabswarm!.createSwarm());
    await a.evaluate((l) => void (location.hash = new URL(l).hash), link);
    return { link, fileId: await seedThroughPage(a, file) };
  }

  it('transfer: B downloads 24 MiB from A, then C downloads it from A and B at once, intact', async () => {
    const file = randomFile('big.bin', BIG);
    const link = await createThroughPage(a);
    const fileId = await seedThroughPage(a, file);

    const startedB = Date.now();
    await b.goto(link);
    await waitForFile(b, fileId, 'complete');
    console.log(`transfer: A→B 24 MiB in ${Date.now() - startedB} ms (${mbPerSecond(BIG, Date.now() - startedB)} MB/s, incl. join + connect)`);

    const startedC = Date.now();
    await joinThroughPage(c, link.replace(harness.localUrl, harness.lanUrl()!));
    await waitForFile(c, fileId, 'complete');
    console.log(`transfer: A+B→C 24 MiB in ${Date.now() - startedC} ms (${mbPerSecond(BIG, Date.now() - startedC)} MB/s)`);

    const got = (await fileIn(c, fileId))!;
    expect(got.sources[ids.a]).toBeGreaterThan(0);
    expect(got.sources[ids.b]).toBeGreaterThan(0);
    expect(await sha256Of(c, fileId)).toBe(file.sha256);
    expect((await snapshotOf(c)).secureContext).toBe(false);
  });

  it('transfer: two swarms over the same links keep their files apart', async () => {
    const [f1, f2] = [randomFile('s1.bin', 3 * MiB), randomFile('s2.bin', 5 * MiB)];
    const s1 = await seededSwarm(f1);
    const s2 = await seededSwarm(f2);
    await joinThroughPage(b, s1.link);
    await joinThroughPage(b, s2.link);
    await Promise.all([waitForFile(b, s1.fileId, 'complete'), waitForFile(b, s2.fileId, 'complete')]);

    await joinThroughPage(c, s1.link.replace(harness.localUrl, harness.lanUrl()!));
    await joinThroughPage(c, s2.link.replace(harness.localUrl, harness.lanUrl()!));
    await Promise.all([waitForFile(c, s1.fileId, 'complete'), waitForFile(c, s2.fileId, 'complete')]);
    const snap = await snapshotOf(c);
    const swarmOf = (fileId: string) => snap.swarms.find((s) => s.files.some((f) => f.fileId === fileId))?.link;
    expect(swarmOf(s1.fileId)).toContain(new URL(s1.link).hash);
    expect(swarmOf(s2.fileId)).toContain(new URL(s2.link).hash);
    expect(await sha256Of(c, s1.fileId)).toBe(f1.sha256);
    expect(await sha256Of(c, s2.fileId)).toBe(f2.sha256);
    // Every piece came over the shared links from a member of its own swarm. Which of A and B served it is the
    // seeder's choice: seed-once lets a busy A leave to B the pieces B already holds.
    for (const [fileId, file] of [[s1.fileId, f1], [s2.fileId, f2]] as const) {
      const got = (await fileIn(c, fileId))!;
      expect(Object.keys(got.sources).length).toBeGreaterThan(0);
      expect(Object.keys(got.sources).every((peerId) => peerId === ids.a || peerId === ids.b)).toBe(true);
      expect(Object.values(got.sources).reduce((sum, n) => sum + n, 0)).toBe(got.pieceCount);
      expect(got.size).toBe(file.buffer.length);
    }
  });

  it('transfer: C reloaded mid-download resumes without fetching its verified pieces again', async () => {
    const file = randomFile('resume.bin', BIG);
    const { link, fileId } = await seededSwarm(file);
    await joinThroughPage(c, link.replace(harness.localUrl, harness.lanUrl()!));
    const pieceCount = (await a.evaluate((id) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files)
      .find((f) => f.fileId === id)!.pieceCount, fileId));
    await waitForFile(c, fileId, { piecesHad: Math.ceil(pieceCount / 4) });
    await c.reload();
    await ready(c);
    await waitForFile(c, fileId, 'complete');
    const after = (await fileIn(c, fileId))!;
    // Every piece was either found in the store or fetched after the reload, never both.
    expect(after.piecesResumed).toBeGreaterThanOrEqual(Math.ceil(pieceCount / 4));
    expect(after.piecesFetched).toBe(pieceCount - after.piecesResumed);
    expect(await sha256Of(c, fileId)).toBe(file.sha256);
  });

  it('transfer: C finishes from B when A closes mid-download', async () => {
    const file = randomFile('survive.bin', BIG);
    const { link, fileId } = await seededSwarm(file);
    await joinThroughPage(b, link);
    await waitForFile(b, fileId, 'complete');
    await joinThroughPage(c, link.replace(harness.localUrl, harness.lanUrl()!));
    const pieceCount = (await fileIn(b, fileId))!.pieceCount;
    await waitForFile(c, fileId, { piecesHad: Math.ceil(pieceCount / 5) });
    await a.close();
    await waitForFile(c, fileId, 'complete');
    const got = (await fileIn(c, fileId))!;
    expect(got.sources[ids.b]).toBeGreaterThan(0);
    expect(await sha256Of(c, fileId)).toBe(file.sha256);
  });
});
