import { StorageFailure, type FileRecord, type ProfileStore } from '../../peer/contracts.ts';
import type { FileId, SwarmId } from '../../shared/ids.ts';
import type { Route } from '../../shared/wire-messages.ts';

/** A ProfileStore in memory, for engine tests; `failWrites` simulates a full disk. */
export interface MemoryStore extends ProfileStore {
  readonly pieces: Map<string, Uint8Array>;
  failWrites: boolean;
  /** Delays storedPieces, so routes are added late (after peers' first messages arrived). */
  listDelayMs: number;
}

const key = (fileId: FileId, index: number): string => `${fileId}:${index}`;

export function createMemoryStore(): MemoryStore {
  const pieces = new Map<string, Uint8Array>();
  const swarms = new Set<SwarmId>();
  const files = new Map<string, FileRecord>();
  const removed = new Map<string, Route>();
  const dropPieces = (fileId: FileId) => {
    for (const k of [...pieces.keys()]) if (k.startsWith(`${fileId}:`)) pieces.delete(k);
  };
  const store: MemoryStore = {
    pieces,
    failWrites: false,
    listDelayMs: 0,
    async putPiece(fileId, index, bytes) {
      if (store.failWrites) throw new StorageFailure('ERR_STORAGE_QUOTA', 'storage is full');
      pieces.set(key(fileId, index), bytes.slice());
    },
    async readBlock(fileId, index, offset, length) {
      const piece = pieces.get(key(fileId, index));
      if (!piece || offset + length > piece.length) return null;
      return piece.slice(offset, offset + length);
    },
    async storedPieces(fileId) {
      if (store.listDelayMs > 0) await new Promise((r) => setTimeout(r, store.listDelayMs));
      const out: number[] = [];
      for (const k of pieces.keys()) if (k.startsWith(`${fileId}:`)) out.push(Number(k.slice(fileId.length + 1)));
      return out.sort((x, y) => x - y);
    },
    async fileBlob(fileId, pieceCount, mimeType) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < pieceCount; i++) {
        const piece = pieces.get(key(fileId, i));
        if (piece === undefined) throw new StorageFailure('ERR_PIECE_MISSING', `piece ${i} of ${fileId} is not stored`);
        parts.push(piece);
      }
      return new Blob(parts as BlobPart[], { type: mimeType });
    },
    saveSwarm: async (swarmId) => void swarms.add(swarmId),
    listSwarms: async () => [...swarms],
    async saveFile(record) {
      files.set(`${record.swarmId}:${record.fileId}`, record);
      removed.delete(`${record.swarmId}:${record.fileId}`);
    },
    listFiles: async () => [...files.values()],
    async forgetFile(fileId) {
      for (const [k, f] of files) {
        if (f.fileId !== fileId) continue;
        files.delete(k);
        removed.set(k, { swarmId: f.swarmId, fileId });
      }
      dropPieces(fileId);
    },
    listRemoved: async () => [...removed.values()],
    async leaveSwarm(swarmId) {
      swarms.delete(swarmId);
      for (const [k, r] of removed) if (r.swarmId === swarmId) removed.delete(k);
      const left = [...files].filter(([, f]) => f.swarmId === swarmId);
      for (const [k] of left) files.delete(k);
      for (const [, f] of left) if (![...files.values()].some((o) => o.fileId === f.fileId)) dropPieces(f.fileId);
    },
    async clear() {
      for (const m of [pieces, swarms, files, removed]) m.clear();
    },
    async usage() {
      const bytes = new Map<FileId, number>();
      for (const [k, piece] of pieces) {
        const fileId = k.slice(0, k.indexOf(':'));
        bytes.set(fileId, (bytes.get(fileId) ?? 0) + piece.length);
      }
      return bytes;
    },
    close() {},
  };
  return store;
}
