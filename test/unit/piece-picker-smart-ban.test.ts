import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CANCELLED_REQUESTS_REMEMBERED, MAX_HASH_STRIKES } from '../../shared/limits.ts';
import {
  blockSpansOf, expire, isBanned, isDone, needsBlockDigests, nextRequests, onBlock, onGoodCopy, onPeerFetching,
  onPieceFailed, onPieceVerified, type PieceFailure, type PiecePicker,
} from '../../shared/piece-picker.ts';
import type { BlockSpan } from '../../shared/wire-messages.ts';
import { announce, BLOCK, makePicker, piecesOf, range, seededRng } from './picker-fixtures.ts';

// Who gets blamed for a bad piece. The picker sees no bytes, so these tests play the engine: each block is
// 'good' or 'bad' (a liar's), a copy hashes right only if all its blocks are good, and a block's digest is
// what it carries. A peer must never be struck for bytes another peer sent.

type Block = 'good' | 'bad';

/** The engine's side of one route: the bytes of every piece's blocks as received, and the strikes handed out. */
class Engine {
  readonly copy = new Map<number, Block[]>();
  readonly struck: string[] = [];

  constructor(readonly p: PiecePicker) {}

  /** A block arrives from `peerId` carrying `what`; a completed piece is hashed and settled. */
  receive(peerId: string, span: BlockSpan, what: Block): ReturnType<typeof onBlock> {
    const outcome = onBlock(this.p, peerId, span);
    if (!outcome.accepted) return outcome;
    const blocks = this.copy.get(span.piece) ?? [];
    blocks[span.offset / BLOCK] = what;
    this.copy.set(span.piece, blocks);
    if (outcome.pieceComplete) this.settle(span.piece);
    return outcome;
  }

  private settle(piece: number): void {
    const digests = this.copy.get(piece)!;
    this.copy.delete(piece);
    if (digests.every((d) => d === 'good')) {
      if (needsBlockDigests(this.p, piece)) this.note(onGoodCopy(this.p, piece, digests));
      onPieceVerified(this.p, piece);
    } else {
      this.note(onPieceFailed(this.p, piece, digests));
    }
  }

  private note(failure: PieceFailure): void {
    this.struck.push(...failure.struck);
  }

  /** Asks `peerId` for what the picker wants and has it answer every request with `what`. */
  serve(peerId: string, now: number, what: Block): BlockSpan[] {
    const spans = nextRequests(this.p, peerId, now);
    for (const span of spans) this.receive(peerId, span, what);
    return spans;
  }
}

describe('smart ban: only blocks we asked the sender for are taken', () => {
  it('smart ban: a peer with nothing that sends garbage into the pieces the seeder serves is refused; the seeder is never struck', () => {
    const p = makePicker(8, 4, { maxRequestsPerPeer: 8 });
    const engine = new Engine(p);
    announce(p, 'seeder', range(0, 8));
    announce(p, 'attacker', []); // "I have nothing"
    for (let round = 0; !isDone(p); round++) {
      const asked = nextRequests(p, 'seeder', round);
      // The attacker learns which pieces we started (our 'fetching' hints) and fills every block of them first.
      for (const piece of piecesOf(asked)) {
        for (const span of blockSpansOf(p, piece)) {
          expect(engine.receive('attacker', span, 'bad')).toEqual({ accepted: false, reason: 'unrequested' });
        }
      }
      for (const span of asked) expect(engine.receive('seeder', span, 'good')).toMatchObject({ accepted: true });
      expect(round).toBeLessThan(10);
    }
    expect(engine.struck).toEqual([]);
    expect(isBanned(p, 'seeder')).toBe(false);
    expect(p.sources.every((s) => s === 'seeder')).toBe(true);
  });

  it('smart ban: a peer that announces the piece it claims to fetch still cannot write into it', () => {
    const p = makePicker(2, 2, { maxRequestsPerPeer: 4 });
    announce(p, 'seeder', [0, 1]);
    onPeerFetching(p, 'attacker', 0);
    const [span] = nextRequests(p, 'seeder', 0);
    expect(onBlock(p, 'attacker', span!)).toEqual({ accepted: false, reason: 'unrequested' });
    expect(p.active.get(span!.piece)!.receivedCount).toBe(0);
  });

  it('smart ban: a block whose request timed out is still taken from that peer, and the reassigned request is cancelled', () => {
    const p = makePicker(1, 1, { requestTimeoutMs: 100 });
    announce(p, 'slow', [0]);
    announce(p, 'other', [0]);
    const [span] = nextRequests(p, 'slow', 0);
    const { reassigned } = expire(p, 100);
    expect(reassigned).toEqual([{ peerId: 'other', span }]);
    expect(onBlock(p, 'slow', span!)).toEqual({ accepted: true, pieceComplete: true, cancels: [{ peerId: 'other', span }] });
    expect(onBlock(p, 'other', span!)).toEqual({ accepted: false, reason: 'duplicate' }); // cancelled: late, not charged
  });

  it('smart ban: the grace after a cancel is bounded: past the last cancels remembered, a late block is unrequested', () => {
    const pieces = MAX_CANCELLED_REQUESTS_REMEMBERED + 1;
    const p = makePicker(pieces, 1, { requestTimeoutMs: 100, maxRequestsPerPeer: pieces, maxInFlightBytesPerPeer: pieces * BLOCK });
    announce(p, 'slow', range(0, pieces));
    const asked = nextRequests(p, 'slow', 0);
    expect(asked).toHaveLength(pieces);
    expect(expire(p, 100).cancels).toHaveLength(pieces);
    expect(onBlock(p, 'slow', asked[0]!)).toEqual({ accepted: false, reason: 'unrequested' }); // forgotten: the oldest
    expect(onBlock(p, 'slow', asked[1]!)).toEqual({ accepted: false, reason: 'duplicate' }); // late: dropped, not charged
  });
});

