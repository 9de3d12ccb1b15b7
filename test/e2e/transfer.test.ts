import { describe, expect, it } from 'vitest';
import { lanIp } from './harness.ts';
import { useHarness } from './harness-hooks.ts';
import {
  expectPiecesFrom, fileIn, joinThroughPage, mbPerSecond, MiB, onLan, openLaptop, randomFile, ready, shareInNewSwarm, sha256Of, snapshotOf, waitForFile,
} from './tabs.ts';

// Real server, real WebRTC, tabs as laptops (each its own browser profile). A and B open the page on 127.0.0.1;
// C opens it on the namespace's LAN address (a second laptop: not a secure context). Each test opens its own tabs
// and shares its own random file in its own swarm.

const BIG = 24 * MiB;

describe.skipIf(lanIp() === null)('transfer between tabs', () => {
  const harness = useHarness();

  it('transfer: B downloads 24 MiB from A, then C downloads it with A and B both holding it, intact', async () => {
    const h = harness();
    const file = randomFile('big.bin', BIG);
    const a = await openLaptop(h, h.localUrl);
    const { link, fileId } = await shareInNewSwarm(a.tab, file);

    const startedB = Date.now();
    const b = await openLaptop(h, link); // opening the link joins
    await waitForFile(b.tab, fileId, 'complete');
    console.log(`transfer: A→B 24 MiB in ${Date.now() - startedB} ms (${mbPerSecond(BIG, Date.now() - startedB)} MB/s, incl. join + connect)`);

    const startedC = Date.now();
    const c = await openLaptop(h, h.lanUrl()!);
    await joinThroughPage(c.tab, onLan(h, link));
    await waitForFile(c.tab, fileId, 'complete');
    console.log(`transfer: A+B→C 24 MiB in ${Date.now() - startedC} ms (${mbPerSecond(BIG, Date.now() - startedC)} MB/s)`);

    expectPiecesFrom((await fileIn(c.tab, fileId))!, { A: a.id, B: b.id });
    expect(await sha256Of(c.tab, fileId)).toBe(file.sha256);
    expect((await snapshotOf(c.tab)).secureContext).toBe(false);
  });

  it('transfer: two swarms over the same links keep their files apart', async () => {
    const h = harness();
    const [f1, f2] = [randomFile('s1.bin', 3 * MiB), randomFile('s2.bin', 5 * MiB)];
    const a = await openLaptop(h, h.localUrl);
    const b = await openLaptop(h, h.localUrl);
    const c = await openLaptop(h, h.lanUrl()!);
    const s1 = await shareInNewSwarm(a.tab, f1);
    const s2 = await shareInNewSwarm(a.tab, f2);
    await joinThroughPage(b.tab, s1.link);
    await joinThroughPage(b.tab, s2.link);
    await Promise.all([waitForFile(b.tab, s1.fileId, 'complete'), waitForFile(b.tab, s2.fileId, 'complete')]);

    await joinThroughPage(c.tab, onLan(h, s1.link));
    await joinThroughPage(c.tab, onLan(h, s2.link));
    await Promise.all([waitForFile(c.tab, s1.fileId, 'complete'), waitForFile(c.tab, s2.fileId, 'complete')]);
    const snap = await snapshotOf(c.tab);
    const swarmOf = (fileId: string) => snap.swarms.find((s) => s.files.some((f) => f.fileId === fileId))?.link;
    expect(swarmOf(s1.fileId)).toContain(new URL(s1.link).hash);
    expect(swarmOf(s2.fileId)).toContain(new URL(s2.link).hash);
    expect(await sha256Of(c.tab, s1.fileId)).toBe(f1.sha256);
    expect(await sha256Of(c.tab, s2.fileId)).toBe(f2.sha256);
    // One link to each of A and B carries both swarms.
    await c.tab.waitFor(() => window.tabswarm!.snapshot().peers.filter((p) => p.linkState === 'connected' && p.swarms.length === 2).length === 2);
    // Every piece came over the shared links from a member of its own swarm.
    for (const [fileId, file] of [[s1.fileId, f1], [s2.fileId, f2]] as const) {
      const got = (await fileIn(c.tab, fileId))!;
      expectPiecesFrom(got, { A: a.id, B: b.id });
      expect(got.size).toBe(file.buffer.length);
    }
  });

  it('transfer: C reloaded mid-download resumes without fetching its verified pieces again', async () => {
    const h = harness();
    const file = randomFile('resume.bin', BIG);
    const a = await openLaptop(h, h.localUrl);
    const { link, fileId } = await shareInNewSwarm(a.tab, file);
    const c = await openLaptop(h, h.lanUrl()!);
    await joinThroughPage(c.tab, onLan(h, link));
    const pieceCount = (await fileIn(a.tab, fileId))!.pieceCount;
    await waitForFile(c.tab, fileId, { piecesHad: Math.ceil(pieceCount / 4) });
    await c.tab.reload();
    await ready(c.tab);
    await waitForFile(c.tab, fileId, 'complete');
    const after = (await fileIn(c.tab, fileId))!;
    // Every piece was either found in the store or fetched after the reload, never both.
    expect(after.piecesResumed).toBeGreaterThanOrEqual(Math.ceil(pieceCount / 4));
    expect(after.piecesFetched).toBe(pieceCount - after.piecesResumed);
    expect(await sha256Of(c.tab, fileId)).toBe(file.sha256);
  });

  it('transfer: C finishes from B when A closes mid-download', async () => {
    const h = harness();
    const file = randomFile('survive.bin', BIG);
    const a = await openLaptop(h, h.localUrl);
    const { link, fileId } = await shareInNewSwarm(a.tab, file);
    const b = await openLaptop(h, link);
    await waitForFile(b.tab, fileId, 'complete');
    const c = await openLaptop(h, h.lanUrl()!);
    await joinThroughPage(c.tab, onLan(h, link));
    const pieceCount = (await fileIn(b.tab, fileId))!.pieceCount;
    await waitForFile(c.tab, fileId, { piecesHad: Math.ceil(pieceCount / 5) });
    await a.tab.close();
    await waitForFile(c.tab, fileId, 'complete');
    const got = (await fileIn(c.tab, fileId))!;
    expect(got.sources[b.id]).toBeGreaterThan(0);
    expect(await sha256Of(c.tab, fileId)).toBe(file.sha256);
  });
});
