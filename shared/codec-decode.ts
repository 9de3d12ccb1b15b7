import { codedError, type CodecError } from './errors.ts';
import { bytesToHex, PEER_ID_BYTES, SWARM_ID_BYTES } from './ids.ts';
import { MAX_HELLO_SWARMS, MAX_WIRE_FRAME_BYTES } from './limits.ts';
import {
  BITFIELD_BITS_AT, BITFIELD_PIECE_COUNT_AT, BLOCK_DATA_AT, FILE_ID_AT, FRAME_BOUNDS, HEADER_BYTES,
  HELLO_PEER_ID_AT, HELLO_SWARM_COUNT_AT, HELLO_SWARMS_AT, HELLO_VERSION_AT, PIECE_AT, REASON_BY_CODE,
  REJECT_REASON_AT, ROUTE_END, SPAN_LENGTH_AT, SPAN_OFFSET_AT, SWARM_ID_AT, TYPE_AT, TYPE_BY_CODE, VERSION_AT,
} from './codec-layout.ts';
import { bitfieldByteLength, pieceCountProblem, pieceIndexProblem, spanProblem, spareBitsProblem } from './codec-rules.ts';
import { err, ok, type Result } from './result.ts';
import { WIRE_VERSION, type BlockSpan, type Route, type WireMsg, type WireType } from './wire-messages.ts';

// Untrusted frames from peers. Never throws; allocates only the decoded message (ids as hex, at most
// the frame's length); `bits` and `data` are zero-copy views into the frame. Each kind's frame length
// is checked against its bounds before any field is read.

type Decoded = Result<WireMsg, CodecError>;
const fail = (code: CodecError['code'], message: string): Decoded => err(codedError(code, message));

function readRoute(frame: Uint8Array): Route {
  return {
    swarmId: bytesToHex(frame.subarray(SWARM_ID_AT, FILE_ID_AT)),
    fileId: bytesToHex(frame.subarray(FILE_ID_AT, ROUTE_END)),
  };
}

function readSpan(view: DataView): BlockSpan {
  return { piece: view.getUint32(PIECE_AT), offset: view.getUint32(SPAN_OFFSET_AT), length: view.getUint32(SPAN_LENGTH_AT) };
}

/** A frame whose length follows from a count field must have exactly that length. */
function exactLengthProblem(frame: Uint8Array, expected: number, what: string): CodecError | null {
  if (frame.length < expected) return codedError('ERR_TRUNCATED', `${what} needs ${expected} bytes, frame has ${frame.length}`);
  if (frame.length > expected) return codedError('ERR_TRAILING_BYTES', `${frame.length - expected} bytes after ${what}`);
  return null;
}

function decodeHello(frame: Uint8Array, view: DataView): Decoded {
  const count = view.getUint16(HELLO_SWARM_COUNT_AT);
  if (count > MAX_HELLO_SWARMS) return fail('ERR_TOO_LARGE', `hello lists ${count} swarms > ${MAX_HELLO_SWARMS}`);
  const problem = exactLengthProblem(frame, HELLO_SWARMS_AT + count * SWARM_ID_BYTES, `hello with ${count} swarms`);
  if (problem) return err(problem);
  const swarms: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = HELLO_SWARMS_AT + i * SWARM_ID_BYTES;
    swarms.push(bytesToHex(frame.subarray(at, at + SWARM_ID_BYTES)));
  }
  if (new Set(swarms).size !== count) return fail('ERR_BAD_FRAME', 'hello lists a swarm twice');
  const peerId = bytesToHex(frame.subarray(HELLO_PEER_ID_AT, HELLO_PEER_ID_AT + PEER_ID_BYTES));
  return ok({ type: 'hello', peerId, version: view.getUint8(HELLO_VERSION_AT), swarms });
}

function decodeBitfield(frame: Uint8Array, view: DataView): Decoded {
  const pieceCount = view.getUint32(BITFIELD_PIECE_COUNT_AT);
  const problem = pieceCountProblem(pieceCount)
    ?? exactLengthProblem(frame, BITFIELD_BITS_AT + bitfieldByteLength(pieceCount), `bitfield of ${pieceCount} pieces`);
  if (problem) return err(problem);
  const bits = frame.subarray(BITFIELD_BITS_AT);
  const spare = spareBitsProblem(bits, pieceCount);
  if (spare) return err(spare);
  return ok({ type: 'bitfield', ...readRoute(frame), pieceCount, bits });
}

