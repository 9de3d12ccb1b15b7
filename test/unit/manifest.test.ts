import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { MAX_FILE_SIZE, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE, MIN_PIECE_LENGTH, SIZES } from '../../shared/limits.ts';
import {
  canonicalManifestBytes, computeFileId, createManifest, pieceCountFor, pieceLengthFor, pieceSize, SMALLEST_CHOSEN_PIECE_LENGTH,
  verifyManifest,
  type Manifest,
} from '../../shared/manifest.ts';

const { KiB, MiB } = SIZES;
const GiB = 1024 * MiB;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const lecture: Manifest = {
  name: 'lecture.pdf',
  size: 150_000,
  mimeType: 'application/pdf',
  pieceLength: 64 * KiB,
  pieceHashes: ['00'.repeat(32), '11'.repeat(32), '22'.repeat(32)],
};
// Pinned: changing the canonical encoding changes every fileId ever shared, so it must be deliberate.
const LECTURE_FILE_ID = '8f5fab9913749ef5dc2c7d08ab41b44ce609479f02e32e9e6d67f73fd61e590b';

describe('manifest identity', () => {
  test('manifest: canonical bytes and fileId are stable across versions and key orders', async () => {
    const reordered: Manifest = {
      pieceHashes: lecture.pieceHashes, pieceLength: lecture.pieceLength, mimeType: lecture.mimeType,
      size: lecture.size, name: lecture.name,
    };
    expect(new TextDecoder().decode(canonicalManifestBytes(reordered))).toBe(
      `{"v":1,"name":"lecture.pdf","size":150000,"mimeType":"application/pdf","pieceLength":65536,"pieceHashes":["${'0'.repeat(64)}","${'1'.repeat(64)}","${'2'.repeat(64)}"]}`,
    );
    expect(await computeFileId(reordered)).toBe(LECTURE_FILE_ID);
    expect(sha256(canonicalManifestBytes(lecture))).toBe(LECTURE_FILE_ID);
  });

  const variants: [string, Manifest][] = [
    ['name', { ...lecture, name: 'lecture.PDF' }],
    ['size', { ...lecture, size: 150_001 }],
    ['mimeType', { ...lecture, mimeType: 'application/octet-stream' }],
    ['pieceLength', { ...lecture, pieceLength: 128 * KiB }],
    ['one piece hash', { ...lecture, pieceHashes: ['00'.repeat(32), '11'.repeat(31) + '12', '22'.repeat(32)] }],
    ['piece hash order', { ...lecture, pieceHashes: [...lecture.pieceHashes].reverse() }],
  ];
  test.each(variants)('manifest: the fileId changes when the %s changes', async (_, variant) => {
    expect(await computeFileId(variant)).not.toBe(LECTURE_FILE_ID);
  });
});

describe('manifest verification', () => {
  test('manifest: a genuine manifest verifies and comes back without extra fields', async () => {
    const result = await verifyManifest(LECTURE_FILE_ID, { ...lecture, owner: 'mallory' });
    expect(result).toEqual({ ok: true, value: lecture });
  });

  const forgeries: [string, unknown, unknown, string][] = [
    ['a swapped piece hash under the real fileId', LECTURE_FILE_ID, { ...lecture, pieceHashes: ['ff'.repeat(32), ...lecture.pieceHashes.slice(1)] }, 'ERR_MANIFEST_HASH'],
    ['a renamed file under the real fileId', LECTURE_FILE_ID, { ...lecture, name: 'invoice.exe' }, 'ERR_MANIFEST_HASH'],
    ['a fileId that is not 32 bytes of hex', LECTURE_FILE_ID.slice(2), lecture, 'ERR_MANIFEST_HASH'],
    ['an upper-case fileId', LECTURE_FILE_ID.toUpperCase(), lecture, 'ERR_MANIFEST_HASH'],
    ['too few piece hashes for the size', LECTURE_FILE_ID, { ...lecture, pieceHashes: lecture.pieceHashes.slice(1) }, 'ERR_MANIFEST_PIECES'],
    ['a piece length that is not a power of two', LECTURE_FILE_ID, { ...lecture, pieceLength: 100_000 }, 'ERR_MANIFEST_SHAPE'],
    ['a negative size', LECTURE_FILE_ID, { ...lecture, size: -1 }, 'ERR_MANIFEST_SHAPE'],
    ['a hash list over the piece cap', LECTURE_FILE_ID, { ...lecture, pieceHashes: Array(MAX_PIECES_PER_FILE + 1).fill('00'.repeat(32)) }, 'ERR_MANIFEST_SHAPE'],
    ['not an object', LECTURE_FILE_ID, 'lecture.pdf', 'ERR_MANIFEST_SHAPE'],
  ];
  test.each(forgeries)('manifest: verifyManifest refuses %s', async (_, fileId, manifest, code) => {
    const result = await verifyManifest(fileId, manifest);
    expect(result.ok ? 'accepted' : result.error.code).toBe(code);
  });
});

