import { codedError, type CodecError } from './errors.ts';
import { MAX_WIRE_FRAME_BYTES } from './limits.ts';
import { pieceCountFor, pieceSize, type Manifest } from './manifest.ts';
import { err, ok, type Result } from './result.ts';
import { WIRE_VERSION, type BlockSpan, type WireMsg, type WireType } from './wire-messages.ts';
import { BITFIELD_BOUNDS, decodeBitfield, encodeBitfield } from './codec/bitfield.ts';
import {
  fail, HEADER_BYTES, pieceIndexProblem, spanProblem, TYPE_AT, TYPE_BY_CODE, VERSION_AT, type FrameBounds,
} from './codec/frame.ts';
import { decodeDrop, DROP_BOUNDS, encodeDrop } from './codec/drop.ts';
import { decodeSlot, encodeSlot, SLOT_BOUNDS } from './codec/slot.ts';
import { decodeHello, encodeHello, HELLO_BOUNDS } from './codec/hello.ts';
import {
  decodeBlock, decodePieceMsg, decodeReject, decodeSpanMsg, encodeBlock, encodePieceMsg, encodeReject, encodeSpanMsg,
  PIECE_BOUNDS,
} from './codec/pieces.ts';

// The binary wire between peers. Each message family has one module in codec/ with its byte layout above
// its encoder: hello.ts, bitfield.ts, pieces.ts (have, fetching, request, cancel, reject, block), drop.ts, slot.ts; frame.ts
// holds the header, the route and the checks both directions share. decode/encode check framing (caps that
// hold for every file); checkAgainstManifest checks a routed message against its file's manifest.
//
//   const decoded = decode(frame);                 // never throws
//   if (!decoded.ok) return countAndMaybeClose(decoded.error.code);
//   const file = route(table, decoded.value);      // routing-table.ts
//   const fits = checkAgainstManifest(file.manifest, decoded.value);

export { TYPE_CODES } from './codec/frame.ts';
export { blockFrameBytes, encodeBlock, REASON_CODES } from './codec/pieces.ts';

export type ManifestSizes = Pick<Manifest, 'size' | 'pieceLength'>;
export type RoutedMsg = Exclude<WireMsg, { type: 'hello' }>;

export const FRAME_BOUNDS: Readonly<Record<WireType, FrameBounds>> = {
  hello: HELLO_BOUNDS, bitfield: BITFIELD_BOUNDS, ...PIECE_BOUNDS, ...DROP_BOUNDS, ...SLOT_BOUNDS,
};

/** One message → one frame for one data-channel send. Throws RangeError on an out-of-range field. */
export function encode(msg: WireMsg): Uint8Array {
  switch (msg.type) {
    case 'hello': return encodeHello(msg);
    case 'bitfield': return encodeBitfield(msg);
    case 'have':
    case 'fetching': return encodePieceMsg(msg);
    case 'request':
    case 'cancel': return encodeSpanMsg(msg);
    case 'block': return encodeBlock(msg);
    case 'reject': return encodeReject(msg);
    case 'drop': return encodeDrop(msg);
    case 'slot': return encodeSlot(msg);
    default: {
      const unknown: never = msg;
      throw new RangeError(`wire: unknown message type ${String((unknown as { type: unknown }).type)}`);
    }
  }
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

/**
 * One untrusted frame → a typed message or a coded error. Never throws; allocates only the decoded message
 * (ids as hex); a bitfield's bits and a block's data are zero-copy views into the frame.
 */
export function decode(frame: Uint8Array): Result<WireMsg, CodecError> {
  const header = checkHeader(frame);
  if (!header.ok) return header;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (header.value) {
    case 'hello': return decodeHello(frame, view);
    case 'bitfield': return decodeBitfield(frame, view);
    case 'have':
    case 'fetching': return decodePieceMsg(header.value, frame, view);
    case 'request':
    case 'cancel': return decodeSpanMsg(header.value, frame, view);
    case 'block': return decodeBlock(frame, view);
    case 'reject': return decodeReject(frame, view);
    case 'drop': return decodeDrop(frame);
    case 'slot': return decodeSlot(frame);
    default: {
      const unreachable: never = header.value;
      return fail('ERR_UNKNOWN_TYPE', `type ${String(unreachable)}`);
    }
  }
}

/** piece < the file's pieceCount and [offset, offset + length) inside that piece; 1 ≤ length ≤ MAX_BLOCK_LENGTH. */
function spanInFileProblem(manifest: ManifestSizes, span: BlockSpan): CodecError | null {
  return pieceIndexProblem(span.piece, pieceCountFor(manifest.size, manifest.pieceLength))
    ?? spanProblem(span.offset, span.length, pieceSize(manifest, span.piece));
}

export function checkSpan(manifest: ManifestSizes, span: BlockSpan): Result<BlockSpan, CodecError> {
  const problem = spanInFileProblem(manifest, span);
  return problem ? err(problem) : ok(span);
}

function manifestProblem(manifest: ManifestSizes, msg: RoutedMsg): CodecError | null {
  const pieceCount = pieceCountFor(manifest.size, manifest.pieceLength);
  switch (msg.type) {
    case 'bitfield':
      if (msg.pieceCount === pieceCount) return null;
      return codedError('ERR_BAD_SPAN', `bitfield of ${msg.pieceCount} pieces, file has ${pieceCount}`);
    case 'have':
    case 'fetching':
      return pieceIndexProblem(msg.piece, pieceCount);
    case 'block':
      return spanInFileProblem(manifest, { piece: msg.piece, offset: msg.offset, length: msg.data.length });
    case 'request':
    case 'cancel':
    case 'reject':
      return spanInFileProblem(manifest, msg);
    case 'drop':
    case 'slot':
      return null;
    default: {
      const unreachable: never = msg;
      return unreachable;
    }
  }
}

/** Every piece index, count and span of a routed message fits the file's manifest. */
export function checkAgainstManifest(manifest: ManifestSizes, msg: RoutedMsg): Result<RoutedMsg, CodecError> {
  const problem = manifestProblem(manifest, msg);
  return problem ? err(problem) : ok(msg);
}
