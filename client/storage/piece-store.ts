import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { FileId, SwarmId } from '../../shared/ids.ts';
import { SIZES } from '../../shared/limits.ts';
import type { Route } from '../../shared/wire-messages.ts';
import { StorageFailure, type CheckedPut, type FileRecord, type PieceStore, type ProfileStore } from '../../peer/contracts.ts';
import { checkThenPut } from './check-and-put.ts';
import { toStorageFailure } from './storage-failure.ts';
import { createByteLru } from '../../peer/storage/byte-lru.ts';
import { createPieceWriteBatcher } from './piece-write-batcher.ts';
import type { PieceSink } from './piece-sink.ts';
import { databaseName } from './profile.ts';

// This tab's profile database: verified pieces as Blobs (so a finished file is a disk-backed Blob of Blobs,
// never one big ArrayBuffer) plus what a reload needs to resume: joined swarms and the files in them.

/** 2 added `removed`: routes the person removed, so announcements do not bring them back. */
const DB_VERSION = 2;
/**
 * Recently read pieces kept in memory: a piece read for its first block serves the rest of its blocks, and
 * several peers asking for the same piece read IndexedDB once. 8 pieces cover a few peers' request windows.
 */
export const DEFAULT_READ_CACHE_BYTES = 8 * SIZES.MiB;

interface ProfileSchema extends DBSchema {
  pieces: { key: [FileId, number]; value: Blob };
  files: { key: [SwarmId, FileId]; value: FileRecord; indexes: { byFile: FileId } };
  swarms: { key: SwarmId; value: { swarmId: SwarmId } };
  removed: { key: [SwarmId, FileId]; value: Route };
}

const pieceRange = (fileId: FileId) => IDBKeyRange.bound([fileId, 0], [fileId, Number.MAX_SAFE_INTEGER]);
/** Every [swarmId, fileId] key of one swarm: file ids are lowercase hex, so '' and 'g' bound them. */
const swarmRange = (swarmId: SwarmId) => IDBKeyRange.bound([swarmId, ''], [swarmId, 'g']);

export type ProfileDatabase = IDBPDatabase<ProfileSchema>;

/** The profile's database, created or upgraded to this version; the page and its piece worker both open it. */
export function openProfileDatabase(profileId: string): Promise<ProfileDatabase> {
  return openDB<ProfileSchema>(databaseName(profileId), DB_VERSION, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) {
        d.createObjectStore('pieces');
        d.createObjectStore('files', { keyPath: ['swarmId', 'fileId'] }).createIndex('byFile', 'fileId');
        d.createObjectStore('swarms', { keyPath: 'swarmId' });
      }
      if (oldVersion < 2) d.createObjectStore('removed', { keyPath: ['swarmId', 'fileId'] });
    },
  });
}

/**
 * The profile store; with `sink` (the page's piece worker, piece-sink.ts) downloaded pieces are hashed and
 * written off the main thread (checkAndPut).
 */
export async function openProfileStore(
  profileId: string, opts: { readCacheBytes?: number; sink?: (profileId: string) => Promise<PieceSink | null> } = {},
): Promise<ProfileStore> {
  const db = await openProfileDatabase(profileId);
  // The worker starts while the sweep runs; pieces that arrive before it is ready wait for it.
  const sink = opts.sink?.(profileId).catch(() => null) ?? null;
  await sweepUnlisted(db);
  return wrapDatabase(db, opts.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES, sink);
}

/**
 * Pieces of a file no record lists: left by a seed or a removal that a closed tab cut short (pieces are
 * written before their record). Nobody can serve or save them, so they go before the engine starts.
 */
async function sweepUnlisted(db: IDBPDatabase<ProfileSchema>): Promise<void> {
  const tx = db.transaction(['files', 'pieces'], 'readwrite');
  const listed = new Set((await tx.objectStore('files').getAll()).map((f) => f.fileId));
  let cursor = await tx.objectStore('pieces').openKeyCursor();
  while (cursor) {
    const fileId = cursor.key[0];
    if (!listed.has(fileId)) await tx.objectStore('pieces').delete(pieceRange(fileId));
    cursor = await (listed.has(fileId) ? cursor.continue([fileId, Number.MAX_SAFE_INTEGER]) : cursor.continue());
  }
  await tx.done;
}

async function write(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    throw toStorageFailure(e, what);
  }
}

