import { getBit } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import {
  activatePiece, addRequest, blockSpan, cancelRequest, deactivateIfIdle, discardCopy, hasRoomFor, mayAskFor, mayJoinCopy,
  openBlocks, preferredServes, type ActivePiece, type PeerSpan, type PickerPeer, type PiecePicker,
} from './piece-picker-state.ts';
import type { BlockSpan } from './wire-messages.ts';

// Deciding what to ask whom: partial pieces first, then rarest-first, then endgame duplicates.
// Cost per call: O(active pieces × blocks per piece) + O(pieces) per newly started piece; never × peers.

/**
 * Fills the peer's pipeline and returns the new requests to send to it (possibly none). Call it when the
 * peer connects or announces pieces, after each block it delivers, and after expire()/onPieceFailed().
 */
export function nextRequests(p: PiecePicker, peerId: PeerId, now: number): BlockSpan[] {
  const peer = p.peers.get(peerId);
  if (!peer || p.banned.has(peerId)) return [];
  const out: BlockSpan[] = [];
  for (const [piece, a] of p.active) {
    if (a.verifying || openBlocks(a) === 0 || !mayJoinCopy(a, peerId) || !mayAskFor(p, peerId, peer, piece, now)) continue;
    if (!requestBlocks(p, peerId, peer, piece, a, now, out, false)) return out;
  }
  while (hasRoomFor(p, peer, 1)) {
    const piece = rarestPieceFor(p, peerId, peer, now);
    if (piece === null) break;
    if (!requestBlocks(p, peerId, peer, piece, activatePiece(p, piece, now), now, out, false)) {
      deactivateIfIdle(p, piece);
      return out;
    }
  }
  if (!hasRoomFor(p, peer, 1) || !isEndgame(p)) return out;
  for (const [piece, a] of p.active) {
    if (a.verifying || a.exclusive || !getBit(peer.have, piece) || (peerId !== p.preferred && preferredServes(p, piece, now))) continue;
    if (!requestBlocks(p, peerId, peer, piece, a, now, out, true)) return out;
  }
  return out;
}

/**
 * Requests this piece's blocks from the peer until its pipeline is full (returns false) or none is left.
 * Outside endgame only blocks nobody is fetching; in endgame also those others are fetching.
 */
function requestBlocks(
  p: PiecePicker, peerId: PeerId, peer: PickerPeer, piece: number, a: ActivePiece,
  now: number, out: BlockSpan[], endgame: boolean,
): boolean {
  for (let block = 0; block < a.blockCount; block++) {
    if (a.receivedFrom[block] !== undefined) continue;
    const by = a.requestedBy[block];
    if (by && by.size > 0 && (!endgame || by.has(peerId))) continue;
    const span = blockSpan(p, piece, block);
    if (!hasRoomFor(p, peer, span.length)) return false;
    addRequest(p, peerId, peer, a, span, now);
    out.push(span);
  }
  return true;
}

/**
 * The least available piece the peer has that we are not fetching yet; among equally rare ones those fewest other
 * peers said they are fetching (they will have them soon); remaining ties broken by rng.
 */
function rarestPieceFor(p: PiecePicker, peerId: PeerId, peer: PickerPeer, now: number): number | null {
  let best: number | null = null;
  let bestRank = Infinity;
  let ties = 0;
  const had = p.had.bytes;
  const theirs = peer.have.bytes;
  for (let piece = 0; piece < p.layout.pieceCount; piece++) {
    // availability first, then othersFetching (both < 65,536)
    const rank = (p.availability[piece] ?? 0) * 65_536 + (p.othersFetching[piece] ?? 0);
    const mask = 0x80 >> (piece & 7);
    if (rank > bestRank || (had[piece >> 3]! & mask) !== 0 || (theirs[piece >> 3]! & mask) === 0) continue;
    if (p.active.has(piece) || !mayAskFor(p, peerId, peer, piece, now)) continue;
    if (rank < bestRank) {
      best = piece;
      bestRank = rank;
      ties = 1;
    } else if (p.options.rng() * ++ties < 1) {
      best = piece;
    }
  }
  return best;
}

