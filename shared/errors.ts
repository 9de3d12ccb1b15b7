// Stable error codes for peer-side faults. Peer faults are warnings: count them, drop or close that
// peer, keep serving. Programming faults throw instead. Outcomes that are answered or counted rather than
// raised keep their own unions beside their code: RejectReason (wire-messages.ts), UnknownRouteReason
// (routing-table.ts), BlockRefusal (piece-picker-blocks.ts), ManifestError (manifest.ts); the codes the
// signaling server sends live in signaling.ts.

/** What decode can return: the frame itself is malformed. */
export const CODEC_ERROR_CODES = [
  'ERR_BAD_FRAME', // a field holds a value the protocol does not allow (spare bits, unknown reason, duplicate swarm)
  'ERR_TRUNCATED', // the frame ends before the fields its kind and counts require
  'ERR_TRAILING_BYTES', // bytes follow the last field
  'ERR_UNKNOWN_VERSION', // version byte is not WIRE_VERSION
  'ERR_UNKNOWN_TYPE', // type byte names no message kind
  'ERR_TOO_LARGE', // frame, count or block length over its cap in limits.ts
  'ERR_BAD_SPAN', // piece/offset/length outside the caps, or (checkSpan) outside the manifest
] as const;
export type CodecErrorCode = (typeof CODEC_ERROR_CODES)[number];

/** What links and the piece store fail with (thrown as CodedFailure on async paths). */
export const PEER_ERROR_CODES = [
  'ERR_PEER_CLOSED', // the link closed before the send finished
  'ERR_TIMEOUT', // a send waited too long for the channel to drain
  'ERR_STORAGE_QUOTA', // a piece write did not commit: the browser's storage quota is full
  'ERR_STORAGE_WRITE', // a piece write did not commit (IndexedDB failure)
  'ERR_PIECE_MISSING', // a piece the file needs is not in the store
] as const;
export type PeerErrorCode = (typeof PEER_ERROR_CODES)[number];

/** Faults charged to a remote peer: counted per peer (the snapshot's `faults`), never thrown. */
export const PEER_FAULT_CODES = [
  'ERR_UNREQUESTED', // a block we never asked that peer for: dropped, and a bad frame on its link
  'ERR_PIECE_HASH', // a strike: a piece it sent alone failed its hash, or its block differs from the verified copy
  'ERR_BANNED', // its strikes on a file reached MAX_HASH_STRIKES: banned for that file
] as const;
export type PeerFaultCode = (typeof PEER_FAULT_CODES)[number];

/** Why a request to the signaling server (share-code, resolve-code) failed on this side: never sent by the server. */
export const SIGNALING_CLIENT_ERROR_CODES = [
  'ERR_SIGNALING_TIMEOUT', // the server did not answer within the request's time limit
  'ERR_SIGNALING_DISCONNECTED', // the socket was not open, or it closed while the request waited
  'ERR_SIGNALING_CLOSED', // this side closed the signaling client while the request waited
] as const;
export type SignalingClientErrorCode = (typeof SIGNALING_CLIENT_ERROR_CODES)[number];

export type ErrorCode = CodecErrorCode | PeerErrorCode | PeerFaultCode | SignalingClientErrorCode;

/** An error value with a stable code: returned, logged and counted, never thrown on peer input. */
export interface CodedError<C extends ErrorCode = ErrorCode> {
  code: C;
  message: string;
}

export type CodecError = CodedError<CodecErrorCode>;

export const codedError = <C extends ErrorCode>(code: C, message: string): CodedError<C> => ({ code, message });

/** An Error carrying a code, for async paths that reject (e.g. PeerLink.send → ERR_PEER_CLOSED). */
export class CodedFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'CodedFailure';
  }
}