describe('manifest pieces', () => {
  const rule: [number, number][] = [
    [0, MIN_PIECE_LENGTH],
    [1, MIN_PIECE_LENGTH],
    [1 * MiB, MIN_PIECE_LENGTH], // small files keep 16 pieces, down to the 64 KiB minimum
    [4 * MiB, 256 * KiB],
    [16 * MiB - 1, 1 * MiB / 2],
    [16 * MiB, SMALLEST_CHOSEN_PIECE_LENGTH], // 16 pieces of the smallest chosen length
    [64 * MiB, 1 * MiB],
    [1 * GiB, 1 * MiB], // exactly 1024 pieces of the smallest chosen length
    [1 * GiB + 1, 2 * MiB],
    [16 * GiB, 16 * MiB],
    [16 * GiB + 1, MAX_PIECE_LENGTH], // clamped: past here pieces exceed 1024
    [MAX_FILE_SIZE, MAX_PIECE_LENGTH],
  ];
  test.each(rule)('manifest: a file of %i bytes gets pieces of %i bytes', (size, pieceLength) => {
    expect(pieceLengthFor(size)).toBe(pieceLength);
    expect(pieceCountFor(size, pieceLength)).toBeLessThanOrEqual(MAX_PIECES_PER_FILE);
  });

  const withSmallest: [number, number, number][] = [
    [1, 64 * KiB, MIN_PIECE_LENGTH],
    [64 * MiB, 64 * KiB, 64 * KiB], // exactly 1024 pieces of the minimum a manifest allows
    [64 * MiB + 1, 64 * KiB, 128 * KiB],
    [1, 1024, MIN_PIECE_LENGTH], // below the manifest minimum: clamped up
    [1 * GiB, 64 * MiB, MAX_PIECE_LENGTH], // above the maximum: clamped down
  ];
  test.each(withSmallest)('manifest: a file of %i bytes with smallest %i gets pieces of %i bytes', (size, smallest, pieceLength) => {
    expect(pieceLengthFor(size, smallest)).toBe(pieceLength);
  });

  test('manifest: pieces cover the file exactly, the last one shorter', () => {
    const sizes = Array.from({ length: 3 }, (_, i) => pieceSize(lecture, i));
    expect(sizes).toEqual([65_536, 65_536, 150_000 - 131_072]);
    expect(pieceSize(lecture, 3)).toBe(0);
  });
});

/** A Blob that records every slice taken and refuses to be read whole. */
class SliceOnlyBlob extends Blob {
  readonly sliceLengths: number[] = [];
  override slice(start?: number, end?: number, type?: string): Blob {
    const piece = super.slice(start, end, type);
    this.sliceLengths.push(piece.size);
    return piece;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    throw new Error('read the whole file into memory');
  }
  override stream(): ReturnType<Blob['stream']> {
    throw new Error('read the whole file at once');
  }
}

describe('manifest creation', () => {
  test('manifest: createManifest hashes a Blob piece by piece into a manifest that verifies', async () => {
    const bytes = Uint8Array.from({ length: 3 * 64 * KiB + 123 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
    const blob = new SliceOnlyBlob([bytes], { type: 'video/webm' });
    const progress: number[] = [];
    const { fileId, manifest } = await createManifest(blob, {
      name: 'clip.webm', smallestPieceLength: 64 * KiB, onProgress: (p) => progress.push(p.hashedBytes),
    });

    expect(blob.sliceLengths).toEqual([64 * KiB, 64 * KiB, 64 * KiB, 123]);
    expect(progress).toEqual([64 * KiB, 128 * KiB, 192 * KiB, bytes.length]);
    const expectedHashes = [0, 1, 2, 3].map((i) => sha256(bytes.subarray(i * 64 * KiB, (i + 1) * 64 * KiB)));
    expect(manifest).toEqual({ name: 'clip.webm', size: bytes.length, mimeType: 'video/webm', pieceLength: 64 * KiB, pieceHashes: expectedHashes });
    expect(await verifyManifest(fileId, manifest)).toEqual({ ok: true, value: manifest });
  });

  test('manifest: an empty file has no pieces and still verifies', async () => {
    const { fileId, manifest } = await createManifest(new Blob([]), { name: 'empty.txt' });
    expect(manifest.pieceHashes).toEqual([]);
    expect(manifest.mimeType).toBe('application/octet-stream');
    expect((await verifyManifest(fileId, manifest)).ok).toBe(true);
  });
});