/** Endgame: no connected peer could be asked for a block that is not already requested (exclusive copies wait for their owner). */
export function isEndgame(p: PiecePicker): boolean {
  for (const a of p.active.values()) if (!a.verifying && !a.exclusive && openBlocks(a) > 0) return false;
  for (let piece = 0; piece < p.layout.pieceCount; piece++) {
    if (p.availability[piece] === 0 || getBit(p.had, piece)) continue;
    if (!p.active.has(piece)) return false;
  }
  return p.active.size > 0;
}

export interface ExpireResult {
  /** Timed-out requests: send each peer a 'cancel'. */
  cancels: PeerSpan[];
  /** The same blocks, now requested from another peer: send each a 'request'. */
  reassigned: PeerSpan[];
}

/**
 * Call periodically (e.g. every second). A peer that timed out is stalled: one request at a time. An exclusive
 * copy whose owner timed out is thrown away (another peer may then fetch it whole). A request queued behind a
 * peer's upload slots times out after slotWaitTimeoutMs instead, and moves sooner, without stalling anyone, to a
 * peer that serves us now and has the piece too (the cancel frees its place in the waiting peer's queue).
 */
export function expire(p: PiecePicker, now: number): ExpireResult {
  const cancels: PeerSpan[] = [];
  for (const [peerId, peer] of p.peers) {
    const timeout = peer.waitingSince === null ? p.options.requestTimeoutMs : p.options.slotWaitTimeoutMs;
    for (const req of peer.requests.values()) {
      if (now - req.since >= timeout) cancels.push({ peerId, span: req.span });
    }
  }
  for (const { peerId, span } of cancels) {
    const peer = p.peers.get(peerId)!;
    cancelRequest(p, peerId, peer, span);
    peer.stalled = true;
  }
  for (const { span } of [...cancels]) if (p.active.get(span.piece)?.exclusive) cancels.push(...discardCopy(p, span.piece));
  const reassigned: PeerSpan[] = [];
  for (const { peerId, span } of cancels) {
    const taker = reassign(p, peerId, span, now);
    if (taker !== null) reassigned.push({ peerId: taker, span });
    deactivateIfIdle(p, span.piece);
  }
  moveFromWaiting(p, now, cancels, reassigned);
  return { cancels, reassigned };
}

/** Requests queued behind a peer's slots for pieces a peer serving us has: moved there (cancel, then request). */
function moveFromWaiting(p: PiecePicker, now: number, cancels: PeerSpan[], reassigned: PeerSpan[]): void {
  for (const [peerId, peer] of p.peers) {
    if (peer.waitingSince === null) continue;
    for (const { span } of [...peer.requests.values()]) {
      if ((p.availability[span.piece] ?? 0) < 2 || p.active.get(span.piece)?.exclusive) continue;
      const taker = takerFor(p, peerId, span, now);
      if (taker === null) continue;
      cancelRequest(p, peerId, peer, span);
      cancels.push({ peerId, span });
      addRequest(p, taker.peerId, taker.peer, p.active.get(span.piece)!, span, now);
      reassigned.push({ peerId: taker.peerId, span });
    }
  }
}

/** Gives a freed block to the least loaded other peer that can take it; null if none can. */
function reassign(p: PiecePicker, from: PeerId, span: BlockSpan, now: number): PeerId | null {
  const a = p.active.get(span.piece);
  const block = span.offset / p.options.blockLength;
  if (!a || a.receivedFrom[block] !== undefined || (a.requestedBy[block]?.size ?? 0) > 0) return null;
  const best = takerFor(p, from, span, now);
  if (!best) return null;
  addRequest(p, best.peerId, best.peer, a, span, now);
  return best.peerId;
}

/** The least loaded other peer that serves us now (not stalled, not making us wait) and has room for the span. */
function takerFor(p: PiecePicker, from: PeerId, span: BlockSpan, now: number): { peerId: PeerId; peer: PickerPeer } | null {
  let best: { peerId: PeerId; peer: PickerPeer } | null = null;
  for (const [peerId, peer] of p.peers) {
    if (peerId === from || peer.stalled || peer.waitingSince !== null || !mayAskFor(p, peerId, peer, span.piece, now)) continue;
    if (!hasRoomFor(p, peer, span.length)) continue;
    if (!best || peer.inFlightBytes < best.peer.inFlightBytes) best = { peerId, peer };
  }
  return best;
}
