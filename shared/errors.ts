// Stable error codes for peer-side faults. Peer faults are warnings: count them, drop or close that
// peer, keep serving. Programming faults throw instead. (Signaling codes live in signaling.ts.)

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

/** What the layers above the codec report: routing, verification, links. */
export const PEER_ERROR_CODES = [
  'ERR_UNKNOWN_ROUTE', // swarmId/fileId pair not in the routing table, or not shared with that peer
  'ERR_UNKNOWN_SWARM', // swarmId unknown to us
  'ERR_PIECE_HASH', // a received piece does not hash to the manifest's value
  'ERR_UNREQUESTED', // a block nobody asked for
  'ERR_BANNED', // the peer was banned for this route
  'ERR_QUEUE_FULL', // the peer has too many requests queued with us
  'ERR_NOT_HAD', // we do not have the requested piece
  'ERR_PEER_CLOSED', // the link closed before the operation finished
  'ERR_TIMEOUT', // a request or send waited too long
  'ERR_STORAGE_QUOTA', // a piece write did not commit: the browser's storage quota is full
  'ERR_STORAGE_WRITE', // a piece write did not commit (IndexedDB failure), or a stored piece is missing
] as const;
export type PeerErrorCode = (typeof PEER_ERROR_CODES)[number];

export type ErrorCode = CodecErrorCode | PeerErrorCode;

/** An error value with a stable code: returned, logged and counted, never thrown on peer input. */
export interface CodedError<C extends ErrorCode = ErrorCode> {
  code: C;
  message: string;
}

export type CodecError = CodedError<CodecErrorCode>;

export const codedError = <C extends ErrorCode>(code: C, message: string): CodedError<C> => ({ code, message });

const ALL_CODES: ReadonlySet<string> = new Set<string>([...CODEC_ERROR_CODES, ...PEER_ERROR_CODES]);
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && ALL_CODES.has(value);

/** An Error carrying a code, for async paths that reject (e.g. PeerLink.send → ERR_PEER_CLOSED). */
export class CodedFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'CodedFailure';
  }
}
