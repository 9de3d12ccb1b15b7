import type { ProfileStore } from '../../../peer/contracts.ts';
import type { FileId } from '../../../shared/ids.ts';
import { pieceSize, type Manifest } from '../../../shared/manifest.ts';
import { createMemoryStore } from '../../helpers/memory-store.ts';

// A profile store like a disk in the page cache, for CPU benches of the engine: each file is one buffer, touched
// when the file's record is saved (before the transfer); a put piece is copied into its place, a read is a view.
// So the store costs one memcpy per piece and allocates nothing while bytes move: what the bench counts is the
// engine's own work (the memory store's copy per put would be a fresh allocation on every piece).

export function createSlabStore(): ProfileStore {
  const base = createMemoryStore();
  const slabs = new Map<FileId, { manifest: Manifest; bytes: Uint8Array; had: Set<number> }>();
  const slabFor = (manifest: Manifest, fileId: FileId) => {
    const known = slabs.get(fileId);
    if (known) return known;
    const slab = { manifest, bytes: new Uint8Array(manifest.size).fill(1), had: new Set<number>() };
    slabs.set(fileId, slab);
    return slab;
  };
  return {
    ...base,
    async saveFile(record) {
      const slab = slabFor(record.manifest, record.fileId);
      for (const index of await base.storedPieces(record.fileId)) { // a seeder's own pieces, stored before its record
        slab.bytes.set(base.pieces.get(`${record.fileId}:${index}`)!, index * record.manifest.pieceLength);
        slab.had.add(index);
      }
      await base.saveFile(record);
    },
    async putPiece(fileId, index, bytes) {
      const slab = slabs.get(fileId);
      if (!slab) return base.putPiece(fileId, index, bytes); // a seeder's own file, before its record is saved
      slab.bytes.set(bytes, index * slab.manifest.pieceLength);
      slab.had.add(index);
    },
    async readBlock(fileId, index, offset, length) {
      const slab = slabs.get(fileId);
      if (!slab || !slab.had.has(index)) return base.readBlock(fileId, index, offset, length);
      if (offset < 0 || length < 0 || offset + length > pieceSize(slab.manifest, index)) return null;
      const at = index * slab.manifest.pieceLength + offset;
      return slab.bytes.subarray(at, at + length);
    },
    async storedPieces(fileId) {
      const slab = slabs.get(fileId);
      const own = await base.storedPieces(fileId);
      return slab ? [...new Set([...own, ...slab.had])].sort((a, b) => a - b) : own;
    },
  };
}
