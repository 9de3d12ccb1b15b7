import type { FileId } from '../../shared/ids.ts';
import { createManifest, pieceSize, type Manifest, type ManifestProgress } from '../../shared/manifest.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import type { PieceStore } from '../contracts.ts';

// Seeding a local file: hash it streaming into a manifest, then copy it piece by piece into the
// store (so a reload still serves it), never holding more than one piece in memory.

export interface SeedProgress {
  phase: 'hashing' | 'storing';
  doneBytes: number;
  totalBytes: number;
}

export interface SeededFile {
  fileId: FileId;
  manifest: Manifest;
}

export async function seedBlob(
  store: PieceStore,
  blob: Blob,
  onProgress: (p: SeedProgress) => void = () => {},
  smallestPieceLength?: number,
): Promise<SeededFile> {
  const named = blob as Blob & { name?: string };
  const { fileId, manifest } = await createManifest(named, {
    ...(smallestPieceLength === undefined ? {} : { smallestPieceLength }),
    onProgress: (p: ManifestProgress) => onProgress({ phase: 'hashing', doneBytes: p.hashedBytes, totalBytes: p.totalBytes }),
  });
  const stored = new Set(await store.storedPieces(fileId));
  for (let index = 0; index < manifest.pieceHashes.length; index++) {
    const start = index * manifest.pieceLength;
    const end = start + pieceSize(manifest, index);
    if (!stored.has(index)) {
      const bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
      // The file on disk may change between the two passes: never store a piece its hash denies.
      if ((await sha256Hex(bytes)) !== manifest.pieceHashes[index]) throw new Error(`${manifest.name} changed while seeding`);
      await store.putPiece(fileId, index, bytes);
    }
    onProgress({ phase: 'storing', doneBytes: end, totalBytes: manifest.size });
  }
  return { fileId, manifest };
}