function decodePieceMsg(type: 'have' | 'fetching', frame: Uint8Array, view: DataView): Decoded {
  const piece = view.getUint32(PIECE_AT);
  const problem = pieceIndexProblem(piece);
  if (problem) return err(problem);
  return ok({ type, ...readRoute(frame), piece });
}

function decodeSpanMsg(type: 'request' | 'cancel', frame: Uint8Array, view: DataView): Decoded {
  const span = readSpan(view);
  const problem = spanProblem(span.piece, span.offset, span.length);
  if (problem) return err(problem);
  return ok({ type, ...readRoute(frame), ...span });
}

function decodeBlock(frame: Uint8Array, view: DataView): Decoded {
  const { piece, offset, length } = readSpan(view);
  const problem = spanProblem(piece, offset, length)
    ?? exactLengthProblem(frame, BLOCK_DATA_AT + length, `block of ${length} bytes`);
  if (problem) return err(problem);
  return ok({ type: 'block', ...readRoute(frame), piece, offset, data: frame.subarray(BLOCK_DATA_AT) });
}

function decodeReject(frame: Uint8Array, view: DataView): Decoded {
  const span = readSpan(view);
  const problem = spanProblem(span.piece, span.offset, span.length);
  if (problem) return err(problem);
  const code = view.getUint8(REJECT_REASON_AT);
  const reason = REASON_BY_CODE.get(code);
  if (reason === undefined) return fail('ERR_BAD_FRAME', `unknown reject reason ${code}`);
  return ok({ type: 'reject', ...readRoute(frame), ...span, reason });
}

/** Version, type, then the kind's length bounds: all before any field is read. */
function checkHeader(frame: Uint8Array): Result<WireType, CodecError> {
  if (frame.length > MAX_WIRE_FRAME_BYTES) return err(codedError('ERR_TOO_LARGE', `frame of ${frame.length} bytes`));
  if (frame.length < HEADER_BYTES) return err(codedError('ERR_TRUNCATED', `frame of ${frame.length} bytes`));
  const version = frame[VERSION_AT]!;
  if (version !== WIRE_VERSION) return err(codedError('ERR_UNKNOWN_VERSION', `wire version ${version}`));
  const type = TYPE_BY_CODE.get(frame[TYPE_AT]!);
  if (type === undefined) return err(codedError('ERR_UNKNOWN_TYPE', `type byte ${frame[TYPE_AT]!}`));
  const { min, max } = FRAME_BOUNDS[type];
  if (frame.length < min) return err(codedError('ERR_TRUNCATED', `${type} needs ≥ ${min} bytes, frame has ${frame.length}`));
  if (frame.length > max) {
    const code = min === max ? 'ERR_TRAILING_BYTES' : 'ERR_TOO_LARGE';
    return err(codedError(code, `${type} allows ≤ ${max} bytes, frame has ${frame.length}`));
  }
  return ok(type);
}

/** One untrusted frame → a typed message or a coded error. Never throws. */
export function decode(frame: Uint8Array): Result<WireMsg, CodecError> {
  const header = checkHeader(frame);
  if (!header.ok) return header;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (header.value) {
    case 'hello': return decodeHello(frame, view);
    case 'bitfield': return decodeBitfield(frame, view);
    case 'have': return decodePieceMsg('have', frame, view);
    case 'fetching': return decodePieceMsg('fetching', frame, view);
    case 'request': return decodeSpanMsg('request', frame, view);
    case 'block': return decodeBlock(frame, view);
    case 'cancel': return decodeSpanMsg('cancel', frame, view);
    case 'reject': return decodeReject(frame, view);
    case 'drop': return ok({ type: 'drop', ...readRoute(frame) });
    default: {
      const unreachable: never = header.value;
      return fail('ERR_UNKNOWN_TYPE', `type ${String(unreachable)}`);
    }
  }
}
