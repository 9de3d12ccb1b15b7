import { getBit, setBit } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import { banPeer } from './piece-picker-peers.ts';
import {
  blockCountOf, blockSpan, dropRequest, type PeerSpan, type PiecePicker, type PieceSource,
} from './piece-picker-state.ts';
import type { BlockSpan } from './wire-messages.ts';

// What arrives: blocks, then the engine's verdict on each completed piece.

export type BlockRefusal =
  | 'bad-span' // not one of the piece's blocks (offset off the grid, wrong length, piece out of range)
  | 'duplicate' // already received, or the piece is had or being verified
  | 'unrequested' // nobody is fetching that piece: there is no buffer for it
  | 'banned'; // the sender is banned on this route

export type BlockOutcome =
  | {
      accepted: true;
      /** Every block of the piece is in: hash it, then call onPieceVerified or onPieceFailed. */
      pieceComplete: boolean;
      /** Other peers asked for the same block (endgame, or a reassigned late block): send them 'cancel'. */
      cancels: PeerSpan[];
    }
  | { accepted: false; reason: BlockRefusal };

/** A 'block' message arrived. Accepted blocks must be kept by the engine until the piece is verified. */
export function onBlock(p: PiecePicker, peerId: PeerId, span: BlockSpan): BlockOutcome {
  if (p.banned.has(peerId)) return { accepted: false, reason: 'banned' };
  const block = blockIndexOf(p, span);
  if (block === null) return { accepted: false, reason: 'bad-span' };
  const a = p.active.get(span.piece);
  if (getBit(p.had, span.piece) || a?.verifying || (a && a.receivedFrom[block] !== undefined)) {
    return { accepted: false, reason: 'duplicate' };
  }
  if (!a) return { accepted: false, reason: 'unrequested' };
  const cancels: PeerSpan[] = [];
  for (const other of [...(a.requestedBy[block] ?? [])]) {
    const peer = p.peers.get(other);
    if (peer) dropRequest(p, other, peer, span);
    if (other !== peerId) cancels.push({ peerId: other, span });
  }
  a.receivedFrom[block] = peerId;
  a.receivedCount++;
  const sender = p.peers.get(peerId);
  if (sender) sender.stalled = false;
  a.verifying = a.receivedCount === a.blockCount;
  return { accepted: true, pieceComplete: a.verifying, cancels };
}

/** The completed piece hashed right and is stored. Returns who it is credited to, or null if it was not complete. */
export function onPieceVerified(p: PiecePicker, piece: number): PieceSource | null {
  const a = p.active.get(piece);
  if (!a?.verifying) return null;
  const bytesBy = new Map<PeerId, number>();
  a.receivedFrom.forEach((from, block) => {
    if (from !== undefined) bytesBy.set(from, (bytesBy.get(from) ?? 0) + blockSpan(p, piece, block).length);
  });
  let source: PeerId | undefined;
  for (const [peerId, bytes] of bytesBy) if (source === undefined || bytes > bytesBy.get(source)!) source = peerId;
  p.active.delete(piece);
  p.suspects.delete(piece);
  setBit(p.had, piece);
  p.sources[piece] = source ?? 'local';
  return p.sources[piece]!;
}

export interface PieceFailure {
  /** Every peer that sent a block of the bad copy gets one strike. */
  struck: PeerId[];
  /** Those whose strikes reached maxStrikes: banned on this route from now on. */
  banned: PeerId[];
  /** The banned peers' outstanding requests: send them 'cancel' (or close the route with them). */
  cancels: PeerSpan[];
}

/** The completed piece failed its hash: all its blocks are missing again and its contributors are struck. */
export function onPieceFailed(p: PiecePicker, piece: number): PieceFailure {
  const a = p.active.get(piece);
  const failure: PieceFailure = { struck: [], banned: [], cancels: [] };
  if (!a?.verifying) return failure;
  p.active.delete(piece);
  const struck = new Set(a.receivedFrom.filter((from): from is PeerId => from !== undefined));
  const suspects = p.suspects.get(piece) ?? new Set<PeerId>();
  for (const peerId of struck) {
    suspects.add(peerId);
    const strikes = (p.strikes.get(peerId) ?? 0) + 1;
    p.strikes.set(peerId, strikes);
    failure.struck.push(peerId);
    if (strikes >= p.options.maxStrikes && !p.banned.has(peerId)) {
      failure.banned.push(peerId);
      failure.cancels.push(...banPeer(p, peerId));
    }
  }
  p.suspects.set(piece, suspects);
  return failure;
}

/** A verified piece whose write failed (storage full): missing again, and no peer is blamed for it. */
export function onPieceUnstored(p: PiecePicker, piece: number): void {
  if (p.active.get(piece)?.verifying) p.active.delete(piece);
}

/** A piece we hold without downloading it (seeding, or resumed from the store). Returns cancels for it. */
export function markHadLocally(p: PiecePicker, piece: number): PeerSpan[] {
  if (!Number.isInteger(piece) || piece < 0 || piece >= p.layout.pieceCount || getBit(p.had, piece)) return [];
  const cancels: PeerSpan[] = [];
  for (const [peerId, peer] of p.peers) {
    for (const req of [...peer.requests.values()]) {
      if (req.span.piece !== piece) continue;
      dropRequest(p, peerId, peer, req.span);
      cancels.push({ peerId, span: req.span });
    }
  }
  p.active.delete(piece);
  p.suspects.delete(piece);
  setBit(p.had, piece);
  p.sources[piece] = 'local';
  return cancels;
}

/** The block index of a span, or null unless it is exactly one block of an existing piece. */
function blockIndexOf(p: PiecePicker, span: BlockSpan): number | null {
  const { piece, offset } = span;
  if (!Number.isInteger(piece) || piece < 0 || piece >= p.layout.pieceCount) return null;
  if (!Number.isInteger(offset) || offset < 0 || offset % p.options.blockLength !== 0) return null;
  const block = offset / p.options.blockLength;
  if (block >= blockCountOf(p, piece) || blockSpan(p, piece, block).length !== span.length) return null;
  return block;
}
