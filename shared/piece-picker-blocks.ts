import { getBit, setBit } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import {
  blockCountOf, blockKey, blockSpan, cancelRequest, discardCopy, dropRequest, type PeerSpan, type PiecePicker, type PieceSource,
} from './piece-picker-state.ts';
import type { BlockSpan } from './wire-messages.ts';

// What arrives: blocks, then the engine's verdict on each completed piece (a failure: piece-picker-smart-ban.ts).
// A block is taken only from the peer it was requested from (or, for a while, one whose request we cancelled):
// nobody can write into a piece someone else is sending us, so nobody can get that sender blamed for it.

export type BlockRefusal =
  | 'bad-span' // not one of the piece's blocks (offset off the grid, wrong length, piece out of range)
  | 'duplicate' // asked of the sender, but already received, or the piece is had, verifying or being fetched elsewhere
  | 'unrequested' // never asked of the sender (or cancelled long ago): charge it to the sender
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
  const sender = p.peers.get(peerId);
  const key = blockKey(p, span.piece, block);
  if (!sender?.requests.has(key) && !sender?.cancelled.delete(key)) return { accepted: false, reason: 'unrequested' };
  const a = p.active.get(span.piece);
  if (!a || a.verifying || a.receivedFrom[block] !== undefined || (a.exclusive && a.owner !== peerId)) {
    return { accepted: false, reason: 'duplicate' };
  }
  const cancels: PeerSpan[] = [];
  for (const other of [...(a.requestedBy[block] ?? [])]) {
    const peer = p.peers.get(other);
    if (other === peerId) dropRequest(p, other, sender, span);
    else if (peer && cancelRequest(p, other, peer, span)) cancels.push({ peerId: other, span });
  }
  a.receivedFrom[block] = peerId;
  a.receivedCount++;
  sender.stalled = false;
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
  p.evidence.delete(piece);
  setBit(p.had, piece);
  p.sources[piece] = source ?? 'local';
  return p.sources[piece]!;
}

/** A verified piece whose write failed (storage full): missing again, and no peer is blamed for it. */
export function onPieceUnstored(p: PiecePicker, piece: number): void {
  if (p.active.get(piece)?.verifying) p.active.delete(piece);
}

/** A piece we hold without downloading it (seeding, or resumed from the store). Returns cancels for it. */
export function markHadLocally(p: PiecePicker, piece: number): PeerSpan[] {
  if (!Number.isInteger(piece) || piece < 0 || piece >= p.layout.pieceCount || getBit(p.had, piece)) return [];
  const cancels = discardCopy(p, piece);
  p.suspects.delete(piece);
  p.evidence.delete(piece);
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
