import { codedError, type CodecError, type CodecErrorCode } from '../errors.ts';
import { bytesToHex, FILE_ID_BYTES, isHexId, SWARM_ID_BYTES } from '../ids.ts';
import { MAX_BLOCK_LENGTH } from '../limits.ts';
import { err, type Result } from '../result.ts';
import { WIRE_VERSION, type Route, type WireMsg, type WireType } from '../wire-messages.ts';

// What every frame shares: <version:u8><type:u8><body>, numbers big-endian; the route that every
// piece-related body starts with; and the checks that encode (our messages) and decode (a peer's) both apply.

export const VERSION_AT = 0;
export const TYPE_AT = 1;
export const HEADER_BYTES = 2;

/** Route fields, first in the body of every piece-related kind. */
export const SWARM_ID_AT = HEADER_BYTES;
export const FILE_ID_AT = SWARM_ID_AT + SWARM_ID_BYTES;
export const ROUTE_END = FILE_ID_AT + FILE_ID_BYTES;

export const TYPE_CODES = {
  hello: 1, bitfield: 2, have: 3, request: 4, block: 5, cancel: 6, reject: 7, fetching: 8, drop: 9, slot: 10,
} as const satisfies Record<WireType, number>;

export const TYPE_BY_CODE: ReadonlyMap<number, WireType> = new Map(
  Object.entries(TYPE_CODES).map(([type, code]) => [code, type as WireType]),
);

export type MsgOf<T extends WireType> = Extract<WireMsg, { type: T }>;
export type Decoded = Result<WireMsg, CodecError>;
/** Smallest and largest frame of a kind, checked before any of its fields is read. */
export interface FrameBounds { min: number; max: number }

export const U8_MAX = 0xff;
export const U32_MAX = 0xffff_ffff;

export const fail = (code: CodecErrorCode, message: string): Decoded => err(codedError(code, message));

export interface FrameWriter {
  frame: Uint8Array;
  view: DataView;
}

/** `into`: a buffer of exactly `byteLength` bytes to write the frame in (a recycled one), else a fresh one. */
export function startFrame(type: WireType, byteLength: number, into?: Uint8Array): FrameWriter {
  if (into !== undefined && into.byteLength !== byteLength) throw new RangeError(`wire: a ${type} frame of ${byteLength} bytes in ${into.byteLength}`);
  const frame = into ?? new Uint8Array(byteLength);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint8(VERSION_AT, WIRE_VERSION);
  view.setUint8(TYPE_AT, TYPE_CODES[type]);
  return { frame, view };
}

/** '0'–'9' → 0–9, 'a'–'f' → 10–15 (the caller checked the string is lowercase hex). */
const nibble = (code: number): number => (code <= 57 ? code - 48 : code - 87);

export function writeHexId(frame: Uint8Array, at: number, hex: string, bytes: number, field: string): void {
  if (!isHexId(hex, bytes)) throw new RangeError(`wire: ${field} is not ${bytes} bytes of lowercase hex`);
  for (let i = 0; i < bytes; i++) frame[at + i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
}

export const readHexId = (frame: Uint8Array, at: number, bytes: number): string => bytesToHex(frame.subarray(at, at + bytes));

const ROUTE_BYTES = ROUTE_END - SWARM_ID_AT;

// Every frame of a transfer carries the same route, so the route last written and the one last read are kept:
// a frame on it gets the route's 48 bytes in one copy and reads back as the same two strings, with no hex
// conversion (which made ~30 KB of short strings per block moved). Read bytes are compared in full, so another
// route is always converted afresh. A cache, not state: what encode and decode return never depends on it.
const lastWritten = { swarmId: '', fileId: '', bytes: new Uint8Array(ROUTE_BYTES) };
const lastRead = { route: null as Route | null, bytes: new Uint8Array(ROUTE_BYTES) };

export function writeRoute(w: FrameWriter, route: Route): void {
  const memo = lastWritten;
  if (route.swarmId !== memo.swarmId || route.fileId !== memo.fileId) {
    memo.swarmId = memo.fileId = ''; // stays empty if a field below throws
    writeHexId(memo.bytes, 0, route.swarmId, SWARM_ID_BYTES, 'swarmId');
    writeHexId(memo.bytes, SWARM_ID_BYTES, route.fileId, FILE_ID_BYTES, 'fileId');
    memo.swarmId = route.swarmId;
    memo.fileId = route.fileId;
  }
  w.frame.set(memo.bytes, SWARM_ID_AT);
}

export function readRoute(frame: Uint8Array): Route {
  const memo = lastRead;
  if (memo.route === null || !routeBytesEqual(frame, memo.bytes)) {
    memo.route = { swarmId: readHexId(frame, SWARM_ID_AT, SWARM_ID_BYTES), fileId: readHexId(frame, FILE_ID_AT, FILE_ID_BYTES) };
    memo.bytes.set(frame.subarray(SWARM_ID_AT, ROUTE_END));
  }
  return { swarmId: memo.route.swarmId, fileId: memo.route.fileId };
}

function routeBytesEqual(frame: Uint8Array, bytes: Uint8Array): boolean {
  for (let i = 0; i < ROUTE_BYTES; i++) if (frame[SWARM_ID_AT + i] !== bytes[i]) return false;
  return true;
}

/** A frame whose length follows from a count or length field must have exactly that length. */
export function exactLengthProblem(frame: Uint8Array, expected: number, what: string): CodecError | null {
  if (frame.length < expected) return codedError('ERR_TRUNCATED', `${what} needs ${expected} bytes, frame has ${frame.length}`);
  if (frame.length > expected) return codedError('ERR_TRAILING_BYTES', `${frame.length - expected} bytes after ${what}`);
  return null;
}

/** piece is an index below pieceCount (the file's, or MAX_PIECES_PER_FILE before the manifest is known). */
export function pieceIndexProblem(piece: number, pieceCount: number): CodecError | null {
  if (Number.isInteger(piece) && piece >= 0 && piece < pieceCount) return null;
  return codedError('ERR_BAD_SPAN', `piece ${piece} of ${pieceCount}`);
}

/** [offset, offset + length) lies inside a piece of pieceLength bytes, and 1 ≤ length ≤ MAX_BLOCK_LENGTH. */
export function spanProblem(offset: number, length: number, pieceLength: number): CodecError | null {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1) {
    return codedError('ERR_BAD_SPAN', `offset ${offset}, length ${length}`);
  }
  if (length > MAX_BLOCK_LENGTH) return codedError('ERR_TOO_LARGE', `block length ${length} > ${MAX_BLOCK_LENGTH}`);
  if (offset + length > pieceLength) return codedError('ERR_BAD_SPAN', `[${offset}, ${offset + length}) outside a piece of ${pieceLength} bytes`);
  return null;
}

/** For encode: a field of our own message is out of its wire range (a programming fault). */
export function assertUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`wire: ${field} = ${value} is not an integer in [0, ${max}]`);
  }
}

export function assertNoProblem(problem: CodecError | null): void {
  if (problem) throw new RangeError(`wire: ${problem.code}: ${problem.message}`);
}
