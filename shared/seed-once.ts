import { getBit, isComplete } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './limits.ts';
import type { PiecePicker } from './piece-picker.ts';

// Seed each piece once (BEP 16's super-seeding idea, kept inside the existing wire messages): while the
// initial seeder's uplink is busy, a request for a piece it already sent to another connected peer (which holds
// it or is still receiving it) is refused ('not-had' for now), so leechers fetch it from that peer and the scarce
// seeder uplink carries each piece about once. A refused peer is offered the piece again ('have') as soon as nobody else
// covers it (the holder left) or after `reofferAfterMs` at the latest (the holder hoards or lied), and is
// then served whatever others hold: no peer can make the seeder starve another. It switches itself off
// where it cannot help: with one leecher nothing is ever covered, and an idle uplink serves duplicates of rare
// pieces (at most `rareHolders` of our peers hold them): a piece many peers hold spreads without us, and the
// seeder's duplicates of such pieces were most of the 1.2–1.6 copies a 64 MiB class cost it.
//
// Usage (the uploading side, per route; pass the route's picker, which knows every peer's haves):
//   const seed = createSeedOnce();
//   const verdict = onSeedRequest(seed, picker, peerId, piece, backlogBytes, now);
//   if (verdict === 'refuse') send(peerId, { type: 'reject', reason: 'not-had', ... });
//   for (const { peerId, piece } of dueReoffers(seed, picker, now)) send(peerId, { type: 'have', piece, ... });
//   forgetSeedPeer(seed, peerId);                              // link closed; then dueReoffers again

export interface SeedOnceOptions {
  /** A refused peer that still lacks the piece this long after is offered it again (its holder may hoard). */
  reofferAfterMs: number;
  /** A piece being sent to a peer covers it this long past its last block, until the peer announces it. */
  givenGraceMs: number;
  /** Below this many bytes accepted and not yet sent, the uplink is not the bottleneck: serve duplicates (of rare pieces). */
  busyBacklogBytes: number;
  /** A piece at most this many of our peers still downloading hold is rare: the only kind an idle seeder sends twice. */
  rareHolders: number;
}

/** Unit of the defaults: a request unanswered for DEFAULT_REQUEST_TIMEOUT_MS is given up anyway. */
export const DEFAULT_SEED_ONCE: SeedOnceOptions = {
  reofferAfterMs: DEFAULT_REQUEST_TIMEOUT_MS / 2,
  givenGraceMs: DEFAULT_REQUEST_TIMEOUT_MS / 2,
  busyBacklogBytes: 256 * 1024,
  rareHolders: 1,
};

export interface SeedOnce {
  readonly options: Readonly<SeedOnceOptions>;
  /** The last peer each piece was sent to, and when its last block was accepted. */
  given: Map<number, { peerId: PeerId; at: number }>;
  /** Pieces refused to each peer, with when they were first refused. */
  refused: Map<PeerId, Map<number, number>>;
  /** Pieces offered again to each peer: served to it whoever else holds them. */
  reoffered: Map<PeerId, Set<number>>;
  /** In the tail: the peer each piece was last offered again to, and when (one at a time, see isTailTurn). */
  tailOffered: Map<number, { peerId: PeerId; at: number }>;
  counters: { served: number; refused: number; duplicates: number; reoffered: number };
  /** Whether we are the file's initial seeder; null until the file is complete here. */
  initialSeeder: boolean | null;
}

export type SeedVerdict = 'serve' | 'refuse';

export function createSeedOnce(options: Partial<SeedOnceOptions> = {}): SeedOnce {
  const o = { ...DEFAULT_SEED_ONCE, ...options };
  if (!(o.reofferAfterMs > 0) || !(o.givenGraceMs > 0) || !(o.busyBacklogBytes >= 0) || !(o.rareHolders >= 0)) {
    throw new RangeError('bad seed-once options');
  }
  return {
    options: o, given: new Map(), refused: new Map(), reoffered: new Map(), tailOffered: new Map(),
    counters: { served: 0, refused: 0, duplicates: 0, reoffered: 0 }, initialSeeder: null,
  };
}

/** Only the initial seeder holds back: every piece it has was seeded or resumed from its own store. */
export function isInitialSeeder(picker: PiecePicker): boolean {
  return isComplete(picker.had) && picker.sources.every((s) => s === 'local');
}

/**
 * A checked request for a piece we have. `backlogBytes`: bytes accepted for upload and not yet sent, over
 * every peer. `linkFull` false (shared/link-load.ts): our link has room and something else limits (the Wi-Fi's
 * air): a backlog is then no reason to refuse. Call only for valid requests (the upload queue's checks first).
 */
export function onSeedRequest(
  s: SeedOnce, picker: PiecePicker, peerId: PeerId, piece: number, backlogBytes: number, now: number, linkFull = true,
): SeedVerdict {
  s.initialSeeder ??= isComplete(picker.had) ? isInitialSeeder(picker) : null; // a complete file's sources never change
  const exempt = s.initialSeeder !== true || s.reoffered.get(peerId)?.has(piece) === true ||
    s.given.get(piece)?.peerId === peerId;
  if (exempt || !isCovered(s, picker, piece, peerId, now)) return serve(s, peerId, piece, now);
  if ((backlogBytes < s.options.busyBacklogBytes && isRare(s, picker, piece)) || !linkFull) {
    s.counters.duplicates++;
    return serve(s, peerId, piece, now);
  }
  const refused = s.refused.get(peerId) ?? new Map<number, number>();
  if (!refused.has(piece)) refused.set(piece, now);
  s.refused.set(peerId, refused);
  s.counters.refused++;
  return 'refuse';
}