function wrapDatabase(db: IDBPDatabase<ProfileSchema>, readCacheBytes: number, sink: Promise<PieceSink | null> | null): ProfileStore {
  const cache = createByteLru<string>(readCacheBytes);
  const loading = new Map<string, Promise<Uint8Array | null>>(); // piece reads in flight, shared by readers
  const writes = createPieceWriteBatcher(() => db.transaction('pieces', 'readwrite'));

  function loadPiece(fileId: FileId, index: number): Promise<Uint8Array | null> {
    const key = `${fileId}:${index}`;
    const cached = cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = loading.get(key);
    if (pending !== undefined) return pending;
    const load = db.get('pieces', [fileId, index])
      .then(async (blob) => (blob === undefined ? null : new Uint8Array(await blob.arrayBuffer())))
      .then((bytes) => {
        if (bytes !== null) cache.set(key, bytes);
        return bytes;
      })
      .finally(() => loading.delete(key));
    loading.set(key, load);
    return load;
  }

  /** A removal first waits for the pieces on their way into the database through the worker. */
  const removal = async (what: string, run: () => Promise<unknown>) => {
    await (await sink)?.settled();
    return write(what, run);
  };
  /** Through the worker; on the main thread where it could not start. */
  async function checkAndPut(fileId: FileId, index: number, bytes: Uint8Array, hash: string): Promise<CheckedPut> {
    const worker = await sink;
    if (worker) return worker.checkAndPut(fileId, index, bytes, hash);
    return checkThenPut(index, bytes, hash, () => writes.put(fileId, index, bytes));
  }

  return {
    putPiece: (fileId, index, bytes) => write(`piece ${index}`, () => writes.put(fileId, index, bytes)),
    ...(sink === null ? {} : { checkAndPut }),
    async readBlock(fileId, index, offset, length) {
      const piece = await loadPiece(fileId, index);
      if (piece === null || offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
    async storedPieces(fileId) {
      const keys = await db.getAllKeys('pieces', pieceRange(fileId));
      return keys.map((k) => k[1]);
    },
    async fileBlob(fileId, pieceCount, mimeType) {
      const tx = db.transaction('pieces', 'readonly');
      const blobs = await Promise.all(Array.from({ length: pieceCount }, (_, i) => tx.store.get([fileId, i])));
      const missing = blobs.findIndex((b) => b === undefined);
      if (missing >= 0) throw new StorageFailure('ERR_PIECE_MISSING', `piece ${missing} of ${fileId} is not stored`);
      return new Blob(blobs as Blob[], { type: mimeType });
    },
    saveSwarm: (swarmId) => write('the swarm list', () => db.put('swarms', { swarmId })),
    listSwarms: () => db.getAllKeys('swarms'),
    saveFile: (record) => write(`the record of ${record.manifest.name}`, async () => {
      const tx = db.transaction(['files', 'removed'], 'readwrite');
      await tx.objectStore('files').put(record);
      await tx.objectStore('removed').delete([record.swarmId, record.fileId]); // shared again after a removal
      await tx.done;
    }),
    listFiles: () => db.getAll('files'),
    forgetFile: (fileId) => removal('the file list', async () => {
      const tx = db.transaction(['files', 'pieces', 'removed'], 'readwrite');
      const records = await tx.objectStore('files').index('byFile').getAll(fileId);
      for (const r of records) {
        await tx.objectStore('files').delete([r.swarmId, fileId]);
        await tx.objectStore('removed').put({ swarmId: r.swarmId, fileId });
      }
      await tx.objectStore('pieces').delete(pieceRange(fileId));
      await tx.done;
      cache.deleteWhere((key) => key.startsWith(`${fileId}:`));
    }),
    listRemoved: () => db.getAll('removed'),
    leaveSwarm: (swarmId) => removal('the swarm list', async () => {
      const tx = db.transaction(['swarms', 'files', 'pieces', 'removed'], 'readwrite');
      await tx.objectStore('swarms').delete(swarmId);
      await tx.objectStore('removed').delete(swarmRange(swarmId));
      const files = tx.objectStore('files');
      const records = await files.getAll(swarmRange(swarmId));
      await files.delete(swarmRange(swarmId));
      const unlisted: FileId[] = [];
      for (const r of records) if ((await files.index('byFile').count(r.fileId)) === 0) unlisted.push(r.fileId);
      for (const fileId of unlisted) await tx.objectStore('pieces').delete(pieceRange(fileId));
      await tx.done;
      cache.deleteWhere((key) => unlisted.some((fileId) => key.startsWith(`${fileId}:`)));
    }),
    clear: () => removal('the profile', async () => {
      const tx = db.transaction(['swarms', 'files', 'pieces', 'removed'], 'readwrite');
      await Promise.all([...tx.objectStoreNames].map((name) => tx.objectStore(name).clear()));
      await tx.done;
      cache.deleteWhere(() => true);
    }),
    async usage() {
      const bytes = new Map<FileId, number>();
      let cursor = await db.transaction('pieces').store.openCursor();
      while (cursor) {
        bytes.set(cursor.key[0], (bytes.get(cursor.key[0]) ?? 0) + cursor.value.size);
        cursor = await cursor.continue();
      }
      return bytes;
    },
    close() {
      void sink?.then((worker) => worker?.close());
      db.close();
    },
  };
}
