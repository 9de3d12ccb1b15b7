import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomHex } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import { openProfileStore } from '../../client/storage/piece-store.ts';
import { StorageFailure, type ProfileStore } from '../../peer/contracts.ts';

const FILE_A = 'a'.repeat(64);
const FILE_B = 'b'.repeat(64);
const SWARM = '1'.repeat(32);
const SWARM_2 = '2'.repeat(32);
const manifest: Manifest = { name: 'notes.txt', size: 10, mimeType: 'text/plain', pieceLength: 65536, pieceHashes: ['c'.repeat(64)] };

const bytesOf = (...values: number[]) => new Uint8Array(values);
const open: ProfileStore[] = [];

async function freshStore(profileId = randomHex(8)): Promise<ProfileStore> {
  const store = await openProfileStore(profileId);
  open.push(store);
  return store;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const store of open.splice(0)) store.close();
});

describe('piece store', () => {
  it('piece store: a stored piece reads back whole, by block, and as part of the file Blob', async () => {
    const store = await freshStore();
    await store.putPiece(FILE_A, 0, bytesOf(1, 2, 3, 4));
    await store.putPiece(FILE_A, 1, bytesOf(5, 6));
    expect(await store.readBlock(FILE_A, 0, 1, 2)).toEqual(bytesOf(2, 3));
    expect(await store.readBlock(FILE_A, 1, 0, 2)).toEqual(bytesOf(5, 6));
    const blob = await store.fileBlob(FILE_A, 2, 'application/octet-stream');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytesOf(1, 2, 3, 4, 5, 6));
    expect(blob.type).toBe('application/octet-stream');
  });

  it('piece store: a missing piece or a block past its end reads as null, and files never mix', async () => {
    const store = await freshStore();
    await store.putPiece(FILE_A, 0, bytesOf(1, 2));
    expect(await store.readBlock(FILE_B, 0, 0, 1)).toBeNull();
    expect(await store.readBlock(FILE_A, 0, 1, 2)).toBeNull();
    expect(await store.storedPieces(FILE_B)).toEqual([]);
    await expect(store.fileBlob(FILE_A, 2, '')).rejects.toBeInstanceOf(StorageFailure);
  });

  it('piece store: saving a file with a piece missing rejects ERR_PIECE_MISSING, not a write failure', async () => {
    const store = await freshStore();
    await store.putPiece(FILE_A, 0, bytesOf(1, 2));
    await expect(store.fileBlob(FILE_A, 2, '')).rejects.toMatchObject({ code: 'ERR_PIECE_MISSING', message: /piece 1 .* not stored/ });
  });

  it('piece store: reopening the same profile lists its pieces, swarms and files (a reload resumes)', async () => {
    const profileId = randomHex(8);
    const first = await freshStore(profileId);
    await first.putPiece(FILE_A, 3, bytesOf(9));
    await first.putPiece(FILE_A, 0, bytesOf(8));
    await first.saveSwarm(SWARM);
    await first.saveFile({ swarmId: SWARM, fileId: FILE_A, manifest, origin: 'downloaded' });
    first.close();
    const again = await freshStore(profileId);
    expect((await again.storedPieces(FILE_A)).sort()).toEqual([0, 3]);
    expect(await again.listSwarms()).toEqual([SWARM]);
    expect(await again.listFiles()).toEqual([{ swarmId: SWARM, fileId: FILE_A, manifest, origin: 'downloaded' }]);
    expect(await (await freshStore()).storedPieces(FILE_A)).toEqual([]);
  });

  it('piece store: a write that fails for quota rejects ERR_STORAGE_QUOTA and the piece is never listed', async () => {
    const store = await freshStore();
    await store.putPiece(FILE_A, 0, bytesOf(1));
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementationOnce(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    await expect(store.putPiece(FILE_A, 1, bytesOf(2))).rejects.toMatchObject({ code: 'ERR_STORAGE_QUOTA' });
    expect(await store.storedPieces(FILE_A)).toEqual([0]);
    expect(await store.readBlock(FILE_A, 1, 0, 1)).toBeNull();
  });

  it('piece store: a write whose transaction aborts rejects ERR_STORAGE_WRITE and is never listed', async () => {
    const store = await freshStore();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementationOnce(function (this: IDBObjectStore) {
      this.transaction.abort();
      throw new DOMException('The transaction was aborted.', 'AbortError');
    });
    await expect(store.putPiece(FILE_A, 0, bytesOf(1))).rejects.toMatchObject({ code: 'ERR_STORAGE_WRITE' });
    expect(await store.storedPieces(FILE_A)).toEqual([]);
  });

  it('piece store: forgetting a file deletes its records in every swarm and its pieces, not another file\'s', async () => {
    const store = await freshStore();
    await store.putPiece(FILE_A, 0, bytesOf(1, 2, 3));
    await store.putPiece(FILE_B, 0, bytesOf(2));
    for (const swarmId of [SWARM, SWARM_2]) await store.saveFile({ swarmId, fileId: FILE_A, manifest, origin: 'seeded' });
    await store.saveFile({ swarmId: SWARM, fileId: FILE_B, manifest, origin: 'downloaded' });
    expect(await store.readBlock(FILE_A, 0, 0, 1)).toEqual(bytesOf(1));
    expect(await store.usage()).toEqual(new Map([[FILE_A, 3], [FILE_B, 1]]));
    await store.forgetFile(FILE_A);
    expect(await store.storedPieces(FILE_A)).toEqual([]);
    expect(await store.readBlock(FILE_A, 0, 0, 1)).toBeNull();
    expect((await store.listFiles()).map((f) => f.fileId)).toEqual([FILE_B]);
    expect(await store.listRemoved()).toEqual([{ swarmId: SWARM, fileId: FILE_A }, { swarmId: SWARM_2, fileId: FILE_A }]);
    expect(await store.usage()).toEqual(new Map([[FILE_B, 1]]));
    await store.saveFile({ swarmId: SWARM, fileId: FILE_A, manifest, origin: 'seeded' }); // shared again
    expect(await store.listRemoved()).toEqual([{ swarmId: SWARM_2, fileId: FILE_A }]);
  });

  it('piece store: leaving a swarm deletes the pieces only it lists and forgets its removed routes', async () => {
    const store = await freshStore();
    await store.saveSwarm(SWARM);
    await store.saveSwarm(SWARM_2);
    await store.putPiece(FILE_A, 0, bytesOf(1));
    await store.putPiece(FILE_B, 0, bytesOf(2));
    await store.saveFile({ swarmId: SWARM, fileId: FILE_A, manifest, origin: 'downloaded' });
    await store.saveFile({ swarmId: SWARM, fileId: FILE_B, manifest, origin: 'downloaded' });
    await store.saveFile({ swarmId: SWARM_2, fileId: FILE_B, manifest, origin: 'downloaded' });
    await store.forgetFile(FILE_A);
    await store.leaveSwarm(SWARM);
    expect(await store.listSwarms()).toEqual([SWARM_2]);
    expect(await store.listRemoved()).toEqual([]);
    expect(await store.storedPieces(FILE_B)).toEqual([0]);
    expect((await store.listFiles()).map((f) => [f.swarmId, f.fileId])).toEqual([[SWARM_2, FILE_B]]);
    await store.leaveSwarm(SWARM_2);
    expect(await store.usage()).toEqual(new Map());
  });

  it('piece store: clear empties the profile; pieces no record lists are swept when it opens again', async () => {
    const profileId = randomHex(8);
    const store = await freshStore(profileId);
    await store.saveSwarm(SWARM);
    await store.putPiece(FILE_A, 0, bytesOf(1));
    await store.saveFile({ swarmId: SWARM, fileId: FILE_A, manifest, origin: 'seeded' });
    await store.putPiece(FILE_B, 0, bytesOf(2)); // a seed cut short: pieces, no record yet
    store.close();
    const reopened = await freshStore(profileId);
    expect(await reopened.usage()).toEqual(new Map([[FILE_A, 1]]));
    await reopened.clear();
    expect(await reopened.listSwarms()).toEqual([]);
    expect(await reopened.listFiles()).toEqual([]);
    expect(await reopened.usage()).toEqual(new Map());
  });

  it('piece store: peers reading the same piece at once read IndexedDB once; the cache stays within its bytes', async () => {
    const store = await openProfileStore(randomHex(8), { readCacheBytes: 4 });
    open.push(store);
    await store.putPiece(FILE_A, 0, bytesOf(1, 2, 3, 4));
    await store.putPiece(FILE_A, 1, bytesOf(5, 6, 7, 8));
    const get = vi.spyOn(IDBObjectStore.prototype, 'get');
    const reads = await Promise.all([0, 1, 2, 3].map((offset) => store.readBlock(FILE_A, 0, offset, 1)));
    expect(reads).toEqual([bytesOf(1), bytesOf(2), bytesOf(3), bytesOf(4)]);
    expect(get).toHaveBeenCalledTimes(1);
    await store.readBlock(FILE_A, 1, 0, 1); // evicts piece 0: only 4 bytes fit
    await store.readBlock(FILE_A, 0, 0, 1);
    expect(get).toHaveBeenCalledTimes(3);
  });
});
