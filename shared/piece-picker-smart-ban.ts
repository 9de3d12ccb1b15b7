import type { PeerId } from './ids.ts';
import { MAX_PIECES_WITH_EVIDENCE } from './limits.ts';
import { banPeer } from './piece-picker-peers.ts';
import {
  type FailedCopy, type PeerSpan, type PiecePicker,
} from './piece-picker-state.ts';

// Who to blame for a piece that fails its hash (libtorrent's "smart ban"). A copy one peer sent alone is that
// peer's strike. A copy several peers sent proves only that one of them lied, so nobody is struck yet: each
// block's digest is kept, the piece is fetched again whole from one peer, and when a copy verifies, whoever
// sent a block that differs from it is struck. A peer is struck only for bytes it sent itself.

export interface PieceFailure {
  /** Peers proven to have sent bad blocks: one strike each. */
  struck: PeerId[];
  /** Those whose strikes reached maxStrikes: banned on this route from now on. */
  banned: PeerId[];
  /** The banned peers' outstanding requests: send them 'cancel' (or close the route with them). */
  cancels: PeerSpan[];
}

const noFailure = (): PieceFailure => ({ struck: [], banned: [], cancels: [] });

/**
 * The completed piece failed its hash: its blocks are missing again. `blockDigests`: a digest (e.g. SHA-256 hex)
 * of each block of the bad copy, in order (blockSpansOf); kept only when several peers sent blocks of it.
 */
export function onPieceFailed(p: PiecePicker, piece: number, blockDigests: readonly string[]): PieceFailure {
  const a = p.active.get(piece);
  if (!a?.verifying) return noFailure();
  if (blockDigests.length !== a.blockCount) throw new RangeError(`${blockDigests.length} digests for ${a.blockCount} blocks`);
  p.active.delete(piece);
  const senders = new Set(a.receivedFrom.filter((from): from is PeerId => from !== undefined));
  const suspects = p.suspects.get(piece) ?? new Set<PeerId>();
  for (const peerId of senders) suspects.add(peerId);
  p.suspects.set(piece, suspects);
  const failure = noFailure();
  if (senders.size === 1) strikePeer(p, [...senders][0]!, failure);
  else keepEvidence(p, piece, a.receivedFrom.map((from, block) => ({ from: from!, digest: blockDigests[block]! })));
  return failure;
}

/** A good copy of this piece arrived: the engine should hash its blocks and call onGoodCopy before onPieceVerified. */
export const needsBlockDigests = (p: PiecePicker, piece: number): boolean => p.evidence.has(piece);

/**
 * A copy of the piece verified (`blockDigests` of its blocks, in order): every sender of a block of the failed
 * copy that differs from it lied, and is struck. The evidence is then forgotten.
 */
export function onGoodCopy(p: PiecePicker, piece: number, blockDigests: readonly string[]): PieceFailure {
  const copy = p.evidence.get(piece);
  const failure = noFailure();
  if (!copy) return failure;
  if (blockDigests.length !== copy.length) throw new RangeError(`${blockDigests.length} digests for ${copy.length} blocks`);
  p.evidence.delete(piece);
  const liars = new Set<PeerId>();
  copy.forEach(({ from, digest }, block) => digest !== blockDigests[block] && liars.add(from));
  for (const peerId of liars) strikePeer(p, peerId, failure);
  return failure;
}

function keepEvidence(p: PiecePicker, piece: number, copy: FailedCopy): void {
  p.evidence.delete(piece);
  p.evidence.set(piece, copy);
  if (p.evidence.size > MAX_PIECES_WITH_EVIDENCE) p.evidence.delete(p.evidence.keys().next().value!);
}

function strikePeer(p: PiecePicker, peerId: PeerId, failure: PieceFailure): void {
  const strikes = (p.strikes.get(peerId) ?? 0) + 1;
  p.strikes.set(peerId, strikes);
  failure.struck.push(peerId);
  if (strikes >= p.options.maxStrikes && !p.banned.has(peerId)) {
    failure.banned.push(peerId);
    failure.cancels.push(...banPeer(p, peerId));
  }
}
