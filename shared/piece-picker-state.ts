import { createBitfield, getBit, type Bitfield } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import {
  DEFAULT_BLOCK_LENGTH, DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER, DEFAULT_MAX_REQUESTS_PER_PEER,
  DEFAULT_REQUEST_TIMEOUT_MS, MAX_BLOCK_LENGTH, MAX_CANCELLED_REQUESTS_REMEMBERED, MAX_HASH_STRIKES, MAX_SLOT_WAIT_MS,
  PREFERRED_BUSY_MS,
} from './limits.ts';
import type { BlockSpan } from './wire-messages.ts';

// The download-side state of one route (one file): plain data, plus the internal transitions that
// every picker module shares. The public API is re-exported by piece-picker.ts.

export interface PickerOptions {
  /** Bytes per block (the last block of a piece is shorter). */
  blockLength: number;
  /** Cap on requested-but-unreceived bytes per peer: the throughput knob (see limits.ts). */
  maxInFlightBytesPerPeer: number;
  /** Cap on outstanding requests per peer, whatever their size. */
  maxRequestsPerPeer: number;
  /** A request older than this is cancelled and reassigned by expire(). */
  requestTimeoutMs: number;
  /** The same for a peer that said our requests wait for its upload slot (see MAX_SLOT_WAIT_MS). */
  slotWaitTimeoutMs: number;
  /** Hash failures a peer may contribute to before it is banned for this route. */
  maxStrikes: number;
  /** Uniform in [0, 1): breaks rarest-first ties. Inject Math.random or a seeded generator. */
  rng: () => number;
}

export interface PieceLayout {
  pieceCount: number;
  pieceLength: number;
  fileSize: number;
}

export interface PeerSpan {
  peerId: PeerId;
  span: BlockSpan;
}

export interface OutstandingRequest {
  span: BlockSpan;
  /** `now` when the request was made. */
  since: number;
}

/** What we know about one remote peer on this route. */
export interface PickerPeer {
  /** Pieces the peer announced (bitfield + haves). */
  have: Bitfield;
  /** Our requests to it not yet answered, by block key. */
  requests: Map<number, OutstandingRequest>;
  /** Sum of the lengths of `requests`. */
  inFlightBytes: number;
  /** A request to it timed out: one request at a time until it delivers a block. */
  stalled: boolean;
  /** It said our requests wait for one of its upload slots ('slot' granted=false), since when; null: served. */
  waitingSince: number | null;
  /** When it last said so (null: never): a preferred source that did lately has a full link (PREFERRED_BUSY_MS). */
  waitedAt: number | null;
  /** When it last said it serves us ('slot' granted=true; null: never): an uploader with room says so unasked. */
  grantedAt: number | null;
  /** Pieces it said it started fetching ('fetching') and has not announced yet. */
  fetching: Bitfield;
  /** Requests to it we cancelled lately, oldest first (≤ MAX_CANCELLED_REQUESTS_REMEMBERED): their blocks may be on the way. */
  cancelled: Map<number, BlockSpan>;
}

/** A piece with at least one block requested or received, not yet verified. */
export interface ActivePiece {
  blockCount: number;
  /** Sender of each received block; undefined while missing. */
  receivedFrom: (PeerId | undefined)[];
  receivedCount: number;
  /** Peers each block is currently requested from (received blocks have none). */
  requestedBy: (Set<PeerId> | undefined)[];
  /** Blocks with at least one outstanding request. */
  requestedBlocks: number;
  /** `now` of the piece's first request. */
  startedAt: number;
  /** Every block received; waiting for onPieceVerified / onPieceFailed. */
  verifying: boolean;
  /** A copy after a failed one with several contributors: every block comes from one peer, `owner` (smart ban). */
  exclusive: boolean;
  /** The peer an exclusive copy is fetched from; null until its first request. */
  owner: PeerId | null;
}

/** A failed copy with several contributors: who sent each block and the block's digest (smart ban). */
export type FailedCopy = { from: PeerId; digest: string }[];

export type PieceSource = PeerId | 'local';

export interface PiecePicker {
  readonly layout: PieceLayout;
  readonly options: Readonly<PickerOptions>;
  /** Verified, stored pieces. */
  had: Bitfield;
  /** Who each had piece came from ('local': seeded or resumed from the store). */
  sources: (PieceSource | undefined)[];
  /** Connected, unbanned peers that have each piece. */
  availability: Uint16Array;
  /** Peers fetching each piece right now (their 'fetching' hints): soon available, so picked after the rest. */
  othersFetching: Uint16Array;
  /** Pieces activated since the engine last looked: it tells the route's peers ('fetching'). */
  started: number[];
  /** In activation order, so the oldest partial piece is finished first. */
  active: Map<number, ActivePiece>;
  peers: Map<PeerId, PickerPeer>;
  /** Hash-failure strikes per peer; kept across reconnects. */
  strikes: Map<PeerId, number>;
  /** Peers refused on this route for good. */
  banned: Set<PeerId>;
  /** Peers that sent blocks of a failed copy of a piece: asked for it again only if nobody else has it. */
  suspects: Map<number, Set<PeerId>>;
  /** Failed copies with several contributors, until a good copy shows whose blocks differed (oldest first). */
  evidence: Map<number, FailedCopy>;
  /** The file's origin (the teacher): asked first; others only for what it refuses (see mayAskFor). null: none. */
  preferred: PeerId | null;
}

