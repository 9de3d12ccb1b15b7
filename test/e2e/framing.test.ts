import { afterAll, describe, expect, it } from 'vitest';
import { playwrightTab } from './browser-tab.ts';
import { removeBuiltPage, startHarness, type Harness } from './harness.ts';
import { openFramingTab } from './hostile-tab.ts';
import { fileIn, MiB, randomFile, ready, seedThroughPage, sha256Of, snapshotOf, waitForFile } from './tabs.ts';

// Issue 12's framing attack between real tabs: while an honest seeder tab serves a leecher tab, a hostile tab that
// claims nothing hears the leecher's 'fetching' hints and sends a garbage block into each of those pieces. Before
// the fix those pieces failed, both senders were struck, and the seeder was banned after three: the download stalled.

const FILE_BYTES = 8 * MiB; // 16 pieces of 512 KiB: 16 garbage blocks, under the bad-frame cap

describe('framing attack between real tabs', () => {
  let harness: Harness | null = null;

  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });

  it('framing: garbage blocks aimed at the pieces a seeder serves are refused; the leecher completes intact, the seeder stays unbanned', async () => {
    harness = await startHarness();
    const seederTab = await harness.openTab(harness.localUrl, { isolated: true }); // its own renderer, throttled below
    const seeder = playwrightTab(seederTab.page);
    const framer = await openFramingTab(harness);
    const leecher = playwrightTab((await harness.openTab(harness.localUrl)).page);
    const ids = { seeder: await ready(seeder), framer: await ready(framer.tab), leecher: await ready(leecher) };

    const { link } = await seeder.evaluate(() => window.tabswarm!.createSwarm());
    await seeder.evaluate((l) => void (location.hash = new URL(l).hash), link);
    const file = randomFile('framed.bin', FILE_BYTES);
    const fileId = await seedThroughPage(seeder, file);
    await framer.tab.evaluate((l) => window.tabswarm!.joinSwarm(l), link);
    await framer.tab.waitFor(([id, s]) => window.tabswarm!.snapshot().peers
      .some((p) => p.peerId === s && p.linkState === 'connected') && window.tabswarm!.snapshot().swarms
      .some((w) => w.files.some((f) => f.fileId === id)), [fileId, ids.seeder] as const);
    // What an attacker knows: the manifest every member gets, and the page's default block size.
    const known = (await fileIn(framer.tab, fileId))!;
    const blockSize = (await snapshotOf(framer.tab)).params.blockSize;
    await framer.arm({ swarmId: known.swarmId, fileId }, { size: known.size, pieceLength: known.pieceLength, blockSize });

    // The seeder is a slow laptop (CPU / 6): the garbage reliably reaches the leecher before the real blocks.
    await (await seederTab.context.newCDPSession(seederTab.page)).send('Emulation.setCPUThrottlingRate', { rate: 6 });
    await leecher.evaluate((l) => window.tabswarm!.joinSwarm(l), link);
    await waitForFile(leecher, fileId, 'complete', 60_000).catch(async (e: unknown) => {
      const s = await snapshotOf(leecher);
      console.log('framing: leecher stalled', JSON.stringify({ counters: s.counters, peers: s.peers.map((p) => [p.linkState, p.banned, p.faults]) }));
      throw e;
    });

    expect(await sha256Of(leecher, fileId)).toBe(file.sha256);
    const tally = await framer.tally();
    const snap = await snapshotOf(leecher);
    const framed = snap.peers.find((p) => p.peerId === ids.framer);
    console.log(`framing: ${tally.heard} hints heard, ${tally.sent} garbage blocks sent, ${snap.counters.unrequestedBlocks} refused, ` +
      `${snap.counters.piecesCorrupt} pieces corrupt; framer link ${framed?.linkState ?? 'closed'}`);
    expect(tally.heard).toBeGreaterThan(0);
    expect(tally.sent).toBeGreaterThan(0);
    const fromSeeder = snap.peers.find((p) => p.peerId === ids.seeder)!;
    expect(fromSeeder).toMatchObject({ linkState: 'connected', banned: false, faults: {} });
    expect(snap.counters.piecesCorrupt).toBe(0);
    expect(snap.counters.unrequestedBlocks).toBeGreaterThan(0);
    const got = (await fileIn(leecher, fileId))!;
    expect(got.sources).toEqual({ [ids.seeder]: got.pieceCount });
    // Each garbage block was charged to the framer (and a link that sends 100 is closed).
    if (framed) expect(framed.faults.ERR_UNREQUESTED).toBeGreaterThan(0);
  }, 120_000);
});
