import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { FileId, SwarmId } from '../shared/ids.ts';
import { SIZES } from '../shared/limits.ts';
import { pieceSize } from '../shared/manifest.ts';
import { StorageFailure, type FileRecord, type ProfileStore } from '../peer/contracts.ts';
import { createByteLru } from '../peer/storage/byte-lru.ts';
import type { Route } from '../shared/wire-messages.ts';
import type { SharedFile } from './shared-files.ts';

// The sharer's store: pieces are read from the shared files themselves, never copied. Every piece read is
// checked against its manifest hash before it is served, so a file edited, truncated or deleted while shared
// is caught at its first changed piece: that file stops being served (and the owner is told), the rest go on.

/** Verified pieces kept for the next requests: peers ask for the same piece within moments of each other, and
 * every MiB here is resident in the sharer (as the tabs' warm cache, peer/storage/warm-store.ts). */
const VERIFIED_CACHE_BYTES = 16 * SIZES.MiB;

export interface ShareStore extends ProfileStore {
  /** Files that stopped being served, with the reason. */
  broken(): Map<FileId, string>;
}

interface OpenFile {
  shared: SharedFile;
  handle: Promise<FileHandle> | null;
  broken: string | null;
}

export function createShareStore(opts: {
  swarmId: SwarmId;
  files: SharedFile[];
  /** Told once per file, when it stops being served. */
  onBroken: (file: SharedFile, reason: string) => void;
}): ShareStore {
  const files = new Map<FileId, OpenFile>(opts.files.map((f) => [f.fileId, { shared: f, handle: null, broken: null }]));
  const verified = createByteLru<string>(VERIFIED_CACHE_BYTES);
  const reading = new Map<string, Promise<Uint8Array | null>>();
  const swarms = new Set<SwarmId>([opts.swarmId]);
  const removed: Route[] = []; // files this run stopped sharing
  let closed = false;

  function markBroken(file: OpenFile, reason: string): null {
    if (file.broken !== null) return null;
    file.broken = reason;
    verified.deleteWhere((key) => key.startsWith(`${file.shared.fileId}:`));
    void file.handle?.then((h) => h.close()).catch(() => undefined);
    file.handle = null;
    opts.onBroken(file.shared, reason);
    return null;
  }

  async function readPiece(file: OpenFile, index: number): Promise<Uint8Array | null> {
    const { manifest, absolutePath } = file.shared;
    const length = pieceSize(manifest, index);
    try {
      file.handle ??= open(absolutePath, 'r');
      const handle = await file.handle;
      const bytes = new Uint8Array(length);
      const { bytesRead } = await handle.read(bytes, 0, length, index * manifest.pieceLength);
      if (bytesRead !== length) return markBroken(file, `it is shorter than when it was shared (piece ${index})`);
      if (createHash('sha256').update(bytes).digest('hex') !== manifest.pieceHashes[index]) {
        return markBroken(file, `it changed on disk since it was shared (piece ${index} no longer matches)`);
      }
      return bytes;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return markBroken(file, code === 'ENOENT' ? 'it was deleted or moved' : `it cannot be read (${code ?? String(e)})`);
    }
  }

  /** One disk read and hash per piece, however many peers ask for it at once. */
  function verifiedPiece(file: OpenFile, index: number): Promise<Uint8Array | null> {
    const key = `${file.shared.fileId}:${index}`;
    const hit = verified.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = reading.get(key);
    if (pending === undefined) {
      pending = readPiece(file, index).then((bytes) => {
        if (bytes !== null && file.broken === null) verified.set(key, bytes);
        return bytes;
      }).finally(() => reading.delete(key));
      reading.set(key, pending);
    }
    return pending;
  }

  const records = (): FileRecord[] =>
    [...files.values()].map((f) => ({ swarmId: opts.swarmId, fileId: f.shared.fileId, manifest: f.shared.manifest, origin: 'seeded' }));

  return {
    async readBlock(fileId, index, offset, length) {
      const file = files.get(fileId);
      if (closed || file === undefined || file.broken !== null) return null;
      if (!Number.isInteger(index) || index < 0 || index >= file.shared.manifest.pieceHashes.length) return null;
      const piece = await verifiedPiece(file, index);
      if (piece === null || offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
    async storedPieces(fileId) {
      const file = files.get(fileId);
      return file === undefined || file.broken !== null ? [] : file.shared.manifest.pieceHashes.map((_, i) => i);
    },
    async putPiece(fileId) {
      if (files.has(fileId)) return; // already on disk
      throw new StorageFailure('ERR_STORAGE_WRITE', 'this peer only shares its own files; it does not download');
    },
    async fileBlob(fileId) {
      const file = files.get(fileId);
      if (file === undefined) throw new StorageFailure('ERR_STORAGE_WRITE', `no shared file ${fileId}`);
      return openAsBlob(file.shared.absolutePath);
    },
    saveSwarm: async (swarmId) => void swarms.add(swarmId),
    listSwarms: async () => [...swarms],
    saveFile: async () => undefined, // the shared files are the records; others' files are not kept
    listFiles: async () => records(),
    // The shared files are the person's own: removing one stops sharing it and never deletes it.
    async forgetFile(fileId) {
      for (const r of records()) if (r.fileId === fileId) removed.push({ swarmId: r.swarmId, fileId });
      void files.get(fileId)?.handle?.then((h) => h.close()).catch(() => undefined);
      files.delete(fileId);
      verified.deleteWhere((key) => key.startsWith(`${fileId}:`));
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
    broken: () => new Map([...files].flatMap(([id, f]) => (f.broken === null ? [] : [[id, f.broken] as const]))),
    close() {
      if (closed) return;
      closed = true;
      for (const f of files.values()) void f.handle?.then((h) => h.close()).catch(() => undefined);
    },
  };
}