export function createPiecePicker(layout: PieceLayout, options: Partial<PickerOptions> & Pick<PickerOptions, 'rng'>): PiecePicker {
  const opts: PickerOptions = {
    blockLength: DEFAULT_BLOCK_LENGTH,
    maxInFlightBytesPerPeer: DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER,
    maxRequestsPerPeer: DEFAULT_MAX_REQUESTS_PER_PEER,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    slotWaitTimeoutMs: MAX_SLOT_WAIT_MS,
    maxStrikes: MAX_HASH_STRIKES,
    ...options,
  };
  checkOptions(opts);
  return {
    layout: { ...layout },
    options: opts,
    had: createBitfield(layout.pieceCount),
    sources: new Array<PieceSource | undefined>(layout.pieceCount),
    availability: new Uint16Array(layout.pieceCount),
    othersFetching: new Uint16Array(layout.pieceCount),
    started: [],
    active: new Map(),
    peers: new Map(),
    strikes: new Map(),
    banned: new Set(),
    suspects: new Map(),
    evidence: new Map(),
    preferred: null,
  };
}

/** Programming faults: options that could never request anything. */
function checkOptions(o: PickerOptions): void {
  const positive = (n: number): boolean => Number.isInteger(n) && n > 0;
  if (!positive(o.blockLength) || o.blockLength > MAX_BLOCK_LENGTH) throw new RangeError(`bad blockLength ${o.blockLength}`);
  if (o.maxInFlightBytesPerPeer < o.blockLength) throw new RangeError('maxInFlightBytesPerPeer is below one block');
  if (!positive(o.maxRequestsPerPeer)) throw new RangeError('maxRequestsPerPeer must be ≥ 1');
  if (!(o.requestTimeoutMs > 0) || !(o.slotWaitTimeoutMs > 0) || !positive(o.maxStrikes)) throw new RangeError('bad timeouts or maxStrikes');
}

export function pieceBytes(p: PiecePicker, piece: number): number {
  const { pieceLength, fileSize } = p.layout;
  return Math.max(0, Math.min(pieceLength, fileSize - piece * pieceLength));
}

export const blockCountOf = (p: PiecePicker, piece: number): number =>
  Math.ceil(pieceBytes(p, piece) / p.options.blockLength);

export function blockSpan(p: PiecePicker, piece: number, block: number): BlockSpan {
  const offset = block * p.options.blockLength;
  return { piece, offset, length: Math.min(p.options.blockLength, pieceBytes(p, piece) - offset) };
}

/** Every block of a piece, in order: what the engine reassembles before hashing. */
export function blockSpansOf(p: PiecePicker, piece: number): BlockSpan[] {
  const spans: BlockSpan[] = [];
  for (let b = 0; b < blockCountOf(p, piece); b++) spans.push(blockSpan(p, piece, b));
  return spans;
}

/** Unique per block of the file: keys a peer's outstanding requests. */
export const blockKey = (p: PiecePicker, piece: number, block: number): number =>
  piece * Math.ceil(p.layout.pieceLength / p.options.blockLength) + block;

export const openBlocks = (a: ActivePiece): number => a.blockCount - a.receivedCount - a.requestedBlocks;

export function activatePiece(p: PiecePicker, piece: number, now: number): ActivePiece {
  const existing = p.active.get(piece);
  if (existing) return existing;
  const blockCount = blockCountOf(p, piece);
  const a: ActivePiece = {
    blockCount, receivedFrom: new Array(blockCount), receivedCount: 0,
    requestedBy: new Array(blockCount), requestedBlocks: 0, startedAt: now, verifying: false,
    exclusive: p.evidence.has(piece), owner: null,
  };
  p.active.set(piece, a);
  if (p.started.length < p.layout.pieceCount) p.started.push(piece); // bounded should nobody drain it
  return a;
}

/** Forgets a piece nobody is fetching and nothing was received of: it is missing again. */
export function deactivateIfIdle(p: PiecePicker, piece: number): void {
  const a = p.active.get(piece);
  if (a && a.receivedCount === 0 && a.requestedBlocks === 0 && !a.verifying) p.active.delete(piece);
}

export function hasRoomFor(p: PiecePicker, peer: PickerPeer, length: number): boolean {
  const maxRequests = peer.stalled ? 1 : p.options.maxRequestsPerPeer;
  return peer.requests.size < maxRequests && peer.inFlightBytes + length <= p.options.maxInFlightBytesPerPeer;
}

export function addRequest(p: PiecePicker, peerId: PeerId, peer: PickerPeer, a: ActivePiece, span: BlockSpan, now: number): void {
  const block = span.offset / p.options.blockLength;
  const by = a.requestedBy[block] ?? new Set<PeerId>();
  if (by.size === 0) a.requestedBlocks++;
  by.add(peerId);
  a.requestedBy[block] = by;
  if (a.exclusive) a.owner = peerId;
  const key = blockKey(p, span.piece, block);
  peer.requests.set(key, { span, since: now });
  peer.cancelled.delete(key);
  peer.inFlightBytes += span.length;
}

