import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { randomHex } from '../../shared/ids.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import { openProfileStore } from '../../client/storage/piece-store.ts';
import type { PieceSink } from '../../client/storage/piece-sink.ts';
import type { CheckedPut, ProfileStore } from '../../peer/contracts.ts';
import { withWarmCache } from '../../peer/storage/warm-store.ts';

// checkAndPut: a downloaded piece is stored only when its SHA-256 matches, whether the worker (piece-sink.ts)
// or the main thread does it; a removal waits for pieces still on their way, so none outlives its file.

const FILE = 'a'.repeat(64);
const SWARM = '1'.repeat(32);
const open: ProfileStore[] = [];
const piece = () => new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

async function storeWith(sink: () => Promise<PieceSink | null>): Promise<ProfileStore> {
  const store = await openProfileStore(randomHex(8), { sink });
  open.push(store);
  return store;
}

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

describe('piece check', () => {
  it('piece check: without a worker, a matching piece is stored and a corrupt one is not', async () => {
    const store = withWarmCache(await storeWith(async () => null));
    const good = await store.checkAndPut!(FILE, 0, piece(), await sha256Hex(piece()));
    expect(good).toMatchObject({ result: 'stored', bytes: piece() });
    const bad = await store.checkAndPut!(FILE, 1, piece(), 'f'.repeat(64));
    expect(bad).toMatchObject({ result: 'corrupt', bytes: piece() });
    expect(await store.storedPieces(FILE)).toEqual([0]);
    expect(await store.readBlock(FILE, 0, 2, 3)).toEqual(new Uint8Array([3, 4, 5]));
  });

  it('piece check: removing a file waits for its pieces still in the worker, so none is left behind', async () => {
    let release = () => undefined as void;
    let inner: ProfileStore | null = null;
    const held: PieceSink = {
      async checkAndPut(fileId, index, bytes): Promise<CheckedPut> {
        await new Promise<void>((resolve) => (release = resolve));
        await inner!.putPiece(fileId, index, bytes); // as the worker writes to the same database
        return { result: 'stored', bytes };
      },
      settled: () => pending,
      close: () => undefined,
    };
    let pending: Promise<void> = Promise.resolve();
    const store = await storeWith(async () => held);
    inner = store;
    await store.saveFile({ swarmId: SWARM, fileId: FILE, manifest: { name: 'f', size: 8, mimeType: '', pieceLength: 8, pieceHashes: ['0'.repeat(64)] }, origin: 'downloaded' });
    const put = store.checkAndPut!(FILE, 0, piece(), 'ignored by this sink');
    pending = put.then(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const removed = store.forgetFile(FILE);
    release();
    await Promise.all([put, removed]);
    expect(await store.storedPieces(FILE)).toEqual([]);
  });
});
