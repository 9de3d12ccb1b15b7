import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expire, isDone, nextRequests, onBlock, onPeerGone, onPieceVerified, onRequestRejected, type PiecePicker,
} from '../../shared/piece-picker.ts';
import type { BlockSpan, RejectReason } from '../../shared/wire-messages.ts';
import { announce, BLOCK, makePicker, range, seededRng } from './picker-fixtures.ts';

// Any interleaving of peer events: the picker never asks a peer for a piece it lacks, never exceeds the
// pipeline caps, and once every peer is back and answers everything, the file completes.

const MAX_REQUESTS = 3;
const MAX_BYTES = 5 * BLOCK;
const TIMEOUT = 100;

type Event =
  | { kind: 'ask'; peer: number }
  | { kind: 'deliver'; peer: number; pick: number }
  | { kind: 'reject'; peer: number; pick: number; reason: RejectReason }
  | { kind: 'tick'; ms: number }
  | { kind: 'gone'; peer: number }
  | { kind: 'back'; peer: number };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('ask' as const), peer: fc.nat(3) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('deliver' as const), peer: fc.nat(3), pick: fc.nat(8) }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('reject' as const), peer: fc.nat(3), pick: fc.nat(8),
      reason: fc.constantFrom<RejectReason>('not-had', 'queue-full', 'unknown-route', 'banned', 'bad-span'),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(2 * TIMEOUT) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('gone' as const), peer: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('back' as const), peer: fc.nat(3) }), weight: 1 },
);

const scenarioArb = fc.record({
  pieceCount: fc.integer({ min: 1, max: 10 }),
  blocksPerPiece: fc.integer({ min: 1, max: 4 }),
  lastPieceCut: fc.nat(3 * BLOCK),
  holdings: fc.array(fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), { minLength: 4, maxLength: 4 }),
  seed: fc.nat(),
  events: fc.array(eventArb, { maxLength: 80 }),
});

interface World {
  p: PiecePicker;
  /** What each fake peer really has. */
  truth: number[][];
  online: boolean[];
  now: number;
}

const peerName = (i: number): string => `peer${i}`;

function outstanding(w: World, peer: number): BlockSpan[] {
  return [...(w.p.peers.get(peerName(peer))?.requests.values() ?? [])].map((r) => r.span);
}

function deliverBlock(w: World, peer: number, span: BlockSpan): void {
  const got = onBlock(w.p, peerName(peer), span);
  if (got.accepted && got.pieceComplete) onPieceVerified(w.p, span.piece);
}

function apply(w: World, e: Event): void {
  const peer = 'peer' in e ? e.peer : 0;
  if (e.kind !== 'tick' && e.kind !== 'back' && !w.online[peer]) return;
  const pickFrom = (pick: number): BlockSpan | undefined => outstanding(w, peer)[pick % Math.max(1, outstanding(w, peer).length)];
  switch (e.kind) {
    case 'ask': nextRequests(w.p, peerName(peer), w.now); break;
    case 'deliver': { const s = pickFrom(e.pick); if (s) deliverBlock(w, peer, s); break; }
    case 'reject': { const s = pickFrom(e.pick); if (s) onRequestRejected(w.p, peerName(peer), s, e.reason); break; }
    case 'tick': w.now += e.ms; expire(w.p, w.now); break;
    case 'gone': w.online[peer] = false; onPeerGone(w.p, peerName(peer)); break;
    case 'back': w.online[peer] = true; announce(w.p, peerName(peer), w.truth[peer]!); break;
  }
}

function checkInvariants(w: World): void {
  for (let peer = 0; peer < w.truth.length; peer++) {
    const spans = outstanding(w, peer);
    expect(spans.length).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(spans.reduce((sum, s) => sum + s.length, 0)).toBeLessThanOrEqual(MAX_BYTES);
    for (const s of spans) expect(w.truth[peer]).toContain(s.piece);
    if (!w.online[peer]) expect(spans).toEqual([]);
  }
}

/** Every peer comes back and answers every request until nothing is left to ask. */
function drain(w: World): void {
  for (let peer = 0; peer < w.truth.length; peer++) apply(w, { kind: 'back', peer });
  for (let round = 0; round < 10_000 && !isDone(w.p); round++) {
    let progressed = false;
    for (let peer = 0; peer < w.truth.length; peer++) {
      nextRequests(w.p, peerName(peer), w.now);
      checkInvariants(w);
      for (const span of outstanding(w, peer)) {
        deliverBlock(w, peer, span);
        progressed = true;
      }
    }
    if (!progressed) break;
  }
}

describe('piece picker: any interleaving of events', () => {
  it('piece picker: never asks a peer for a piece it lacks, never exceeds the pipeline, always finishes', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const fileSize = s.pieceCount * s.blocksPerPiece * BLOCK - Math.min(s.lastPieceCut, s.blocksPerPiece * BLOCK - 1);
      const p = makePicker(s.pieceCount, s.blocksPerPiece, {
        maxRequestsPerPeer: MAX_REQUESTS, maxInFlightBytesPerPeer: MAX_BYTES, requestTimeoutMs: TIMEOUT,
        rng: seededRng(s.seed),
      }, fileSize);
      const truth = s.holdings.map((row) => range(0, s.pieceCount).filter((i) => row[i]));
      for (let piece = 0; piece < s.pieceCount; piece++) {
        if (!truth.some((have) => have.includes(piece))) truth[piece % truth.length]!.push(piece);
      }
      const w: World = { p, truth, online: truth.map(() => true), now: 0 };
      truth.forEach((have, peer) => announce(p, peerName(peer), have));
      for (const e of s.events) {
        apply(w, e);
        checkInvariants(w);
      }
      drain(w);
      expect(isDone(p)).toBe(true);
    }), { numRuns: 300 });
  });
});