/** Removes one outstanding request; the caller decides whether the piece becomes idle. */
export function dropRequest(p: PiecePicker, peerId: PeerId, peer: PickerPeer, span: BlockSpan): boolean {
  const block = span.offset / p.options.blockLength;
  const key = blockKey(p, span.piece, block);
  const req = peer.requests.get(key);
  if (!req) return false;
  peer.requests.delete(key);
  peer.inFlightBytes -= req.span.length;
  const a = p.active.get(span.piece);
  const by = a?.requestedBy[block];
  if (a && by?.delete(peerId) && by.size === 0) a.requestedBlocks--;
  return true;
}

/** Drops a request we tell the peer to cancel; its block may already be on the way, so it stays acceptable a while. */
export function cancelRequest(p: PiecePicker, peerId: PeerId, peer: PickerPeer, span: BlockSpan): boolean {
  if (!dropRequest(p, peerId, peer, span)) return false;
  const key = blockKey(p, span.piece, span.offset / p.options.blockLength);
  peer.cancelled.delete(key);
  peer.cancelled.set(key, span);
  if (peer.cancelled.size > MAX_CANCELLED_REQUESTS_REMEMBERED) peer.cancelled.delete(peer.cancelled.keys().next().value!);
  return true;
}

/** May the peer be asked for blocks of this copy? An exclusive copy is fetched from its owner alone. */
export const mayJoinCopy = (a: ActivePiece, peerId: PeerId): boolean => !a.exclusive || a.owner === null || a.owner === peerId;

/**
 * Throws a piece's current copy away (we hold the piece now, or the owner of an exclusive copy timed out or
 * refused): every request on it is cancelled and it is no longer active. Returns the cancels to send.
 */
export function discardCopy(p: PiecePicker, piece: number): PeerSpan[] {
  const cancels: PeerSpan[] = [];
  for (const [peerId, peer] of p.peers) {
    for (const req of [...peer.requests.values()]) {
      if (req.span.piece === piece && cancelRequest(p, peerId, peer, req.span)) cancels.push({ peerId, span: req.span });
    }
  }
  p.active.delete(piece);
  return cancels;
}

/** Releases every request to a peer; returns what was released. */
export function releaseAllRequests(p: PiecePicker, peerId: PeerId, peer: PickerPeer): BlockSpan[] {
  const released = [...peer.requests.values()].map((r) => r.span);
  for (const span of released) dropRequest(p, peerId, peer, span);
  for (const span of released) deactivateIfIdle(p, span.piece);
  for (const [piece, a] of p.active) if (a.exclusive && a.owner === peerId && !a.verifying) p.active.delete(piece); // nobody else may finish it
  return released;
}

export function addAvailability(p: PiecePicker, have: Bitfield, delta: 1 | -1): void {
  addCounts(p.availability, have, delta);
}

/** Adds `delta` to the count of every piece set in `bits`. */
export function addCounts(counts: Uint16Array, bits: Bitfield, delta: 1 | -1): void {
  for (let byte = 0; byte < bits.bytes.length; byte++) {
    const set = bits.bytes[byte] ?? 0;
    if (set === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((set & (0x80 >> bit)) !== 0) counts[byte * 8 + bit]! += delta;
    }
  }
}

/**
 * Is the peer the right one to ask for this piece? Suspects only when nobody else has it; another peer than the
 * preferred source only for what that source will not serve us now: it never said it serves us (a source that
 * cannot tell its link has room never says so unasked: every peer alike, as before), it lacks the piece or refused
 * it ('not-had' clears its bit until it offers it again), it made us wait for an upload slot lately (its link is
 * full), it stalled.
 */
export function mayAskFor(p: PiecePicker, peerId: PeerId, peer: PickerPeer, piece: number, now: number): boolean {
  if (!getBit(peer.have, piece)) return false;
  if (peerId !== p.preferred && preferredServes(p, piece, now)) return false;
  const suspects = p.suspects.get(piece);
  if (!suspects?.has(peerId)) return true;
  let suspectsHaving = 0;
  for (const s of suspects) if (p.peers.get(s) && getBit(p.peers.get(s)!.have, piece)) suspectsHaving++;
  return (p.availability[piece] ?? 0) <= suspectsHaving;
}

/**
 * Would the preferred source serve us this piece now: it said it serves us, has it, is not a suspect for it (smart
 * ban), not stalled, no wait lately?
 */
export function preferredServes(p: PiecePicker, piece: number, now: number): boolean {
  const source = p.preferred === null ? undefined : p.peers.get(p.preferred);
  if (source === undefined || source.grantedAt === null || source.waitingSince !== null || source.stalled) return false;
  if (!getBit(source.have, piece) || p.suspects.get(piece)?.has(p.preferred!) === true) return false;
  return source.waitedAt === null || now - source.waitedAt >= PREFERRED_BUSY_MS;
}
