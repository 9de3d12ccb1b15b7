import { afterEach, describe, expect, it } from 'vitest';
import { paramsFromQuery } from '../e2e/page-knobs.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import { createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer } from '../helpers/engine-fixture.ts';

// The engine wires seed-once into its upload side: a teacher seeding to three laptops at once sends the file
// about once; the laptops fetch the rest from each other, and every copy is intact.

const KiB = 1024;
const params = SMALL_PIECES;
const complete = (p: TestPeer, fileId: string) => fileOf(p.engine.snapshot(), fileId)?.state === 'complete';

/** The teacher's uplink is the scarce part: its blocks leave one at a time, 2 ms each (8 MB/s of 16 KiB blocks). */
function throttleUplink(seeder: TestPeer, to: TestPeer[]): void {
  let uplink = Promise.resolve();
  for (const peer of to) {
    const link = seeder.linkTo.get(peer.peerId)!;
    const send = link.send.bind(link);
    const sendThrottled = (frame: Uint8Array): Promise<void> => {
      const turn = uplink.then(() => new Promise<void>((r) => setTimeout(r, frame.length > 1024 ? 2 : 0)));
      uplink = turn;
      return turn.then(() => send(frame));
    };
    Object.assign(link, { send: sendThrottled });
  }
}

let fx: EngineFixture;
afterEach(() => fx?.closeAll());

/**
 * The teacher seeds 4 MiB to `leechers` laptops at once over a full mesh; returns the teacher's counters per file
 * (it feeds DEFAULT_UPLOAD_SLOTS peers at a time and tells the others they wait).
 */
async function classOf(seedOnce: boolean, leecherCount = 3): Promise<{ sentPerFile: number; rejectsSent: number; slotWaits: number }> {
  fx = createEngineFixture();
  const a = await fx.peer('a1', { params: { ...params, seedOnce } });
  const leechers: TestPeer[] = [];
  for (let i = 0; i < leecherCount; i++) leechers.push(await fx.peer(`${'bcdefgh'[i]}${i + 2}`, { params }));
  const swarmId = await a.engine.createSwarm();
  const file = randomFile(4096 * KiB, 'lab.bin');
  const [fileId] = await a.engine.seed(swarmId, [file]);
  await Promise.all(leechers.map((p) => p.engine.joinSwarm(swarmId)));
  await until(() => leechers.every((p) => p.engine.snapshot().swarms[0]?.members.length === leecherCount), 5000, 'members');
  const everyone = [a, ...leechers];
  for (const [i, x] of everyone.entries()) for (const y of everyone.slice(i + 1)) fx.connect(x, y);
  throttleUplink(a, leechers);
  await until(() => leechers.every((p) => complete(p, fileId!)), 20_000, 'every leecher complete');
  const want = await sha256Hex(new Uint8Array(await file.arrayBuffer()));
  for (const p of leechers) expect(await sha256Hex(new Uint8Array(await (await p.engine.fileBlob(fileId!)).arrayBuffer()))).toBe(want);
  const { counters } = a.engine.snapshot();
  return { sentPerFile: counters.blockBytesSent / file.size, rejectsSent: counters.rejectsSent, slotWaits: counters.slotWaitsSent };
}

describe('seed-once in the engine', () => {
  it('seed-once engine: 1 → 3 with a busy seeder uplink: it refuses pieces others hold, sends the file about once, and every leecher finishes intact', async () => {
    const { sentPerFile, rejectsSent } = await classOf(true);
    expect(rejectsSent).toBeGreaterThan(0); // it did hold pieces back, and nobody stalled
    expect(sentPerFile).toBeLessThanOrEqual(1.1);
  }, 20_000);

  it('seed-once engine: with seedOnce off (?seedOnce=0) the seeder serves every request it can', async () => {
    expect((await classOf(false)).rejectsSent).toBe(0);
    expect(paramsFromQuery('?seedOnce=0')).toEqual({ seedOnce: false });
    expect(paramsFromQuery('?seedOnce=1')).toEqual({});
  }, 20_000);

  it('seed-once engine: 1 → 6, more leechers than upload slots: the rest are told they wait, nobody times out, the seeder sends the file about once', async () => {
    const { sentPerFile, slotWaits } = await classOf(true, 6);
    expect(slotWaits).toBeGreaterThan(0);
    // Real timers: 1.00× on a quiet machine, but a loaded one re-sends a tail piece or two (one CI run: 1.102×).
    // The bound catches a seeder that repeats itself; seed-once itself is held to 1.1× by the 1 → 3 test above.
    expect(sentPerFile).toBeLessThanOrEqual(1.25);
  }, 30_000);
});
