import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileId } from '../shared/ids.ts';
import { computeFileId, pieceLengthFor, type Manifest } from '../shared/manifest.ts';

// A file on disk into the same manifest a tab would make of it: streamed through node:crypto, one piece's
// hash state and one read chunk in memory, whatever the file's size.

const READ_CHUNK_BYTES = 1024 * 1024;
/** What a tab's `File.type` would most often be for a shared lab file we cannot sniff; the fileId covers it. */
export const NODE_MIME_TYPE = 'application/octet-stream';

export interface HashedFile {
  fileId: FileId;
  manifest: Manifest;
}

/** SHA-256 of each piece of the file, in order. Throws when the file's length is not `size` (it changed). */
export async function hashPieces(
  filePath: string, size: number, pieceLength: number, onBytes: (hashedBytes: number) => void = () => {},
): Promise<string[]> {
  const hashes: string[] = [];
  let hash = createHash('sha256');
  let inPiece = 0;
  let hashed = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(pieceLength - inPiece, chunk.length - at);
      hash.update(chunk.subarray(at, at + take));
      at += take;
      inPiece += take;
      if (inPiece === pieceLength) {
        hashes.push(hash.digest('hex'));
        hash = createHash('sha256');
        inPiece = 0;
      }
    }
    hashed += chunk.length;
    onBytes(hashed);
  }
  if (inPiece > 0) hashes.push(hash.digest('hex'));
  if (hashed !== size) throw new Error(`${filePath} changed while it was hashed (${hashed} bytes read, ${size} expected)`);
  return hashes;
}

/** The manifest of a file on disk under a given name (a path relative to what was shared, '/'-separated). */
export async function hashFile(
  filePath: string, opts: { name: string; size: number; onBytes?: (hashedBytes: number) => void },
): Promise<HashedFile> {
  const pieceLength = pieceLengthFor(opts.size);
  const pieceHashes = await hashPieces(filePath, opts.size, pieceLength, opts.onBytes);
  const manifest: Manifest = { name: opts.name, size: opts.size, mimeType: NODE_MIME_TYPE, pieceLength, pieceHashes };
  return { fileId: await computeFileId(manifest), manifest };
}
