import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { blockFrameBytes, decode, encode, encodeBlock, FRAME_BOUNDS, TYPE_CODES } from '../../shared/codec.ts';
import { BITFIELD_BITS_AT, BITFIELD_PIECE_COUNT_AT } from '../../shared/codec/bitfield.ts';
import { TYPE_AT, VERSION_AT } from '../../shared/codec/frame.ts';
import { HELLO_SWARM_COUNT_AT, HELLO_SWARMS_AT } from '../../shared/codec/hello.ts';
import { SLOT_GRANTED_AT } from '../../shared/codec/slot.ts';
import { BLOCK_DATA_AT, PIECE_AT, REJECT_REASON_AT, SPAN_LENGTH_AT, SPAN_OFFSET_AT } from '../../shared/codec/pieces.ts';
import type { CodecErrorCode } from '../../shared/errors.ts';
import {
  MAX_BLOCK_LENGTH, MAX_HELLO_SWARMS, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE, MAX_WIRE_FRAME_BYTES,
  WIRE_BLOCK_HEADER_BYTES,
} from '../../shared/limits.ts';
import { WIRE_VERSION, type WireMsg } from '../../shared/wire-messages.ts';
import { WIRE_TYPES, wireMsgArbitraries } from './codec-arbitraries.ts';

const SWARM = 'ab'.repeat(16);
const FILE = '22'.repeat(32);
const route = { swarmId: SWARM, fileId: FILE };
const request: WireMsg = { type: 'request', ...route, piece: 3, offset: 1024, length: 4096 };
/** A hex id's bytes, converted without the codec. */
const ID_BYTES = (hex: string): number[] => Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
const block: WireMsg = { type: 'block', ...route, piece: 3, offset: 1024, data: new Uint8Array([9, 8, 7, 6]) };

const codeOf = (frame: Uint8Array): CodecErrorCode | 'ok' => {
  const result = decode(frame);
  return result.ok ? 'ok' : result.error.code;
};

/** A valid frame of `msg`, then `patch` applied through a DataView over it. */
function patched(msg: WireMsg, patch: (view: DataView, frame: Uint8Array) => void): Uint8Array {
  const frame = encode(msg);
  patch(new DataView(frame.buffer), frame);
  return frame;
}

/** The message minus block data, which is compared as one buffer (toEqual walks it byte by byte). */
const withoutData = (msg: WireMsg) => (msg.type === 'block' ? { ...msg, data: msg.data.length } : msg);

/** Every prefix length when the frame is small; otherwise all up to 512 plus a stride through the rest. */
function prefixLengths(length: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < length; n += n < 512 ? 1 : 4093) out.push(n);
  out.push(length - 1);
  return out;
}

