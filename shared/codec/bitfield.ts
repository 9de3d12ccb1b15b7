import { bitfieldByteLength, bitfieldBytesProblem } from '../bitfield.ts';
import { codedError, type CodecError } from '../errors.ts';
import { MAX_BITFIELD_BYTES, MAX_PIECES_PER_FILE } from '../limits.ts';
import { err, ok } from '../result.ts';
import {
  assertNoProblem, assertUint, exactLengthProblem, readRoute, ROUTE_END, startFrame, U32_MAX, writeRoute,
  type Decoded, type FrameBounds, type MsgOf,
} from './frame.ts';

// Which pieces of a route's file the sender has: one bit per piece, MSB first (shared/bitfield.ts).

export const BITFIELD_PIECE_COUNT_AT = ROUTE_END;
export const BITFIELD_BITS_AT = BITFIELD_PIECE_COUNT_AT + 4;

export const BITFIELD_BOUNDS: FrameBounds = { min: BITFIELD_BITS_AT, max: BITFIELD_BITS_AT + MAX_BITFIELD_BYTES };

function pieceCountProblem(pieceCount: number): CodecError | null {
  if (pieceCount <= MAX_PIECES_PER_FILE) return null;
  return codedError('ERR_TOO_LARGE', `pieceCount ${pieceCount} > ${MAX_PIECES_PER_FILE}`);
}

function bitsProblem(bits: Uint8Array, pieceCount: number): CodecError | null {
  const problem = bitfieldBytesProblem(bits, pieceCount);
  return problem === null ? null : codedError('ERR_BAD_FRAME', `bitfield of ${bits.length} bytes for ${pieceCount} pieces: ${problem}`);
}

// bitfield: <ver:u8><type=2><swarmId:16><fileId:32><pieceCount:u32><bits:ceil(pieceCount/8)>
export function encodeBitfield(msg: MsgOf<'bitfield'>): Uint8Array {
  assertUint(msg.pieceCount, U32_MAX, 'bitfield.pieceCount');
  assertNoProblem(pieceCountProblem(msg.pieceCount) ?? bitsProblem(msg.bits, msg.pieceCount));
  const w = startFrame('bitfield', BITFIELD_BITS_AT + msg.bits.length);
  writeRoute(w, msg);
  w.view.setUint32(BITFIELD_PIECE_COUNT_AT, msg.pieceCount);
  w.frame.set(msg.bits, BITFIELD_BITS_AT);
  return w.frame;
}

export function decodeBitfield(frame: Uint8Array, view: DataView): Decoded {
  const pieceCount = view.getUint32(BITFIELD_PIECE_COUNT_AT);
  const bits = frame.subarray(BITFIELD_BITS_AT);
  const problem = pieceCountProblem(pieceCount)
    ?? exactLengthProblem(frame, BITFIELD_BITS_AT + bitfieldByteLength(pieceCount), `bitfield of ${pieceCount} pieces`)
    ?? bitsProblem(bits, pieceCount);
  if (problem) return err(problem);
  return ok({ type: 'bitfield', ...readRoute(frame), pieceCount, bits });
}
