import { err, ok, type Result } from './result.ts';

// One bit per piece, MSB-first as in BitTorrent: piece 0 is bit 7 of byte 0; spare bits are zero.
//
// Usage:
//   const mine = createBitfield(manifest.pieceHashes.length);
//   setBit(mine, 0);                                   // mutates; true if the bit was newly set
//   const bytes = bitfieldToBytes(mine);               // → a 'bitfield' wire message
//   const theirs = bitfieldFromBytes(msg.bits, pieceCount);
//   if (!theirs.ok) return dropPeer(theirs.error);     // wrong length or spare bits set
//   if (getBit(theirs.value, 3)) { /* they have piece 3 */ }
//   countSet(mine);                                     // O(1), kept up to date
//   isComplete(mine);                                   // every piece had
//   const seeded = fullBitfield(pieceCount);           // a seeder's bitfield

export interface Bitfield {
  /** Number of bits (pieces). */
  readonly size: number;
  /** ceil(size / 8) bytes, MSB-first, spare bits zero. */
  readonly bytes: Uint8Array;
  /** Bits set; maintained by setBit/clearBit, read it through countSet. */
  setCount: number;
}

export type BitfieldError = 'wrong-length' | 'spare-bits-set';

export const bitfieldByteLength = (size: number): number => Math.ceil(size / 8);

export function createBitfield(size: number): Bitfield {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`bitfield size must be a natural number, got ${size}`);
  return { size, bytes: new Uint8Array(bitfieldByteLength(size)), setCount: 0 };
}

export function fullBitfield(size: number): Bitfield {
  const bf = createBitfield(size);
  bf.bytes.fill(0xff);
  clearSpareBits(bf.bytes, size);
  bf.setCount = size;
  return bf;
}

/** Why bytes are no bitfield of `size` bits: the length must be exactly ceil(size / 8) and the spare bits zero. */
export function bitfieldBytesProblem(bytes: Uint8Array, size: number): BitfieldError | null {
  if (bytes.length !== bitfieldByteLength(size)) return 'wrong-length';
  const spare = size % 8 === 0 ? 0 : 0xff >> (size % 8);
  if (spare !== 0 && ((bytes[bytes.length - 1] ?? 0) & spare) !== 0) return 'spare-bits-set';
  return null;
}

/** Untrusted input, checked by bitfieldBytesProblem. Copies the bytes. */
export function bitfieldFromBytes(bytes: Uint8Array, size: number): Result<Bitfield, BitfieldError> {
  const problem = bitfieldBytesProblem(bytes, size);
  if (problem !== null) return err(problem);
  const copy = bytes.slice();
  let setCount = 0;
  for (const byte of copy) setCount += popcount8(byte);
  return ok({ size, bytes: copy, setCount });
}

/** A copy of the bytes, ready for the wire. */
export const bitfieldToBytes = (bf: Bitfield): Uint8Array => bf.bytes.slice();

/** False for an index outside the bitfield. */
export function getBit(bf: Bitfield, index: number): boolean {
  if (!inRange(bf, index)) return false;
  return ((bf.bytes[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
}

/** Mutates. Returns true if the bit was newly set; false if already set or out of range. */
export function setBit(bf: Bitfield, index: number): boolean {
  if (!inRange(bf, index) || getBit(bf, index)) return false;
  bf.bytes[index >> 3]! |= 0x80 >> (index & 7);
  bf.setCount++;
  return true;
}

/** Mutates. Returns true if the bit was set before. */
export function clearBit(bf: Bitfield, index: number): boolean {
  if (!getBit(bf, index)) return false;
  bf.bytes[index >> 3]! &= ~(0x80 >> (index & 7));
  bf.setCount--;
  return true;
}

export const countSet = (bf: Bitfield): number => bf.setCount;
export const isComplete = (bf: Bitfield): boolean => bf.setCount === bf.size;

const inRange = (bf: Bitfield, index: number): boolean => Number.isInteger(index) && index >= 0 && index < bf.size;

function clearSpareBits(bytes: Uint8Array, size: number): void {
  if (size % 8 !== 0) bytes[bytes.length - 1]! &= 0xff << (8 - (size % 8));
}

function popcount8(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}
