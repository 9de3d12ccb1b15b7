import { codedError, type CodecError } from './errors.ts';
import { pieceCountFor, pieceSize, type Manifest } from './manifest.ts';
import { err, ok, type Result } from './result.ts';
import type { BlockSpan, WireMsg } from './wire-messages.ts';

// The binary wire: encode/decode check framing (versions, lengths, caps that hold for every file);
// checkSpan/checkAgainstManifest check a decoded message against the manifest of its route.
//
//   const decoded = decode(frame);                 // never throws
//   if (!decoded.ok) return countAndMaybeClose(decoded.error.code);
//   const file = route(table, decoded.value);      // routing-table.ts
//   const fits = checkAgainstManifest(file.manifest, decoded.value);

export { encode } from './codec-encode.ts';
export { decode } from './codec-decode.ts';
export { TYPE_CODES, REASON_CODES, FRAME_BOUNDS } from './codec-layout.ts';

export type ManifestSizes = Pick<Manifest, 'size' | 'pieceLength'>;
export type RoutedMsg = Exclude<WireMsg, { type: 'hello' }>;

const badSpan = (message: string) => err(codedError('ERR_BAD_SPAN', message));

/** piece < pieceCount and [offset, offset + length) inside that piece; length ≥ 1. */
export function checkSpan(manifest: ManifestSizes, span: BlockSpan): Result<BlockSpan, CodecError> {
  const { piece, offset, length } = span;
  const pieceCount = pieceCountFor(manifest.size, manifest.pieceLength);
  if (!Number.isInteger(piece) || piece < 0 || piece >= pieceCount) return badSpan(`piece ${piece} of ${pieceCount}`);
  const size = pieceSize(manifest, piece);
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1 || offset + length > size) {
    return badSpan(`[${offset}, ${offset + length}) outside piece ${piece} of ${size} bytes`);
  }
  return ok(span);
}

/** Every piece index, count and span of a routed message fits the file's manifest. */
export function checkAgainstManifest(manifest: ManifestSizes, msg: RoutedMsg): Result<RoutedMsg, CodecError> {
  const pieceCount = pieceCountFor(manifest.size, manifest.pieceLength);
  switch (msg.type) {
    case 'bitfield':
      return msg.pieceCount === pieceCount ? ok(msg) : badSpan(`bitfield of ${msg.pieceCount} pieces, file has ${pieceCount}`);
    case 'have':
    case 'fetching':
      return msg.piece < pieceCount ? ok(msg) : badSpan(`piece ${msg.piece} of ${pieceCount}`);
    case 'block': {
      const fits = checkSpan(manifest, { piece: msg.piece, offset: msg.offset, length: msg.data.length });
      return fits.ok ? ok(msg) : fits;
    }
    case 'drop':
      return ok(msg);
    case 'request':
    case 'cancel':
    case 'reject': {
      const fits = checkSpan(manifest, msg);
      return fits.ok ? ok(msg) : fits;
    }
    default: {
      const unreachable: never = msg;
      return unreachable;
    }
  }
}
