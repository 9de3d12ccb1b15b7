import { encode } from '../../shared/codec.ts';
import { BITFIELD_PIECE_COUNT_AT } from '../../shared/codec/bitfield.ts';
import { TYPE_AT, VERSION_AT } from '../../shared/codec/frame.ts';
import { HELLO_SWARM_COUNT_AT } from '../../shared/codec/hello.ts';
import { PIECE_AT, SPAN_LENGTH_AT, SPAN_OFFSET_AT } from '../../shared/codec/pieces.ts';
import { CODEC_ERROR_CODES, type CodecError } from '../../shared/errors.ts';
import { bytesToHex, type PeerId } from '../../shared/ids.ts';
import { MAX_BLOCK_LENGTH, MAX_HELLO_SWARMS, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE } from '../../shared/limits.ts';
import type { Result } from '../../shared/result.ts';
import type { RejectReason, Route, WireMsg } from '../../shared/wire-messages.ts';
import { seededRng, type Rng } from '../../shared/seeded-rng.ts';

export { seededRng, type Rng };

// Seeded random and mutated wire frames, shared by the unit test (100k) and `npm run fuzz` (1M+).

const int = (rng: Rng, below: number): number => Math.floor(rng() * below);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = int(rng, 256);
  return out;
}

/** Block contents do not steer decode: random when short, a cheap fill when long. */
const blockData = (rng: Rng, length: number): Uint8Array =>
  length <= 64 ? randomBytes(rng, length) : new Uint8Array(length).fill(int(rng, 256));

const hexId = (rng: Rng, bytes: number): string => bytesToHex(randomBytes(rng, bytes));

/** Known IDs to aim at, so that mutated frames also reach the routes and peers a table knows. */
export interface IdPool {
  routes: readonly Route[];
  peerIds: readonly PeerId[];
  /** Block grid of the pool's files: spans aimed at a route use it. */
  blockLength: number;
  /** Piece counts of the pool's files: bitfields aimed at a route use them. */
  pieceCounts: readonly number[];
}

const fromPool = (rng: Rng, pool: IdPool | undefined): pool is IdPool => pool !== undefined && rng() < 0.7;
const route = (rng: Rng, pool?: IdPool): Route =>
  fromPool(rng, pool) ? { ...pick(rng, pool.routes) } : { swarmId: hexId(rng, 16), fileId: hexId(rng, 32) };
const REASONS: readonly RejectReason[] = ['unknown-route', 'not-had', 'queue-full', 'bad-span', 'banned'];

function span(rng: Rng, pool?: IdPool) {
  if (fromPool(rng, pool)) return { piece: int(rng, 48), offset: int(rng, 8) * pool.blockLength, length: pool.blockLength };
  const length = 1 + int(rng, rng() < 0.01 ? MAX_BLOCK_LENGTH : 4096);
  return { piece: int(rng, MAX_PIECES_PER_FILE), offset: int(rng, MAX_PIECE_LENGTH - length + 1), length };
}

function bitfield(rng: Rng, pool?: IdPool) {
  const pieceCount = fromPool(rng, pool) ? pick(rng, pool.pieceCounts) : int(rng, rng() < 0.1 ? MAX_PIECES_PER_FILE + 1 : 48);
  const bits = randomBytes(rng, Math.ceil(pieceCount / 8));
  if (pieceCount % 8 !== 0) bits[bits.length - 1]! &= 0xff << (8 - (pieceCount % 8));
  return { pieceCount, bits };
}

/** A random message that encode accepts. Blocks are mostly small; 1 in 100 up to the cap. */
export function randomMsg(rng: Rng, pool?: IdPool): WireMsg {
  switch (int(rng, 9)) {
    case 0: return randomHello(rng, pool);
    case 1: return { type: 'bitfield', ...route(rng, pool), ...bitfield(rng, pool) };
    case 2: return { type: 'have', ...route(rng, pool), piece: int(rng, pool ? 64 : MAX_PIECES_PER_FILE) };
    case 3: return { type: 'request', ...route(rng, pool), ...span(rng, pool) };
    case 4: {
      const { piece, offset, length } = span(rng, pool);
      return { type: 'block', ...route(rng, pool), piece, offset, data: blockData(rng, length) };
    }
    case 5: return { type: 'cancel', ...route(rng, pool), ...span(rng, pool) };
    case 6: return { type: 'drop', ...route(rng, pool) };
    case 7: return { type: 'slot', ...route(rng, pool), granted: rng() < 0.5 };
    default: return { type: 'reject', ...route(rng, pool), ...span(rng, pool), reason: pick(rng, REASONS) };
  }
}

