import { isComplete } from './bitfield.ts';
import type { Manifest } from './manifest.ts';
import type { PieceLayout, PiecePicker } from './piece-picker-state.ts';

// Download side of one route (one file), fetching from several peers at once. Plain data plus transitions
// that mutate it in place (on…/mark…/ban…/expire/nextRequests); no timers, I/O or randomness: pass `now`
// and an `rng`. Pieces are split into blocks; rarest-first among connected peers, partial pieces first,
// a per-peer pipeline capped in bytes and requests, timeouts, endgame, and hash-failure strikes and bans.
// Blocks are taken only from the peer asked for them; a bad piece is blamed only on peers proven to have lied.
//
// Usage (the engine, per route; the routing table creates one picker per file):
//   const picker = createPiecePicker(layoutOf(manifest), { rng: Math.random });
//   onPeerBitfield(picker, peerId, msg.bits);                  // or onPeerHave(picker, peerId, msg.piece)
//   for (const span of nextRequests(picker, peerId, now)) send(peerId, { type: 'request', ...route, ...span });
//   const got = onBlock(picker, peerId, { piece, offset, length: data.length });
//   if (got.accepted) { keep(data); got.cancels.forEach((c) => send(c.peerId, { type: 'cancel', ...route, ...c.span })); }
//   if (got.accepted && got.pieceComplete) hash it, then:                     // (digests: one per block, blockSpansOf)
//     ok: if (needsBlockDigests(picker, piece)) strike(onGoodCopy(picker, piece, digests)); onPieceVerified(picker, piece);
//     bad: strike(onPieceFailed(picker, piece, digests));   // only peers proven to have sent bad bytes are struck
//   const { cancels, reassigned } = expire(picker, now);      // every second: send cancels, then requests
//   onPeerGone(picker, peerId);                                // link closed: its requests are free again
//   setPreferredSource(picker, teacherId);                     // the file's origin first, others for what it refuses
//   isDone(picker);                                            // every piece verified

export { createPiecePicker, blockSpansOf, pieceBytes } from './piece-picker-state.ts';
export type {
  ActivePiece, OutstandingRequest, PeerSpan, PickerOptions, PickerPeer, PieceLayout, PiecePicker, PieceSource,
} from './piece-picker-state.ts';
export {
  banPeer, inFlightOf, isBanned, onPeerBitfield, onPeerFetching, onPeerGone, onPeerHave, onPeerSlot, onRequestRejected,
  setPreferredSource,
} from './piece-picker-peers.ts';
export type { HaveError } from './piece-picker-peers.ts';
export { expire, isEndgame, nextRequests } from './piece-picker-requests.ts';
export type { ExpireResult } from './piece-picker-requests.ts';
export { markHadLocally, onBlock, onPieceUnstored, onPieceVerified } from './piece-picker-blocks.ts';
export type { BlockOutcome, BlockRefusal } from './piece-picker-blocks.ts';
export { needsBlockDigests, onGoodCopy, onPieceFailed } from './piece-picker-smart-ban.ts';
export type { PieceFailure } from './piece-picker-smart-ban.ts';

export const layoutOf = (m: Pick<Manifest, 'size' | 'pieceLength' | 'pieceHashes'>): PieceLayout => ({
  pieceCount: m.pieceHashes.length,
  pieceLength: m.pieceLength,
  fileSize: m.size,
});

export const isDone = (p: PiecePicker): boolean => isComplete(p.had);
