import { bitfieldFromBytes, clearBit, createBitfield, getBit, setBit, type BitfieldError } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import {
  addAvailability, addCounts, deactivateIfIdle, discardCopy, dropRequest, releaseAllRequests,
  type PeerSpan, type PickerPeer, type PiecePicker,
} from './piece-picker-state.ts';
import { err, ok, type Result } from './result.ts';
import type { BlockSpan, RejectReason } from './wire-messages.ts';

// What remote peers tell us on one route: what they have, that they left, that they refused a request.

export type HaveError = 'bad-piece';

/** A 'bitfield' message: replaces what we knew of the peer. A banned peer is ignored (still ok). */
export function onPeerBitfield(p: PiecePicker, peerId: PeerId, bits: Uint8Array): Result<void, BitfieldError> {
  const parsed = bitfieldFromBytes(bits, p.layout.pieceCount);
  if (!parsed.ok) return parsed;
  if (p.banned.has(peerId)) return ok(undefined);
  const peer = peerOrNew(p, peerId);
  forgetFetching(p, peer);
  addAvailability(p, peer.have, -1);
  peer.have = parsed.value;
  addAvailability(p, peer.have, +1);
  return ok(undefined);
}

/** A 'have' message. A peer may skip the bitfield when it has nothing, so an unknown peer is added. */
export function onPeerHave(p: PiecePicker, peerId: PeerId, piece: number): Result<void, HaveError> {
  if (!Number.isInteger(piece) || piece < 0 || piece >= p.layout.pieceCount) return err('bad-piece');
  if (p.banned.has(peerId)) return ok(undefined);
  const peer = peerOrNew(p, peerId);
  if (clearBit(peer.fetching, piece)) p.othersFetching[piece]!--;
  if (setBit(peer.have, piece)) p.availability[piece]!++;
  return ok(undefined);
}

/**
 * A 'fetching' message: the peer started on that piece. Only ever a tie-break between equally rare pieces (so
 * two peers do not fetch the same one from a shared source at once): a peer that lies starves nobody.
 */
export function onPeerFetching(p: PiecePicker, peerId: PeerId, piece: number): Result<void, HaveError> {
  if (!Number.isInteger(piece) || piece < 0 || piece >= p.layout.pieceCount) return err('bad-piece');
  if (p.banned.has(peerId)) return ok(undefined);
  const peer = peerOrNew(p, peerId);
  if (!getBit(peer.have, piece) && setBit(peer.fetching, piece)) p.othersFetching[piece]!++;
  return ok(undefined);
}

/**
 * A 'slot' message: the peer queues our requests behind its upload slots (granted=false: expire() then gives them
 * slotWaitTimeoutMs, not requestTimeoutMs) or serves them now (granted=true: their request timeout starts over).
 */
export function onPeerSlot(p: PiecePicker, peerId: PeerId, granted: boolean, now: number): void {
  const peer = p.peers.get(peerId);
  if (!peer) return;
  if (!granted) {
    peer.waitingSince ??= now;
    peer.waitedAt = now;
    return;
  }
  peer.waitingSince = null;
  peer.grantedAt = now;
  for (const req of peer.requests.values()) req.since = now;
}

/**
 * The file's origin (the teacher whose laptop shares it): once it said it serves us (an uploader whose link has room
 * says so unasked, upload-slots.ts), asked first; other peers only for what it will not serve now (mayAskFor). On a
 * shared Wi-Fi channel a byte from the wired teacher crosses the air once and one from a student twice, so a teacher
 * with room on its link should send it; one whose link is full says so (slots, refusals) and the class fetches from
 * itself as before; one that cannot tell (a tab) never says it unasked, and stays one peer among others. null: none.
 */
export function setPreferredSource(p: PiecePicker, peerId: PeerId | null): void {
  p.preferred = peerId;
}

function forgetFetching(p: PiecePicker, peer: PickerPeer): void {
  addCounts(p.othersFetching, peer.fetching, -1);
  peer.fetching = createBitfield(p.layout.pieceCount);
}

/** The peer left this route (link closed, or it no longer shares the swarm): its requests are free again. */
export function onPeerGone(p: PiecePicker, peerId: PeerId): BlockSpan[] {
  const peer = p.peers.get(peerId);
  if (!peer) return [];
  const released = releaseAllRequests(p, peerId, peer);
  forgetFetching(p, peer);
  addAvailability(p, peer.have, -1);
  p.peers.delete(peerId);
  return released;
}

/**
 * The peer answered a request with 'reject'. The block is free again; 'not-had' corrects its bitfield,
 * 'unknown-route'/'banned' mean it will not serve this route at all, 'queue-full' slows it to one request.
 * An exclusive copy it was sending is thrown away: returns the cancels for its other requests on that piece.
 */
export function onRequestRejected(p: PiecePicker, peerId: PeerId, span: BlockSpan, reason: RejectReason): PeerSpan[] {
  const peer = p.peers.get(peerId);
  if (!peer || !dropRequest(p, peerId, peer, span)) return [];
  const cancels = p.active.get(span.piece)?.exclusive ? discardCopy(p, span.piece) : [];
  deactivateIfIdle(p, span.piece);
  applyRejectReason(p, peerId, peer, span, reason);
  return cancels;
}

function applyRejectReason(p: PiecePicker, peerId: PeerId, peer: PickerPeer, span: BlockSpan, reason: RejectReason): void {
  switch (reason) {
    case 'not-had':
      if (clearBit(peer.have, span.piece)) p.availability[span.piece]!--;
      return;
    case 'unknown-route':
    case 'banned':
      onPeerGone(p, peerId);
      return;
    case 'queue-full':
    case 'bad-span':
      peer.stalled = true;
      return;
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** Bans a peer for this route: its requests are returned as cancels, it no longer counts as a source. */
export function banPeer(p: PiecePicker, peerId: PeerId): PeerSpan[] {
  p.banned.add(peerId);
  return onPeerGone(p, peerId).map((span) => ({ peerId, span }));
}

export const isBanned = (p: PiecePicker, peerId: PeerId): boolean => p.banned.has(peerId);

/** Outstanding requests to a peer on this route, e.g. to share one budget across routes. */
export function inFlightOf(p: PiecePicker, peerId: PeerId): { requests: number; bytes: number } {
  const peer = p.peers.get(peerId);
  return { requests: peer?.requests.size ?? 0, bytes: peer?.inFlightBytes ?? 0 };
}

function peerOrNew(p: PiecePicker, peerId: PeerId): PickerPeer {
  let peer = p.peers.get(peerId);
  if (!peer) {
    const size = p.layout.pieceCount;
    peer = {
      have: createBitfield(size), requests: new Map(), inFlightBytes: 0, stalled: false, waitingSince: null, waitedAt: null, grantedAt: null,
      fetching: createBitfield(size),
      cancelled: new Map(),
    };
    p.peers.set(peerId, peer);
  }
  return peer;
}