function randomHello(rng: Rng, pool?: IdPool): WireMsg {
  const count = int(rng, MAX_HELLO_SWARMS + 1);
  const swarmId = () => (fromPool(rng, pool) ? pick(rng, pool.routes).swarmId : hexId(rng, 16));
  const swarms = [...new Set(Array.from({ length: count }, swarmId))];
  const peerId = fromPool(rng, pool) ? pick(rng, pool.peerIds) : hexId(rng, 16);
  return { type: 'hello', peerId, version: rng() < 0.5 ? 1 : int(rng, 256), swarms };
}

const NUMBER_FIELDS = [HELLO_SWARM_COUNT_AT, BITFIELD_PIECE_COUNT_AT, PIECE_AT, SPAN_OFFSET_AT, SPAN_LENGTH_AT];
const EDGE_U32 = [0, 1, 7, 8, 9, 0xff, 0x100, MAX_PIECES_PER_FILE, MAX_BLOCK_LENGTH, MAX_PIECE_LENGTH, 0x7fffffff, 0xffffffff];

function corruptNumberField(rng: Rng, frame: Uint8Array): Uint8Array {
  const at = pick(rng, NUMBER_FIELDS);
  if (frame.length < at + 4) return frame;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const value = rng() < 0.5 ? pick(rng, EDGE_U32) : view.getUint32(at) + pick(rng, [-1, 1, -8, 8, 16]);
  view.setUint32(at, value >>> 0);
  return frame;
}

function extend(rng: Rng, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 1 + int(rng, 64));
  out.set(frame);
  out.set(randomBytes(rng, out.length - frame.length), frame.length);
  return out;
}

/** One mutation of a valid frame: bit flips, truncation, extension, header or length-field corruption. */
export function mutate(rng: Rng, valid: Uint8Array): Uint8Array {
  const frame = valid.slice();
  switch (int(rng, 7)) {
    case 0: {
      for (let n = 1 + int(rng, 4); n > 0 && frame.length > 0; n--) frame[int(rng, frame.length)]! ^= 1 << int(rng, 8);
      return frame;
    }
    case 1: return frame.subarray(0, int(rng, frame.length));
    case 2: return extend(rng, frame);
    case 3: return corruptNumberField(rng, frame);
    case 4: {
      frame[pick(rng, [VERSION_AT, TYPE_AT])] = int(rng, 256);
      return frame;
    }
    case 5: return corruptNumberField(rng, frame).subarray(0, Math.max(0, frame.length - int(rng, 3)));
    default: {
      if (frame.length > 0) frame[int(rng, frame.length)] = int(rng, 256);
      return frame;
    }
  }
}

/** The fuzz mix: 10% pure noise, 15% valid frames, 75% mutated valid frames. */
export function nextFrame(rng: Rng, pool?: IdPool): Uint8Array {
  const roll = rng();
  if (roll < 0.1) return randomBytes(rng, int(rng, rng() < 0.5 ? 8 : 160));
  const valid = encode(randomMsg(rng, pool));
  return roll < 0.25 ? valid : mutate(rng, valid);
}

const CODEC_CODES: ReadonlySet<string> = new Set(CODEC_ERROR_CODES);

/**
 * Why a decode result is ill-typed, or null when it is fine: an error must carry a codec code and a
 * message; an accepted frame must re-encode to exactly its own bytes (the wire form is canonical).
 */
export function illTyped(frame: Uint8Array, result: Result<WireMsg, CodecError>): string | null {
  if (!result.ok) {
    const { code, message } = result.error;
    return CODEC_CODES.has(code) && typeof message === 'string' ? null : `bad error ${JSON.stringify(result.error)}`;
  }
  const again = encode(result.value);
  if (again.length !== frame.length || again.some((b, i) => b !== frame[i])) return `not canonical: ${result.value.type}`;
  return null;
}
