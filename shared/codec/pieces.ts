import type { CodecError } from '../errors.ts';
import { MAX_BLOCK_LENGTH, MAX_PIECE_LENGTH, MAX_PIECES_PER_FILE } from '../limits.ts';
import { err, ok } from '../result.ts';
import type { BlockSpan, RejectReason } from '../wire-messages.ts';
import {
  assertNoProblem, assertUint, fail, exactLengthProblem, pieceIndexProblem, readRoute, ROUTE_END, spanProblem, startFrame,
  U32_MAX, writeRoute, type Decoded, type FrameBounds, type FrameWriter, type MsgOf,
} from './frame.ts';

// Messages about one piece of a route's file: have and fetching name a piece; request, cancel, reject and
// block name a span of one (piece, offset, length).

export const PIECE_AT = ROUTE_END;
export const HAVE_BYTES = PIECE_AT + 4;
export const SPAN_OFFSET_AT = PIECE_AT + 4;
export const SPAN_LENGTH_AT = SPAN_OFFSET_AT + 4;
export const SPAN_BYTES = SPAN_LENGTH_AT + 4;
export const REJECT_REASON_AT = SPAN_BYTES;
export const REJECT_BYTES = REJECT_REASON_AT + 1;
/** The data follows its span, whose length field makes a truncated block detectable. */
export const BLOCK_DATA_AT = SPAN_BYTES;

export const PIECE_BOUNDS = {
  have: { min: HAVE_BYTES, max: HAVE_BYTES },
  fetching: { min: HAVE_BYTES, max: HAVE_BYTES },
  request: { min: SPAN_BYTES, max: SPAN_BYTES },
  cancel: { min: SPAN_BYTES, max: SPAN_BYTES },
  reject: { min: REJECT_BYTES, max: REJECT_BYTES },
  block: { min: BLOCK_DATA_AT + 1, max: BLOCK_DATA_AT + MAX_BLOCK_LENGTH },
} as const satisfies Record<string, FrameBounds>;

export const REASON_CODES = {
  'unknown-route': 1, 'not-had': 2, 'queue-full': 3, 'bad-span': 4, banned: 5,
} as const satisfies Record<RejectReason, number>;

const REASON_BY_CODE: ReadonlyMap<number, RejectReason> = new Map(
  Object.entries(REASON_CODES).map(([reason, code]) => [code, reason as RejectReason]),
);

/** Any file's span: the manifest is checked after routing (checkSpan in codec.ts). */
const framingProblem = (s: BlockSpan): CodecError | null =>
  pieceIndexProblem(s.piece, MAX_PIECES_PER_FILE) ?? spanProblem(s.offset, s.length, MAX_PIECE_LENGTH);

function writeSpan(w: FrameWriter, span: BlockSpan): void {
  assertUint(span.piece, U32_MAX, 'piece');
  assertUint(span.offset, U32_MAX, 'offset');
  assertUint(span.length, U32_MAX, 'length');
  assertNoProblem(framingProblem(span));
  w.view.setUint32(PIECE_AT, span.piece);
  w.view.setUint32(SPAN_OFFSET_AT, span.offset);
  w.view.setUint32(SPAN_LENGTH_AT, span.length);
}

const readSpan = (view: DataView): BlockSpan =>
  ({ piece: view.getUint32(PIECE_AT), offset: view.getUint32(SPAN_OFFSET_AT), length: view.getUint32(SPAN_LENGTH_AT) });

// have:     <ver:u8><type=3><swarmId:16><fileId:32><piece:u32>
// fetching: <ver:u8><type=8><swarmId:16><fileId:32><piece:u32>
export function encodePieceMsg(msg: MsgOf<'have'> | MsgOf<'fetching'>): Uint8Array {
  assertUint(msg.piece, U32_MAX, `${msg.type}.piece`);
  assertNoProblem(pieceIndexProblem(msg.piece, MAX_PIECES_PER_FILE));
  const w = startFrame(msg.type, HAVE_BYTES);
  writeRoute(w, msg);
  w.view.setUint32(PIECE_AT, msg.piece);
  return w.frame;
}

export function decodePieceMsg(type: 'have' | 'fetching', frame: Uint8Array, view: DataView): Decoded {
  const piece = view.getUint32(PIECE_AT);
  const problem = pieceIndexProblem(piece, MAX_PIECES_PER_FILE);
  return problem ? err(problem) : ok({ type, ...readRoute(frame), piece });
}

// request: <ver:u8><type=4><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32>
// cancel:  <ver:u8><type=6><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32>
export function encodeSpanMsg(msg: MsgOf<'request'> | MsgOf<'cancel'>): Uint8Array {
  const w = startFrame(msg.type, SPAN_BYTES);
  writeRoute(w, msg);
  writeSpan(w, msg);
  return w.frame;
}

export function decodeSpanMsg(type: 'request' | 'cancel', frame: Uint8Array, view: DataView): Decoded {
  const span = readSpan(view);
  const problem = framingProblem(span);
  return problem ? err(problem) : ok({ type, ...readRoute(frame), ...span });
}

// block: <ver:u8><type=5><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32><data:length>
// One copy of data into the frame: the bytes come from the store in their own buffer, so no fewer. Every byte
// of the frame is written, so `into` (blockFrameBytes long) may be a recycled frame.
export const blockFrameBytes = (dataLength: number): number => BLOCK_DATA_AT + dataLength;

export function encodeBlock(msg: MsgOf<'block'>, into?: Uint8Array): Uint8Array {
  const w = startFrame('block', blockFrameBytes(msg.data.length), into);
  writeRoute(w, msg);
  writeSpan(w, { piece: msg.piece, offset: msg.offset, length: msg.data.length });
  w.frame.set(msg.data, BLOCK_DATA_AT);
  return w.frame;
}

/** `data` is a zero-copy view into the frame. */
export function decodeBlock(frame: Uint8Array, view: DataView): Decoded {
  const { piece, offset, length } = readSpan(view);
  const problem = framingProblem({ piece, offset, length })
    ?? exactLengthProblem(frame, BLOCK_DATA_AT + length, `block of ${length} bytes`);
  if (problem) return err(problem);
  return ok({ type: 'block', ...readRoute(frame), piece, offset, data: frame.subarray(BLOCK_DATA_AT) });
}

// reject: <ver:u8><type=7><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32><reason:u8>
export function encodeReject(msg: MsgOf<'reject'>): Uint8Array {
  const reason: number | undefined = REASON_CODES[msg.reason];
  if (reason === undefined) throw new RangeError(`wire: unknown reject reason ${String(msg.reason)}`);
  const w = startFrame('reject', REJECT_BYTES);
  writeRoute(w, msg);
  writeSpan(w, msg);
  w.view.setUint8(REJECT_REASON_AT, reason);
  return w.frame;
}

export function decodeReject(frame: Uint8Array, view: DataView): Decoded {
  const span = readSpan(view);
  const problem = framingProblem(span);
  if (problem) return err(problem);
  const code = view.getUint8(REJECT_REASON_AT);
  const reason = REASON_BY_CODE.get(code);
  if (reason === undefined) return fail('ERR_BAD_FRAME', `unknown reject reason ${code}`);
  return ok({ type: 'reject', ...readRoute(frame), ...span, reason });
}
