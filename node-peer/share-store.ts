import { openAsBlob } from 'node:fs';
import type { FileId, SwarmId } from '../shared/ids.ts';
import { SIZES } from '../shared/limits.ts';
import { StorageFailure, type FileRecord, type ProfileStore } from '../peer/contracts.ts';
import type { Route } from '../shared/wire-messages.ts';
import type { SharedFile } from './shared-files.ts';
import { createVerifiedPieces } from './verified-pieces.ts';

// The sharer's store: pieces are read from the shared files themselves, never copied, and each is checked
// against its manifest hash before it is served (verified-pieces.ts).

/** Verified pieces kept for the next requests: peers ask for the same piece within moments of each other, and
 * every MiB here is resident in the sharer (as the tabs' warm cache, peer/storage/warm-store.ts). */
const VERIFIED_CACHE_BYTES = 16 * SIZES.MiB;

export interface ShareStore extends ProfileStore {
  /** Files that stopped being served, with the reason. */
  broken(): Map<FileId, string>;
}

export function createShareStore(opts: {
  swarmId: SwarmId;
  files: SharedFile[];
  /** Told once per file, when it stops being served. */
  onBroken: (file: SharedFile, reason: string) => void;
}): ShareStore {
  const files = new Map<FileId, SharedFile>(opts.files.map((f) => [f.fileId, f]));
  const pieces = createVerifiedPieces({
    cacheBytes: VERIFIED_CACHE_BYTES, since: 'shared', noFollow: false,
    onBroken: (fileId, reason) => {
      const file = files.get(fileId);
      if (file) opts.onBroken(file, reason);
    },
  });
  const swarms = new Set<SwarmId>([opts.swarmId]);
  const removed: Route[] = []; // files this run stopped sharing
  let closed = false;

  const records = (): FileRecord[] =>
    [...files.values()].map((f) => ({ swarmId: opts.swarmId, fileId: f.fileId, manifest: f.manifest, origin: 'seeded' }));

  return {
    async readBlock(fileId, index, offset, length) {
      const file = files.get(fileId);
      if (closed || file === undefined) return null;
      const piece = await pieces.piece({ fileId, manifest: file.manifest, path: file.absolutePath }, index);
      if (piece === null || offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
    async storedPieces(fileId) {
      const file = files.get(fileId);
      return file === undefined || pieces.broken(fileId) !== null ? [] : file.manifest.pieceHashes.map((_, i) => i);
    },
    async putPiece(fileId) {
      if (files.has(fileId)) return; // already on disk
      throw new StorageFailure('ERR_STORAGE_WRITE', 'this peer only shares its own files; it does not download');
    },
    async fileBlob(fileId) {
      const file = files.get(fileId);
      if (file === undefined) throw new StorageFailure('ERR_STORAGE_WRITE', `no shared file ${fileId}`);
      return openAsBlob(file.absolutePath);
    },
    saveSwarm: async (swarmId) => void swarms.add(swarmId),
    listSwarms: async () => [...swarms],
    saveFile: async () => undefined, // the shared files are the records; others' files are not kept
    listFiles: async () => records(),
    // The shared files are the person's own: removing one stops sharing it and never deletes it.
    async forgetFile(fileId) {
      for (const r of records()) if (r.fileId === fileId) removed.push({ swarmId: r.swarmId, fileId });
      pieces.forget(fileId);
      files.delete(fileId);
    },
    listRemoved: async () => [...removed],
    async leaveSwarm(swarmId) {
      swarms.delete(swarmId);
      removed.splice(0, removed.length, ...removed.filter((r) => r.swarmId !== swarmId));
    },
    async clear() {
      swarms.clear();
      files.clear();
      removed.length = 0;
    },
    usage: async () => new Map(), // nothing is copied into a store
    broken: () => new Map([...files.keys()].flatMap((id) => {
      const why = pieces.broken(id);
      return why === null ? [] : [[id, why] as const];
    })),
    close() {
      if (closed) return;
      closed = true;
      pieces.close();
    },
  };
}
