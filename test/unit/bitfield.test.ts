import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitfieldFromBytes, bitfieldToBytes, clearBit, countSet, createBitfield, fullBitfield, getBit, isComplete, setBit,
  type Bitfield,
} from '../../shared/bitfield.ts';

const setIndices = (bf: Bitfield): number[] => [...Array(bf.size).keys()].filter((i) => getBit(bf, i));

describe('bitfield', () => {
  it('bitfield: piece 0 is the most significant bit of byte 0 (BitTorrent order)', () => {
    const bf = createBitfield(10);
    setBit(bf, 0);
    setBit(bf, 9);
    expect([...bitfieldToBytes(bf)]).toEqual([0b1000_0000, 0b0100_0000]);
  });

  it.each([
    { size: 10, bytes: [0xff], error: 'wrong-length' },
    { size: 10, bytes: [0xff, 0xc0, 0x00], error: 'wrong-length' },
    { size: 10, bytes: [0xff, 0xe0], error: 'spare-bits-set' },
    { size: 10, bytes: [0xff, 0x01], error: 'spare-bits-set' },
  ])('bitfield: refuses $bytes for $size pieces ($error)', ({ size, bytes, error }) => {
    const parsed = bitfieldFromBytes(Uint8Array.from(bytes), size);
    expect(parsed).toEqual({ ok: false, error });
  });

  it('bitfield: counts, completes and ignores indices outside it', () => {
    const bf = createBitfield(3);
    expect(setBit(bf, 1)).toBe(true);
    expect(setBit(bf, 1)).toBe(false);
    expect(setBit(bf, 3)).toBe(false);
    expect(setBit(bf, -1)).toBe(false);
    expect(getBit(bf, 99)).toBe(false);
    setBit(bf, 0);
    setBit(bf, 2);
    expect([countSet(bf), isComplete(bf)]).toEqual([3, true]);
    expect(clearBit(bf, 2)).toBe(true);
    expect([countSet(bf), isComplete(bf)]).toEqual([2, false]);
  });

  it('bitfield: a full bitfield keeps its spare bits zero so it parses back', () => {
    const full = fullBitfield(13);
    expect(isComplete(full)).toBe(true);
    const back = bitfieldFromBytes(bitfieldToBytes(full), 13);
    expect(back.ok && countSet(back.value)).toBe(13);
  });

  it('bitfield: bytes round-trip and the count matches the set indices (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }).chain((size) =>
      fc.tuple(fc.constant(size), fc.uniqueArray(fc.nat({ max: Math.max(0, size - 1) }), { maxLength: size }))),
    ([size, indices]) => {
      const bf = createBitfield(size);
      for (const i of indices) setBit(bf, i);
      const back = bitfieldFromBytes(bitfieldToBytes(bf), size);
      expect(back.ok).toBe(true);
      if (!back.ok) return;
      expect(setIndices(back.value)).toEqual(size === 0 ? [] : [...indices].sort((a, b) => a - b));
      expect(countSet(back.value)).toBe(size === 0 ? 0 : indices.length);
    }));
  });
});