describe.each(WIRE_TYPES)('codec %s', (type) => {
  const arbitrary = wireMsgArbitraries[type] as fc.Arbitrary<WireMsg>;

  test(`codec: a ${type} round-trips through encode and decode`, () => {
    fc.assert(fc.property(arbitrary, (msg) => {
      const decoded = decode(encode(msg));
      if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.message}`);
      expect(withoutData(decoded.value)).toEqual(withoutData(msg));
      if (msg.type === 'block' && decoded.value.type === 'block') {
        expect(Buffer.from(decoded.value.data).equals(msg.data)).toBe(true);
      }
    }), { numRuns: 200 });
  });

  test(`codec: every strict prefix of a ${type} frame is refused as truncated`, () => {
    fc.assert(fc.property(arbitrary, (msg) => {
      const frame = encode(msg);
      for (const n of prefixLengths(frame.length)) expect(codeOf(frame.subarray(0, n))).toBe('ERR_TRUNCATED');
    }), { numRuns: 40 });
  });

  test(`codec: a ${type} frame with bytes after its last field is refused`, () => {
    fc.assert(fc.property(arbitrary, fc.uint8Array({ minLength: 1, maxLength: 40 }), (msg, extra) => {
      const encoded = encode(msg);
      const frame = new Uint8Array(encoded.length + extra.length);
      frame.set(encoded);
      frame.set(extra, encoded.length);
      const expected = frame.length > FRAME_BOUNDS[type].max && FRAME_BOUNDS[type].min !== FRAME_BOUNDS[type].max
        ? 'ERR_TOO_LARGE' : 'ERR_TRAILING_BYTES';
      expect(codeOf(frame)).toBe(expected);
    }), { numRuns: 100 });
  });

  test(`codec: a ${type} frame with another version byte is refused`, () => {
    fc.assert(fc.property(arbitrary, fc.integer({ min: 0, max: 255 }).filter((v) => v !== WIRE_VERSION), (msg, v) => {
      expect(codeOf(patched(msg, (view) => view.setUint8(VERSION_AT, v)))).toBe('ERR_UNKNOWN_VERSION');
    }), { numRuns: 50 });
  });
});

describe('codec framing', () => {
  test('codec: a block encoded into a recycled frame is byte for byte the fresh encoding; a frame of another length is refused', () => {
    const stale = new Uint8Array(blockFrameBytes(4)).fill(0xee);
    const msg = block as Extract<WireMsg, { type: 'block' }>;
    expect(encodeBlock(msg, stale)).toBe(stale);
    expect(stale).toEqual(encode(block));
    expect(() => encodeBlock(msg, new Uint8Array(blockFrameBytes(5)))).toThrow(RangeError);
  });

  test('codec: frames on routes that alternate, or differ in one byte, each encode and decode to their own route', () => {
    const other = { swarmId: SWARM, fileId: `${FILE.slice(0, 62)}23` }; // the last byte differs
    const third = { swarmId: 'cd'.repeat(16), fileId: FILE };
    const fresh = (r: typeof route) => new Uint8Array([...ID_BYTES(r.swarmId), ...ID_BYTES(r.fileId)]);
    for (const r of [route, route, other, route, third, third, other, route]) {
      const frame = encode({ ...request, ...r } as WireMsg);
      expect(frame.subarray(2, 50)).toEqual(fresh(r));
      const decoded = decode(frame);
      expect(decoded.ok && decoded.value).toEqual({ ...request, ...r });
    }
  });

  test('codec: a route that fails to encode leaves the next frames on the last good route intact', () => {
    expect(encode(request)).toBeInstanceOf(Uint8Array);
    // A good swarmId with a bad fileId: the swarmId is converted before the fileId is refused.
    expect(() => encode({ ...request, swarmId: 'cd'.repeat(16), fileId: `${'22'.repeat(31)}zz` } as WireMsg)).toThrow(RangeError);
    expect(() => encode({ ...request, fileId: 'AB'.repeat(32) } as WireMsg)).toThrow(RangeError); // uppercase is not ours
    const decoded = decode(encode(request));
    expect(decoded.ok && decoded.value).toEqual(request);
  });

  test('codec: type bytes that name no kind are refused', () => {
    const known = new Set<number>(Object.values(TYPE_CODES));
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      expect(codeOf(patched(request, (view) => view.setUint8(TYPE_AT, t)))).toBe('ERR_UNKNOWN_TYPE');
    }
  });

  const hello: WireMsg = { type: 'hello', peerId: '33'.repeat(16), version: 1, swarms: [SWARM] };
  const bitfield: WireMsg = { type: 'bitfield', ...route, pieceCount: 10, bits: new Uint8Array([0xff, 0xc0]) };
  const reject: WireMsg = { ...request, type: 'reject', reason: 'not-had' };
  const cases: [string, Uint8Array, CodecErrorCode][] = [
    ['empty frame', new Uint8Array(0), 'ERR_TRUNCATED'],
    ['frame over the channel max', new Uint8Array(MAX_WIRE_FRAME_BYTES + 1).fill(1), 'ERR_TOO_LARGE'],
    ['hello counting one swarm more than it carries', patched(hello, (v) => v.setUint16(HELLO_SWARM_COUNT_AT, 2)), 'ERR_TRUNCATED'],
    ['hello counting past the swarm cap', patched(hello, (v) => v.setUint16(HELLO_SWARM_COUNT_AT, MAX_HELLO_SWARMS + 1)), 'ERR_TOO_LARGE'],
    ['hello listing one swarm twice', new Uint8Array([...patched(hello, (v) => v.setUint16(HELLO_SWARM_COUNT_AT, 2)), ...Array(16).fill(0xab)]), 'ERR_BAD_FRAME'],
    ['bitfield with a spare bit set', patched(bitfield, (_, f) => { f[BITFIELD_BITS_AT + 1] = 0xe0; }), 'ERR_BAD_FRAME'],
    ['bitfield shorter than its pieceCount', patched(bitfield, (v) => v.setUint32(BITFIELD_PIECE_COUNT_AT, 17)), 'ERR_TRUNCATED'],
    ['bitfield longer than its pieceCount', patched(bitfield, (v) => v.setUint32(BITFIELD_PIECE_COUNT_AT, 8)), 'ERR_TRAILING_BYTES'],
    ['bitfield over the piece cap', patched(bitfield, (v) => v.setUint32(BITFIELD_PIECE_COUNT_AT, MAX_PIECES_PER_FILE + 1)), 'ERR_TOO_LARGE'],
    ['have of a piece past the cap', patched({ type: 'have', ...route, piece: 0 }, (v) => v.setUint32(PIECE_AT, MAX_PIECES_PER_FILE)), 'ERR_BAD_SPAN'],
    ['request of length 0', patched(request, (v) => v.setUint32(SPAN_LENGTH_AT, 0)), 'ERR_BAD_SPAN'],
    ['request over the block cap', patched(request, (v) => v.setUint32(SPAN_LENGTH_AT, MAX_BLOCK_LENGTH + 1)), 'ERR_TOO_LARGE'],
    ['request past the largest piece', patched(request, (v) => v.setUint32(SPAN_OFFSET_AT, MAX_PIECE_LENGTH - 4095)), 'ERR_BAD_SPAN'],
    ['request with offset near 2^32', patched(request, (v) => v.setUint32(SPAN_OFFSET_AT, 0xffff_ffff)), 'ERR_BAD_SPAN'],
    ['block whose length field exceeds its data', patched(block, (v) => v.setUint32(SPAN_LENGTH_AT, 5)), 'ERR_TRUNCATED'],
    ['block whose length field is short of its data', patched(block, (v) => v.setUint32(SPAN_LENGTH_AT, 3)), 'ERR_TRAILING_BYTES'],
    ['block with a length field over the cap', patched(block, (v) => v.setUint32(SPAN_LENGTH_AT, 0xffff_ffff)), 'ERR_TOO_LARGE'],
    ['block header without data', encode(block).subarray(0, BLOCK_DATA_AT), 'ERR_TRUNCATED'],
    ['reject with reason code 0', patched(reject, (v) => v.setUint8(REJECT_REASON_AT, 0)), 'ERR_BAD_FRAME'],
    ['reject with reason code 99', patched(reject, (v) => v.setUint8(REJECT_REASON_AT, 99)), 'ERR_BAD_FRAME'],
    ['slot with a flag other than 0 or 1', patched({ type: 'slot', ...route, granted: true }, (v) => v.setUint8(SLOT_GRANTED_AT, 2)), 'ERR_BAD_FRAME'],
  ];
  test.each(cases)('codec: %s is refused', (_, frame, code) => {
    expect(codeOf(frame)).toBe(code);
  });

  test('codec: block data is a zero-copy view of the frame', () => {
    const frame = encode(block);
    const decoded = decode(frame);
    if (!decoded.ok || decoded.value.type !== 'block') throw new Error('expected a block');
    expect(decoded.value.data.buffer).toBe(frame.buffer);
    expect(decoded.value.data.byteOffset).toBe(BLOCK_DATA_AT);
    expect([...decoded.value.data]).toEqual([9, 8, 7, 6]);
  });

  test('codec: a frame that is a view into a larger buffer decodes at its own offset', () => {
    const frame = encode(request);
    const host = new Uint8Array(frame.length + 20).fill(0xee);
    host.set(frame, 7);
    expect(decode(host.subarray(7, 7 + frame.length))).toEqual({ ok: true, value: request });
  });

  test('codec: the largest block fills exactly one data-channel message', () => {
    expect(WIRE_BLOCK_HEADER_BYTES).toBe(BLOCK_DATA_AT);
    const big = encode({ ...block, data: new Uint8Array(MAX_BLOCK_LENGTH) } as WireMsg);
    expect(big.length).toBe(MAX_WIRE_FRAME_BYTES);
    expect(FRAME_BOUNDS.block.max).toBe(MAX_WIRE_FRAME_BYTES);
    expect(decode(big).ok).toBe(true);
  });

  test('codec: hello layout puts the swarm list after peerId, version and count', () => {
    expect(encode(hello).length).toBe(HELLO_SWARMS_AT + 16);
  });

  const badOwnMessages: [string, WireMsg][] = [
    ['a swarmId in upper case', { ...request, swarmId: SWARM.toUpperCase() }],
    ['a fileId of 16 bytes', { ...request, fileId: SWARM }],
    ['a request of length 0', { ...request, length: 0 } as WireMsg],
    ['a fractional piece', { ...request, piece: 1.5 } as WireMsg],
    ['a block over the cap', { ...block, data: new Uint8Array(MAX_BLOCK_LENGTH + 1) } as WireMsg],
    ['a bitfield with spare bits', { ...bitfield, bits: new Uint8Array([0xff, 0xff]) } as WireMsg],
    ['a hello listing a swarm twice', { ...hello, swarms: [SWARM, SWARM] } as WireMsg],
    ['a hello version of 256', { ...hello, version: 256 } as WireMsg],
  ];
  test.each(badOwnMessages)('codec: encode refuses %s (a programming fault)', (_, msg) => {
    expect(() => encode(msg)).toThrow(RangeError);
  });
});