describe('smart ban: a failed piece several peers sent', () => {
  /** Pieces of 4 blocks held by an honest seeder and a liar; each is asked for 2 blocks, so every piece is mixed. */
  function mixedSwarm(pieceCount: number) {
    const p = makePicker(pieceCount, 4, { maxRequestsPerPeer: 2 });
    announce(p, 'seeder', range(0, pieceCount));
    announce(p, 'liar', range(0, pieceCount));
    return { p, engine: new Engine(p) };
  }

  it('smart ban: strikes nobody at first, refetches the piece whole from one peer, then strikes only the liar', () => {
    const { p, engine } = mixedSwarm(1);
    const toLiar = nextRequests(p, 'liar', 0);
    const toSeeder = nextRequests(p, 'seeder', 0);
    expect(piecesOf([...toLiar, ...toSeeder])).toEqual([piecesOf(toLiar)[0]]); // one piece, two senders
    const piece = toLiar[0]!.piece;
    for (const span of toLiar) engine.receive('liar', span, 'bad');
    for (const span of toSeeder) engine.receive('seeder', span, 'good');
    expect(engine.struck).toEqual([]); // either of them could have lied
    expect(p.active.has(piece)).toBe(false);

    const refetch = nextRequests(p, 'seeder', 1).filter((s) => s.piece === piece);
    expect(refetch).toHaveLength(2); // the seeder's pipeline is 2 blocks: the other 2 wait for it, not for the liar
    expect(nextRequests(p, 'liar', 1).filter((s) => s.piece === piece)).toEqual([]);
    for (const span of refetch) engine.receive('seeder', span, 'good');
    for (const span of nextRequests(p, 'seeder', 2).filter((s) => s.piece === piece)) engine.receive('seeder', span, 'good');
    expect(p.sources[piece]).toBe('seeder');
    expect(engine.struck).toEqual(['liar']);
  });

  it(`smart ban: a liar mixing bad blocks into ${MAX_HASH_STRIKES} pieces is banned; the honest co-sender never is struck`, () => {
    const { p, engine } = mixedSwarm(6);
    for (let t = 0; !isDone(p) && t < 200; t++) {
      if (!isBanned(p, 'liar')) engine.serve('liar', t, 'bad');
      engine.serve('seeder', t, 'good');
    }
    expect(isDone(p)).toBe(true);
    expect(isBanned(p, 'liar')).toBe(true);
    expect(new Set(engine.struck)).toEqual(new Set(['liar']));
    expect(engine.struck.length).toBeGreaterThanOrEqual(MAX_HASH_STRIKES); // copies that failed before the ban convict it too
    expect(isBanned(p, 'seeder')).toBe(false);
  });

  it('smart ban: when the liar wins the refetch and lies again, the copy is its alone: its strike', () => {
    const { p, engine } = mixedSwarm(1);
    const toLiar = nextRequests(p, 'liar', 0);
    const toSeeder = nextRequests(p, 'seeder', 0);
    const piece = toLiar[0]!.piece;
    for (const span of toLiar) engine.receive('liar', span, 'bad');
    for (const span of toSeeder) engine.receive('seeder', span, 'good');
    for (let t = 1; engine.struck.length === 0 && t < 10; t++) {
      for (const span of nextRequests(p, 'liar', t).filter((s) => s.piece === piece)) engine.receive('liar', span, 'bad');
    }
    expect(engine.struck).toEqual(['liar']);
    expect(nextRequests(p, 'seeder', 5).some((s) => s.piece === piece)).toBe(true); // fetched again, from one peer
  });

  it('smart ban: an exclusive copy whose owner stalls is thrown away and fetched whole from another peer', () => {
    const p = makePicker(1, 2, { maxRequestsPerPeer: 1, requestTimeoutMs: 100 });
    const engine = new Engine(p);
    announce(p, 'A', [0]);
    announce(p, 'B', [0]);
    engine.receive('A', nextRequests(p, 'A', 0)[0]!, 'bad');
    engine.receive('B', nextRequests(p, 'B', 0)[0]!, 'good');
    expect(engine.struck).toEqual([]);
    const [first] = nextRequests(p, 'A', 1); // A owns the refetch, then goes silent
    expect(nextRequests(p, 'B', 1)).toEqual([]);
    const { cancels, reassigned } = expire(p, 101);
    expect(cancels).toEqual([{ peerId: 'A', span: first }]);
    expect(reassigned).toEqual([]);
    expect(p.active.has(0)).toBe(false);
    for (let t = 200; !isDone(p); t++) engine.serve('B', t, 'good');
    expect(engine.struck).toEqual(['A']);
  });
});

