import { createBufferPool } from '../buffer-pool.ts';
import { createByteLru } from './byte-lru.ts';
import { SIZES } from '../../shared/limits.ts';
import type { FileId } from '../../shared/ids.ts';
import type { PieceStore, ProfileStore } from '../contracts.ts';

// Pieces just written (seeded, or downloaded and verified) are the ones peers ask for next: keep them
// in memory after the write committed, so serving them skips an IndexedDB read and a Blob read. The pieces it
// evicts are the buffers the next downloaded pieces are assembled in (buffer-pool.ts): the store under it keeps
// no reference to a piece once its write resolved (a Blob, a file write, a copy).

/**
 * Peers ask for a piece within a second or so of its `have`, so the last 16 pieces (at 1 MiB) serve nearly every
 * request from memory; a larger cache was no faster (docs/performance.md), and every MiB here is resident.
 */
export const WARM_CACHE_BYTES = 16 * SIZES.MiB;
/** Pieces being received at once: a few per peer (its window of blocks spans one or two pieces). */
export const RECYCLED_PIECE_BYTES = 8 * SIZES.MiB;

export function withWarmCache<S extends PieceStore | ProfileStore>(store: S, maxBytes = WARM_CACHE_BYTES): S {
  const recycled = createBufferPool(RECYCLED_PIECE_BYTES);
  const warm = createByteLru<string>(maxBytes, (bytes) => recycled.give(bytes));
  const checkAndPut = store.checkAndPut?.bind(store);
  return {
    ...store,
    pieceBuffer: (length) => recycled.take(length),
    async putPiece(fileId, index, bytes) {
      await store.putPiece(fileId, index, bytes);
      warm.set(`${fileId}:${index}`, bytes);
    },
    ...(checkAndPut === undefined ? {} : {
      async checkAndPut(fileId: FileId, index: number, bytes: Uint8Array, hash: string) {
        const out = await checkAndPut(fileId, index, bytes, hash);
        if (out.result === 'stored') warm.set(`${fileId}:${index}`, out.bytes);
        return out;
      },
    }),
    async readBlock(fileId, index, offset, length) {
      const piece = warm.get(`${fileId}:${index}`);
      if (piece === undefined) return store.readBlock(fileId, index, offset, length);
      if (offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
  };
}
