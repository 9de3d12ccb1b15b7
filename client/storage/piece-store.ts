import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { FileId, SwarmId } from '../../shared/ids.ts';
import { SIZES } from '../../shared/limits.ts';
import type { Route } from '../../shared/wire-messages.ts';
import { StorageFailure, type FileRecord, type PieceStore, type ProfileStore } from '../../peer/contracts.ts';
import { createByteLru } from '../../peer/storage/byte-lru.ts';
import { createPieceWriteBatcher } from './piece-write-batcher.ts';
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

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (name === 'UnknownError' && /quota|space/i.test(String((e as Error).message)));
}

/** Maps whatever IndexedDB threw or aborted with onto a coded failure. */
export function toStorageFailure(e: unknown, what: string): StorageFailure {
  if (e instanceof StorageFailure) return e;
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return isQuotaError(e)
    ? new StorageFailure('ERR_STORAGE_QUOTA', `The browser's storage for this page is full (${what}). Free disk space or delete finished downloads.`)
    : new StorageFailure('ERR_STORAGE_WRITE', `Could not store ${what}: ${detail}`);
}

export async function openProfileStore(
  profileId: string, opts: { readCacheBytes?: number } = {},
): Promise<ProfileStore> {
  const db = await openDB<ProfileSchema>(databaseName(profileId), DB_VERSION, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) {
        d.createObjectStore('pieces');
        d.createObjectStore('files', { keyPath: ['swarmId', 'fileId'] }).createIndex('byFile', 'fileId');
        d.createObjectStore('swarms', { keyPath: 'swarmId' });
      }
      if (oldVersion < 2) d.createObjectStore('removed', { keyPath: ['swarmId', 'fileId'] });
    },
  });
  await sweepUnlisted(db);
  return wrapDatabase(db, opts.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES);
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

function wrapDatabase(db: IDBPDatabase<ProfileSchema>, readCacheBytes: number): ProfileStore {
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

  return {
    putPiece: (fileId, index, bytes) => write(`piece ${index}`, () => writes.put(fileId, index, bytes)),
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
    forgetFile: (fileId) => write('the file list', async () => {
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
    leaveSwarm: (swarmId) => write('the swarm list', async () => {
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
    clear: () => write('the profile', async () => {
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
    close: () => db.close(),
  };
}
