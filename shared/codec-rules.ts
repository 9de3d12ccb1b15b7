import { codedError, type CodecError } from './errors.ts';
import { MAX_BLOCK_LENGTH, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE } from './limits.ts';

// Framing rules that hold for every file, checked by decode (peer input) and by encode (our own
// messages, where breaking one is a programming fault). checkSpan in codec.ts adds the manifest.

export const bitfieldByteLength = (pieceCount: number): number => Math.ceil(pieceCount / 8);

export function pieceIndexProblem(piece: number): CodecError | null {
  if (piece >= MAX_PIECES_PER_FILE) return codedError('ERR_BAD_SPAN', `piece ${piece} ≥ ${MAX_PIECES_PER_FILE}`);
  return null;
}

/** offset/length of one block inside one piece of the largest allowed piece length. */
export function spanProblem(piece: number, offset: number, length: number): CodecError | null {
  if (length > MAX_BLOCK_LENGTH) return codedError('ERR_TOO_LARGE', `block length ${length} > ${MAX_BLOCK_LENGTH}`);
  if (length === 0) return codedError('ERR_BAD_SPAN', 'block length is 0');
  if (offset + length > MAX_PIECE_LENGTH) {
    return codedError('ERR_BAD_SPAN', `offset ${offset} + length ${length} > ${MAX_PIECE_LENGTH}`);
  }
  return pieceIndexProblem(piece);
}

export function pieceCountProblem(pieceCount: number): CodecError | null {
  if (pieceCount > MAX_PIECES_PER_FILE) return codedError('ERR_TOO_LARGE', `pieceCount ${pieceCount} > ${MAX_PIECES_PER_FILE}`);
  return null;
}

/** Bits are MSB-first (piece 0 is 0x80 of byte 0); the bits past pieceCount must be zero. */
export function spareBitsProblem(bits: Uint8Array, pieceCount: number): CodecError | null {
  if (bits.length !== bitfieldByteLength(pieceCount)) {
    return codedError('ERR_BAD_FRAME', `bitfield of ${bits.length} bytes for ${pieceCount} pieces`);
  }
  const used = pieceCount % 8;
  if (used === 0) return null;
  const spareMask = 0xff >> used;
  if ((bits[bits.length - 1]! & spareMask) !== 0) return codedError('ERR_BAD_FRAME', 'bitfield has spare bits set');
  return null;
}

/** For encode: a field of our own message is out of its wire range. */
export function assertUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`wire: ${field} = ${value} is not an integer in [0, ${max}]`);
  }
}

export function assertNoProblem(problem: CodecError | null): void {
  if (problem) throw new RangeError(`wire: ${problem.code}: ${problem.message}`);
}

export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
export const U32_MAX = 0xffff_ffff;
