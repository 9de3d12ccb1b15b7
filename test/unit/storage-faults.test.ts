import { afterEach, describe, expect, it } from 'vitest';
import { StorageFailure } from '../../peer/contracts.ts';
import {
  blobSha256, createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer,
} from '../helpers/engine-fixture.ts';
import { createMemoryStore, type MemoryStore } from '../helpers/memory-store.ts';

// The disk fills up or IndexedDB fails mid-download: a clear error, nothing counted as had that did not
// commit, and a reload (a new engine on the same store) resumes cleanly. IndexedDB's own error mapping
// (QuotaExceededError → ERR_STORAGE_QUOTA, aborted transaction → ERR_STORAGE_WRITE) is in piece-store.test.ts.

const KiB = 1024;
const params = SMALL_PIECES;

let fx: EngineFixture;
afterEach(() => fx?.closeAll());


const fileState = (p: TestPeer, fileId: string) => fileOf(p.engine.snapshot(), fileId);

/** Writes commit until `commits` pieces are stored; after that each one fails the way `failure` says. */
function storeThatFills(commits: number, failure: StorageFailure): { store: MemoryStore; heal(): void } {
  const store = createMemoryStore();
  const put = store.putPiece.bind(store);
  store.putPiece = async (fileId, index, bytes) => {
    if (store.pieces.size >= commits) throw failure;
    return put(fileId, index, bytes);
  };
  return { store, heal: () => void (store.putPiece = put) };
}

async function seederAndJoiner(store: MemoryStore, bytes: number) {
  fx = createEngineFixture();
  const a = await fx.peer('a1', { params });
  const b = await fx.peer('b2', { params, store });
  const swarmId = await a.engine.createSwarm();
  const file = randomFile(bytes, 'd.bin');
  const [fileId] = await a.engine.seed(swarmId, [file]);
  await b.engine.joinSwarm(swarmId);
  await until(() => a.engine.snapshot().swarms[0]?.members.length === 1, 2000, 'members');
  return { a, b, file, fileId: fileId! };
}

describe('storage faults', () => {
  for (const [what, failure, message] of [
    ['quota exceeded', new StorageFailure('ERR_STORAGE_QUOTA', "The browser's storage for this page is full (piece 5)."), /full/],
    ['a failed IndexedDB write', new StorageFailure('ERR_STORAGE_WRITE', 'Could not store piece 5: UnknownError'), /Could not store/],
  ] as const) {
    it(`storage faults: ${what} mid-download shows the error, counts only committed pieces, and a reload resumes`, async () => {
      const { store, heal } = storeThatFills(5, failure);
      const { a, b, file, fileId } = await seederAndJoiner(store, 1024 * KiB);
      fx.connect(a, b);
      await until(() => fileState(b, fileId)?.state === 'error', 5000, 'error state');
      const failed = fileState(b, fileId)!;
      expect(failed.error).toMatch(message);
      expect(b.engine.snapshot().counters.storeErrors).toBeGreaterThan(0);
      expect(failed.piecesHad).toBe(store.pieces.size);
      expect(failed.pieceSources.filter((s) => s !== null)).toHaveLength(store.pieces.size);
      const committed = [...store.pieces.keys()].map((k) => Number(k.split(':')[1])).sort((x, y) => x - y);
      expect(failed.pieceSources.flatMap((s, i) => (s === null ? [] : [i]))).toEqual(committed);

      // Reload with room on the disk again: the committed pieces resume, the rest is fetched, the bytes are whole.
      fx.disconnect(a, b);
      b.engine.close();
      heal();
      const b2 = await fx.peer('b2', { params, store });
      await until(() => fileState(b2, fileId) !== undefined, 2000, 'resumed route');
      expect(b2.engine.snapshot().counters.piecesResumed).toBe(committed.length);
      fx.connect(a, b2);
      await until(() => fileState(b2, fileId)?.state === 'complete', 5000, 'b2 complete');
      expect(b2.engine.snapshot().counters.piecesVerified).toBe(fileState(b2, fileId)!.pieceCount - committed.length);
      expect(await blobSha256(await b2.engine.fileBlob(fileId))).toBe(await blobSha256(file));
    });
  }

  it('storage faults: a verified piece whose write has not committed yet is not counted as had nor announced', async () => {
    const store = createMemoryStore();
    const put = store.putPiece.bind(store);
    const held: (() => void)[] = [];
    store.putPiece = (fileId, index, bytes) => new Promise<void>((resolve) => held.push(() => void put(fileId, index, bytes).then(resolve)));
    const { a, b, fileId } = await seederAndJoiner(store, 256 * KiB);
    fx.connect(a, b);
    await until(() => held.length > 0, 5000, 'a write in progress');
    await new Promise((r) => setTimeout(r, 50));
    expect(fileState(b, fileId)!.piecesHad).toBe(0);
    expect(b.linkTo.get(a.peerId)!.sentFrames.some((f) => f[1] === 3)).toBe(false); // no 'have' (type 3) yet
    store.putPiece = put;
    for (const release of held.splice(0)) release();
    await until(() => fileState(b, fileId)?.state === 'complete', 5000, 'complete once the writes commit');
    expect(fileState(b, fileId)!.piecesHad).toBe(fileState(b, fileId)!.pieceCount);
  });
});
