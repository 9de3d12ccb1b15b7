import { createByteLru } from '../byte-lru.ts';
import { SIZES } from '../../shared/limits.ts';
import type { PieceStore } from '../contracts.ts';
import type { ProfileStore } from '../piece-store.ts';

// Pieces just written (seeded, or downloaded and verified) are the ones peers ask for next: keep them
// in memory after the write committed, so serving them skips an IndexedDB read and a Blob read.

/** A class shares files of tens of MiB; this keeps the hot end of one in memory without growing further. */
export const WARM_CACHE_BYTES = 32 * SIZES.MiB;

export function withWarmCache<S extends PieceStore | ProfileStore>(store: S, maxBytes = WARM_CACHE_BYTES): S {
  const warm = createByteLru<string>(maxBytes);
  return {
    ...store,
    async putPiece(fileId, index, bytes) {
      await store.putPiece(fileId, index, bytes);
      warm.set(`${fileId}:${index}`, bytes);
    },
    async readBlock(fileId, index, offset, length) {
      const piece = warm.get(`${fileId}:${index}`);
      if (piece === undefined) return store.readBlock(fileId, index, offset, length);
      if (offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
  };
}
