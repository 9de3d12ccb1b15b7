import fc from 'fast-check';
import { bytesToHex } from '../../shared/ids.ts';
import { MAX_BLOCK_LENGTH, MAX_HELLO_SWARMS, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE } from '../../shared/limits.ts';
import type { RejectReason, WireMsg, WireType } from '../../shared/wire-messages.ts';

// fast-check arbitraries for every valid wire message, edges included (caps, empty lists, last bits).

const hexId = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map(bytesToHex);
const route = fc.record({ swarmId: hexId(16), fileId: hexId(32) });
const piece = fc.integer({ min: 0, max: MAX_PIECES_PER_FILE - 1 });

/** A span inside the largest piece; lengths biased to small but reaching MAX_BLOCK_LENGTH. */
const span = fc
  .record({ piece, length: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, MAX_BLOCK_LENGTH)) })
  .chain(({ piece, length }) =>
    fc.integer({ min: 0, max: MAX_PIECE_LENGTH - length }).map((offset) => ({ piece, offset, length })));

const bitfield = fc
  .oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(MAX_PIECES_PER_FILE - 1, MAX_PIECES_PER_FILE))
  .chain((pieceCount) =>
    fc.uint8Array({ minLength: Math.ceil(pieceCount / 8), maxLength: Math.ceil(pieceCount / 8) }).map((bits) => {
      if (pieceCount % 8 !== 0) bits[bits.length - 1]! &= 0xff << (8 - (pieceCount % 8));
      return { pieceCount, bits };
    }));

/** Every byte value in an order that does not repeat for 256 bytes, long enough for any block at any of 256 starts. */
const PATTERN = Uint8Array.from({ length: MAX_BLOCK_LENGTH + 256 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);

/** Random bytes when short; a slice of PATTERN when long (fast-check draws bytes one by one; copying is cheap). */
const blockData = (length: number): fc.Arbitrary<Uint8Array> =>
  length <= 64
    ? fc.uint8Array({ minLength: length, maxLength: length })
    : fc.integer({ min: 0, max: 255 }).map((seed) => PATTERN.slice(seed, seed + length));

const REASONS: RejectReason[] = ['unknown-route', 'not-had', 'queue-full', 'bad-span', 'banned'];

export const wireMsgArbitraries: { [T in WireType]: fc.Arbitrary<Extract<WireMsg, { type: T }>> } = {
  hello: fc.record({
    type: fc.constant('hello'),
    peerId: hexId(16),
    version: fc.integer({ min: 0, max: 255 }),
    swarms: fc.uniqueArray(hexId(16), { maxLength: MAX_HELLO_SWARMS }),
  }),
  bitfield: fc.tuple(route, bitfield).map(([r, b]) => ({ type: 'bitfield' as const, ...r, ...b })),
  have: fc.tuple(route, piece).map(([r, p]) => ({ type: 'have' as const, ...r, piece: p })),
  fetching: fc.tuple(route, piece).map(([r, p]) => ({ type: 'fetching' as const, ...r, piece: p })),
  request: fc.tuple(route, span).map(([r, s]) => ({ type: 'request' as const, ...r, ...s })),
  block: fc.tuple(route, span).chain(([r, s]) =>
    blockData(s.length).map((data) => ({ type: 'block' as const, ...r, piece: s.piece, offset: s.offset, data }))),
  cancel: fc.tuple(route, span).map(([r, s]) => ({ type: 'cancel' as const, ...r, ...s })),
  reject: fc.tuple(route, span, fc.constantFrom(...REASONS)).map(([r, s, reason]) =>
    ({ type: 'reject' as const, ...r, ...s, reason })),
  drop: route.map((r) => ({ type: 'drop' as const, ...r })),
  slot: fc.tuple(route, fc.boolean()).map(([r, granted]) => ({ type: 'slot' as const, ...r, granted })),
};

export const WIRE_TYPES = Object.keys(wireMsgArbitraries) as WireType[];
