import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { FileId } from '../shared/ids.ts';
import { pieceSize, type Manifest } from '../shared/manifest.ts';
import { createByteLru } from '../peer/storage/byte-lru.ts';
import { nodeSha256Hex } from './sha256.ts';

// Pieces served from files on disk (the sharer's own files, the downloader's finished files) are read back and
// checked against their manifest hash before they leave: a file edited, truncated or deleted since is caught
// at its first changed piece, stops being served (and the owner is told once), and the other files go on.

export interface PieceFile {
  fileId: FileId;
  manifest: Manifest;
  path: string;
}

export interface VerifiedPieces {
  /** The piece as it is on disk if it still matches its hash; null (and the file stops being served) if not. */
  piece(file: PieceFile, index: number): Promise<Uint8Array | null>;
  /** Why the file stopped being served, or null. */
  broken(fileId: FileId): string | null;
  /** Closes the file and forgets its cached pieces and broken state (it was removed, or moved into place). */
  forget(fileId: FileId): void;
  close(): void;
}

export function createVerifiedPieces(opts: {
  /** Verified pieces kept for the next requests: peers ask for the same piece within moments of each other. */
  cacheBytes: number;
  /** How the change is dated in the reason: "since it was shared". */
  since: string;
  /** Refuse to read through a symlink (the downloader's files: it made them, so none is a symlink). */
  noFollow: boolean;
  onBroken: (fileId: FileId, reason: string) => void;
}): VerifiedPieces {
  const handles = new Map<FileId, Promise<FileHandle>>();
  const brokenWhy = new Map<FileId, string>();
  const verified = createByteLru<string>(opts.cacheBytes);
  const reading = new Map<string, Promise<Uint8Array | null>>();

  function release(fileId: FileId): void {
    void handles.get(fileId)?.then((h) => h.close()).catch(() => undefined);
    handles.delete(fileId);
    verified.deleteWhere((key) => key.startsWith(`${fileId}:`));
  }

  function markBroken(fileId: FileId, reason: string): null {
    if (brokenWhy.has(fileId)) return null;
    brokenWhy.set(fileId, reason);
    release(fileId);
    opts.onBroken(fileId, reason);
    return null;
  }

  async function readPiece(file: PieceFile, index: number): Promise<Uint8Array | null> {
    const { fileId, manifest } = file;
    const length = pieceSize(manifest, index);
    try {
      let handle = handles.get(fileId);
      if (handle === undefined) handles.set(fileId, (handle = open(file.path, constants.O_RDONLY | (opts.noFollow ? constants.O_NOFOLLOW : 0))));
      const bytes = new Uint8Array(length);
      const { bytesRead } = await (await handle).read(bytes, 0, length, index * manifest.pieceLength);
      if (bytesRead !== length) return markBroken(fileId, `it is shorter than when it was ${opts.since} (piece ${index})`);
      if (nodeSha256Hex(bytes) !== manifest.pieceHashes[index]) {
        return markBroken(fileId, `it changed on disk since it was ${opts.since} (piece ${index} no longer matches)`);
      }
      return bytes;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return markBroken(fileId, code === 'ENOENT' ? 'it was deleted or moved' : `it cannot be read (${code ?? String(e)})`);
    }
  }

  return {
    /** One disk read and hash per piece, however many peers ask for it at once. */
    piece(file, index) {
      if (brokenWhy.has(file.fileId)) return Promise.resolve(null);
      if (!Number.isInteger(index) || index < 0 || index >= file.manifest.pieceHashes.length) return Promise.resolve(null);
      const key = `${file.fileId}:${index}`;
      const hit = verified.get(key);
      if (hit !== undefined) return Promise.resolve(hit);
      let pending = reading.get(key);
      if (pending === undefined) {
        pending = readPiece(file, index).then((bytes) => {
          if (bytes !== null && !brokenWhy.has(file.fileId)) verified.set(key, bytes);
          return bytes;
        }).finally(() => reading.delete(key));
        reading.set(key, pending);
      }
      return pending;
    },
    broken: (fileId) => brokenWhy.get(fileId) ?? null,
    forget(fileId) {
      release(fileId);
      brokenWhy.delete(fileId);
    },
    close() {
      for (const fileId of [...handles.keys()]) release(fileId);
    },
  };
}
