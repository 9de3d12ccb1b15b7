import { afterEach, describe, expect, it } from 'vitest';
import { createBufferPool } from '../../peer/buffer-pool.ts';
import { withWarmCache } from '../../peer/storage/warm-store.ts';
import {
  blobSha256, createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer,
} from '../helpers/engine-fixture.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

// Recycled piece buffers: what the warm cache evicts is where the next downloaded pieces are assembled, and
// neither the stored pieces nor the bytes a peer receives are ever the worse for it.

const KiB = 1024;
const nextTurn = () => new Promise((r) => setTimeout(r, 0));

let fx: EngineFixture | undefined;
afterEach(() => fx?.closeAll());

describe('buffer pool', () => {
  it('buffer pool: a buffer given back is handed out again after a timer turn, at its exact length, and only once', async () => {
    const pool = createBufferPool(4 * KiB);
    const a = new Uint8Array(KiB);
    pool.give(a);
    pool.give(a);
    expect(pool.take(KiB)).not.toBe(a); // still cooling: a view read just before may be in use this turn
    await nextTurn();
    expect(pool.take(2 * KiB)).not.toBe(a);
    expect(pool.take(KiB)).toBe(a);
    expect(pool.take(KiB)).not.toBe(a);
  });

  it('buffer pool: views into part of a buffer and buffers past its bound are not kept', async () => {
    const pool = createBufferPool(2 * KiB);
    const whole = new Uint8Array(4 * KiB);
    pool.give(whole.subarray(0, KiB));
    pool.give(whole);
    await nextTurn();
    expect(pool.bytes).toBe(0);
  });

  it('buffer pool: the warm cache hands out the pieces it evicts, and the store under it keeps its own bytes', async () => {
    const inner = createMemoryStore();
    const store = withWarmCache(inner, 2 * KiB);
    const pieces = [1, 2, 3].map((n) => new Uint8Array(KiB).fill(n));
    for (const [i, bytes] of pieces.entries()) await store.putPiece('f', i, bytes);
    await nextTurn();
    const reused = store.pieceBuffer!(KiB);
    expect(reused).toBe(pieces[0]); // the first piece was pushed out by the third
    reused.fill(9);
    expect(await store.readBlock('f', 0, 0, 4)).toEqual(new Uint8Array(4).fill(1));
    expect(await store.readBlock('f', 2, 0, 4)).toEqual(new Uint8Array(4).fill(3));
  });

  it('buffer pool: peers downloading through small warm caches, so most pieces land in recycled buffers, get the file intact', async () => {
    fx = createEngineFixture();
    const peer = (name: string) => fx!.peer(name, { params: SMALL_PIECES, store: withWarmCache(createMemoryStore(), 128 * KiB) });
    const [a, b, c] = [await peer('a1'), await peer('b2'), await peer('c3')];
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(3 * 1024 * KiB + 5, 'recycled.bin');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await b.engine.joinSwarm(swarmId);
    await c.engine.joinSwarm(swarmId);
    await until(() => [b, c].every((p) => p.engine.snapshot().swarms[0]?.members.length === 2), 5000, 'members');
    fx.connect(a, b);
    fx.connect(a, c);
    fx.connect(b, c);
    const complete = (p: TestPeer) => fileOf(p.engine.snapshot(), fileId!)?.state === 'complete';
    await until(() => complete(b) && complete(c), 10_000, 'b and c complete');
    const original = await blobSha256(file);
    for (const p of [b, c]) {
      expect(await blobSha256(await p.engine.fileBlob(fileId!))).toBe(original);
      expect(p.engine.snapshot().counters.piecesCorrupt).toBe(0);
    }
  });
});
