import * as v from 'valibot';
import { FILE_ID_BYTES, isHexId, type FileId } from './ids.ts';
import { err, ok, type Result } from './result.ts';
import { sha256Hex } from './sha256.ts';
import {
  MAX_FILE_NAME_LENGTH, MAX_FILE_SIZE, MAX_MIME_TYPE_LENGTH, MAX_PIECE_LENGTH,
  MAX_PIECES_PER_FILE, MIN_PIECE_LENGTH, TARGET_PIECES_PER_FILE,
} from './limits.ts';

/** What a file is: enough to verify every piece of it, and nothing about who has it. */
export interface Manifest {
  name: string;
  size: number;
  mimeType: string;
  pieceLength: number;
  /** SHA-256 of every piece, lowercase hex, in order. */
  pieceHashes: readonly string[];
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The shape check; `checkManifest` adds the cross-field rules. Shared by server and client. */
export const ManifestSchema = v.object({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_FILE_NAME_LENGTH)),
  size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_FILE_SIZE)),
  mimeType: v.pipe(v.string(), v.maxLength(MAX_MIME_TYPE_LENGTH)),
  pieceLength: v.pipe(
    v.number(), v.integer(), v.minValue(MIN_PIECE_LENGTH), v.maxValue(MAX_PIECE_LENGTH),
    v.check(isPowerOfTwo, 'pieceLength must be a power of two'),
  ),
  pieceHashes: v.pipe(v.array(v.pipe(v.string(), v.regex(SHA256_HEX))), v.maxLength(MAX_PIECES_PER_FILE)),
});

export type ManifestError =
  | { code: 'ERR_MANIFEST_SHAPE'; message: string }
  | { code: 'ERR_MANIFEST_PIECES'; message: string }
  | { code: 'ERR_MANIFEST_HASH'; message: string };

export const pieceCountFor = (size: number, pieceLength: number): number => Math.ceil(size / pieceLength);

/** Byte length of piece `index` (the last one may be shorter). */
export function pieceSize(m: Pick<Manifest, 'size' | 'pieceLength'>, index: number): number {
  const start = index * m.pieceLength;
  return Math.max(0, Math.min(m.pieceLength, m.size - start));
}

/**
 * Pieces the rule picks are at least this long, though manifests of 64 KiB pieces stay valid. Each piece costs a
 * Blob, an IndexedDB record, a hash call and a `have`, so fewer pieces cost less CPU (docs/performance.md).
 */
export const SMALLEST_CHOSEN_PIECE_LENGTH = 1024 * 1024;
/**
 * ...except that a small file still gets this many pieces (down to 64 KiB): it can then come from several peers
 * at once, and its first piece lands sooner. The per-piece costs above do not matter at this size.
 */
export const PIECES_OF_A_SMALL_FILE = 16;

/**
 * Rule: the smallest power of two ≥ size / 1024 and ≥ `smallest` (1 MiB), clamped to [64 KiB, 16 MiB]; then
 * halved (not below 64 KiB) while the file would have fewer than 16 pieces.
 */
export function pieceLengthFor(size: number, smallest = SMALLEST_CHOSEN_PIECE_LENGTH): number {
  let len = Math.min(MAX_PIECE_LENGTH, Math.max(MIN_PIECE_LENGTH, smallest));
  while (len < MAX_PIECE_LENGTH && len * TARGET_PIECES_PER_FILE < size) len *= 2;
  while (len > MIN_PIECE_LENGTH && len * PIECES_OF_A_SMALL_FILE > size) len /= 2;
  return len;
}

/** Validates shape and the piece count against size; returns a clean copy (no extra fields). */
export function checkManifest(input: unknown): Result<Manifest, ManifestError> {
  const parsed = v.safeParse(ManifestSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue?.path?.map((p) => String(p.key)).join('.') ?? 'manifest';
    return err({ code: 'ERR_MANIFEST_SHAPE', message: `${where}: ${issue?.message ?? 'invalid'}` });
  }
  const m = parsed.output;
  const expected = pieceCountFor(m.size, m.pieceLength);
  if (m.pieceHashes.length !== expected) {
    return err({ code: 'ERR_MANIFEST_PIECES', message: `expected ${expected} piece hashes, got ${m.pieceHashes.length}` });
  }
  return ok({ name: m.name, size: m.size, mimeType: m.mimeType, pieceLength: m.pieceLength, pieceHashes: [...m.pieceHashes] });
}

/** Canonical bytes: UTF-8 JSON with a fixed key order and no whitespace. The fileId hashes these. */
export function canonicalManifestBytes(m: Manifest): Uint8Array {
  const canonical = JSON.stringify({
    v: 1, name: m.name, size: m.size, mimeType: m.mimeType, pieceLength: m.pieceLength, pieceHashes: m.pieceHashes,
  });
  return new TextEncoder().encode(canonical);
}

export const computeFileId = (m: Manifest): Promise<FileId> => sha256Hex(canonicalManifestBytes(m));

/** A manifest from anyone (server, peer, link) is accepted only if it hashes to the fileId it came with. */
export async function verifyManifest(fileId: unknown, input: unknown): Promise<Result<Manifest, ManifestError>> {
  if (!isHexId(fileId, FILE_ID_BYTES)) return err({ code: 'ERR_MANIFEST_HASH', message: 'fileId is not 32 bytes of hex' });
  const checked = checkManifest(input);
  if (!checked.ok) return checked;
  const actual = await computeFileId(checked.value);
  if (actual !== fileId) return err({ code: 'ERR_MANIFEST_HASH', message: 'manifest does not hash to its fileId' });
  return checked;
}

export interface ManifestProgress { hashedBytes: number; totalBytes: number }

/** Streams a Blob/File piece by piece (never the whole file in memory) into a manifest. */
export async function createManifest(
  blob: Blob & { name?: string },
  opts: { name?: string; onProgress?: (p: ManifestProgress) => void; smallestPieceLength?: number } = {},
): Promise<{ fileId: FileId; manifest: Manifest }> {
  const size = blob.size;
  const pieceLength = pieceLengthFor(size, opts.smallestPieceLength);
  const pieceHashes: string[] = [];
  for (let start = 0; start < size; start += pieceLength) {
    const piece = new Uint8Array(await blob.slice(start, Math.min(size, start + pieceLength)).arrayBuffer());
    pieceHashes.push(await sha256Hex(piece));
    opts.onProgress?.({ hashedBytes: Math.min(size, start + pieceLength), totalBytes: size });
  }
  const name = (opts.name ?? blob.name ?? 'file').slice(0, MAX_FILE_NAME_LENGTH) || 'file';
  const manifest: Manifest = { name, size, mimeType: (blob.type || 'application/octet-stream').slice(0, MAX_MIME_TYPE_LENGTH), pieceLength, pieceHashes };
  return { fileId: await computeFileId(manifest), manifest };
}