function serve(s: SeedOnce, peerId: PeerId, piece: number, now: number): SeedVerdict {
  s.given.set(piece, { peerId, at: now });
  s.counters.served++;
  return 'serve';
}

/**
 * Is the piece out in the class with someone else? Only the peer we last sent it to counts, while connected and
 * holding it (announced) or still being sent it: a bitfield claiming pieces we never sent covers nothing.
 */
function isCovered(s: SeedOnce, picker: PiecePicker, piece: number, asker: PeerId, now: number): boolean {
  const given = s.given.get(piece);
  if (!given || given.peerId === asker) return false;
  const holder = picker.peers.get(given.peerId);
  return holder !== undefined && (getBit(holder.have, piece) || now - given.at < s.options.givenGraceMs);
}

/**
 * Refused pieces to offer again now (send each peer a 'have'): nobody else covers them any more, or the peer has
 * waited `reofferAfterMs`. Call every second or so and after a peer left. With `idle` (the upload queue just ran
 * dry; it may be often, so only this is checked then), once every piece went out once: each rare piece to one
 * refused peer at a time, and one such piece to each peer at a time. The tail is where each last piece has one
 * holder and N−2 peers wanting it; one more holder doubles how fast it spreads, where offering it to every refused
 * peer at once sent it 10–20 times, and offering one peer every rare piece made the others wait for it.
 */
export function dueReoffers(s: SeedOnce, picker: PiecePicker, now: number, idle = false): { peerId: PeerId; piece: number }[] {
  const tail = idle && s.given.size === picker.layout.pieceCount;
  if (idle && !tail) return [];
  const onTurn = tail ? peersOnTailTurn(s, picker, now) : new Set<PeerId>();
  const due: { peerId: PeerId; piece: number }[] = [];
  for (const [peerId, refused] of s.refused) {
    const peer = picker.peers.get(peerId);
    if (!peer) {
      s.refused.delete(peerId);
      continue;
    }
    for (const [piece, since] of refused) {
      if (getBit(peer.have, piece)) refused.delete(piece);
      else if ((tail && isTailTurn(s, picker, piece, peerId, now, onTurn)) || now - since >= s.options.reofferAfterMs ||
        !isCovered(s, picker, piece, peerId, now)) {
        refused.delete(piece);
        offerAgain(s, peerId, piece);
        due.push({ peerId, piece });
      }
    }
    if (refused.size === 0) s.refused.delete(peerId);
  }
  return due;
}

/**
 * At most `rareHolders` of our peers hold the piece. Peers claiming the whole file do not count: a hoarder claims
 * it all and serves nothing, and an honest one that finished needs nothing of us and shares every piece alike.
 */
function isRare(s: SeedOnce, picker: PiecePicker, piece: number): boolean {
  let holders = 0;
  for (const peer of picker.peers.values()) {
    if (getBit(peer.have, piece) && !isComplete(peer.have) && ++holders > s.options.rareHolders) return false;
  }
  return true;
}

/** A peer offered a piece again asks for its blocks within a round trip or two; this long without one, the turn passes. */
const TAIL_TURN_MS = 1000;

/**
 * Is the piece's tail turn still running? Its peer is connected, lacks the piece, and asked us for a block of it
 * (or was offered it) less than TAIL_TURN_MS ago; a peer that fetches it elsewhere, perhaps from a peer that never
 * answers, loses the turn.
 */
function isLiveTurn(s: SeedOnce, picker: PiecePicker, piece: number, now: number): boolean {
  const turn = s.tailOffered.get(piece);
  const peer = turn && picker.peers.get(turn.peerId);
  if (!turn || !peer || getBit(peer.have, piece)) return false;
  const given = s.given.get(piece);
  const lastAsked = given?.peerId === turn.peerId && given.at >= turn.at ? given.at : turn.at;
  return now - lastAsked < TAIL_TURN_MS;
}

function peersOnTailTurn(s: SeedOnce, picker: PiecePicker, now: number): Set<PeerId> {
  const onTurn = new Set<PeerId>();
  for (const [piece, turn] of s.tailOffered) if (isLiveTurn(s, picker, piece, now)) onTurn.add(turn.peerId);
  return onTurn;
}

/** In the tail, is it `peerId`'s turn to be offered this rare piece again? Takes the turn (and the peer's one turn). */
function isTailTurn(s: SeedOnce, picker: PiecePicker, piece: number, peerId: PeerId, now: number, onTurn: Set<PeerId>): boolean {
  if (onTurn.has(peerId) || isLiveTurn(s, picker, piece, now) || !isRare(s, picker, piece)) return false;
  s.tailOffered.set(piece, { peerId, at: now });
  onTurn.add(peerId);
  return true;
}

function offerAgain(s: SeedOnce, peerId: PeerId, piece: number): void {
  const offered = s.reoffered.get(peerId) ?? new Set<number>();
  offered.add(piece);
  s.reoffered.set(peerId, offered);
  s.counters.reoffered++;
}

/** The peer's link closed: forget what we refused or offered it. */
export function forgetSeedPeer(s: SeedOnce, peerId: PeerId): void {
  s.refused.delete(peerId);
  s.reoffered.delete(peerId);
}