describe('smart ban: any interleaving of honest and lying senders', () => {
  // Peers 0-2 may lie on any block they send; peer 3 never lies and holds every piece. Whatever happens, a
  // peer that never sent a bad block is never struck, and the file completes from whoever is left.
  const eventArb = fc.array(fc.record({
    peer: fc.nat(3), pick: fc.nat(8), lie: fc.boolean(), tick: fc.nat(150),
  }), { maxLength: 120 });

  it('smart ban: an honest peer is never struck, a liar only for its own blocks, and the file always completes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.nat(), eventArb, (pieces, blocks, seed, events) => {
      const p = makePicker(pieces, blocks, { maxRequestsPerPeer: 3, requestTimeoutMs: 100, rng: seededRng(seed) });
      const engine = new Engine(p);
      const liedOnce = new Set<string>();
      for (let peer = 0; peer < 4; peer++) announce(p, `peer${peer}`, peer === 3 ? range(0, pieces) : range(0, pieces).filter((i) => (i + peer) % 2 === 0));
      let now = 0;
      for (const e of events) {
        const peerId = `peer${e.peer}`;
        nextRequests(p, peerId, now);
        const outstanding = [...(p.peers.get(peerId)?.requests.values() ?? [])];
        const span = outstanding[e.pick % Math.max(1, outstanding.length)]?.span;
        const lie = e.lie && e.peer !== 3;
        if (span && engine.receive(peerId, span, lie ? 'bad' : 'good').accepted && lie) liedOnce.add(peerId);
        now += e.tick;
        expire(p, now);
      }
      for (let t = now + 1; !isDone(p) && t < now + 1000; t++) { // now everyone answers everything, truthfully
        for (let peer = 0; peer < 4; peer++) {
          nextRequests(p, `peer${peer}`, t);
          for (const r of [...(p.peers.get(`peer${peer}`)?.requests.values() ?? [])]) engine.receive(`peer${peer}`, r.span, 'good');
        }
      }
      expect(isDone(p)).toBe(true);
      for (const peerId of engine.struck) expect(liedOnce).toContain(peerId);
      expect(isBanned(p, 'peer3')).toBe(false);
    }), { numRuns: 300 });
  });
});
