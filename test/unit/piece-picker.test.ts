import { describe, expect, it } from 'vitest';
import {
  expire, inFlightOf, isBanned, isDone, nextRequests, onBlock, onPeerFetching, onPeerGone, onPeerHave, onPieceFailed,
  onRequestRejected,
} from '../../shared/piece-picker.ts';
import { announce, BLOCK, deliver, makePicker, piecesOf, range, seededRng } from './picker-fixtures.ts';

describe('piece picker: choosing pieces', () => {
  // Pieces 0-1 are held by A, B and C; 2-3 by A and B; 4-5 by A alone. Two requests per peer.
  it.each([
    { peer: 'A', expected: [4, 5] },
    { peer: 'B', expected: [2, 3] },
    { peer: 'C', expected: [0, 1] },
  ])('piece picker: peer $peer is asked for the rarest pieces it has first', ({ peer, expected }) => {
    const p = makePicker(6, 1, { maxRequestsPerPeer: 2 });
    announce(p, 'A', range(0, 6));
    announce(p, 'B', range(0, 4));
    announce(p, 'C', range(0, 2));
    expect(piecesOf(nextRequests(p, peer, 0))).toEqual(expected);
  });

  it('piece picker: a have makes a piece less rare and changes the order', () => {
    const p = makePicker(3, 1, { maxRequestsPerPeer: 1 });
    announce(p, 'A', [0, 1, 2]);
    announce(p, 'B', [0, 1]);
    expect(onPeerHave(p, 'C', 1).ok).toBe(true);
    expect(onPeerHave(p, 'C', 3)).toEqual({ ok: false, error: 'bad-piece' });
    expect(piecesOf(nextRequests(p, 'A', 0))).toEqual([2]);
    expect(piecesOf(nextRequests(p, 'B', 0))).toEqual([0]);
  });

  it('piece picker: among equally rare pieces, those other peers said they are fetching come last', () => {
    const p = makePicker(4, 1, { maxRequestsPerPeer: 1 });
    announce(p, 'A', range(0, 4)); // the seeder
    for (const piece of [0, 1, 3]) expect(onPeerFetching(p, 'B', piece).ok).toBe(true);
    expect(onPeerFetching(p, 'B', 4)).toEqual({ ok: false, error: 'bad-piece' });
    expect(piecesOf(nextRequests(p, 'A', 0))).toEqual([2]);
    expect(p.started).toEqual([2]); // the engine tells the route's peers it started on piece 2
    onPeerHave(p, 'B', 0); // B finished 0: now more available, no longer "being fetched"
    expect(p.othersFetching[0]).toBe(0);
    onPeerGone(p, 'B'); // and whatever else it was fetching no longer counts
    expect([...p.othersFetching]).toEqual([0, 0, 0, 0]);
  });

  it('piece picker: ties are broken by the injected rng, reproducibly', () => {
    const orderWith = (seed: number): number[] => {
      const p = makePicker(32, 1, { maxRequestsPerPeer: 32, rng: seededRng(seed) });
      announce(p, 'A', range(0, 32));
      return nextRequests(p, 'A', 0).map((s) => s.piece);
    };
    expect(orderWith(7)).toEqual(orderWith(7));
    expect(orderWith(7)).not.toEqual(orderWith(8));
    expect([...orderWith(7)].sort((a, b) => a - b)).toEqual(range(0, 32));
  });

  it('piece picker: a partially fetched piece is finished before a rarer one is started', () => {
    const p = makePicker(3, 4, { maxRequestsPerPeer: 2 });
    announce(p, 'A', [0, 1, 2]);
    announce(p, 'B', [0, 1, 2]);
    announce(p, 'C', [1]);
    const first = nextRequests(p, 'A', 0);
    expect(first.map((s) => [s.piece, s.offset])).toEqual([[first[0]!.piece, 0], [first[0]!.piece, BLOCK]]);
    const second = nextRequests(p, 'B', 0);
    expect(second.map((s) => [s.piece, s.offset])).toEqual([[first[0]!.piece, 2 * BLOCK], [first[0]!.piece, 3 * BLOCK]]);
  });

  it('piece picker: the pipeline holds at most maxInFlightBytesPerPeer and refills as blocks arrive', () => {
    const p = makePicker(4, 4, { maxInFlightBytesPerPeer: 3 * BLOCK, maxRequestsPerPeer: 100 });
    announce(p, 'A', range(0, 4));
    const sent = nextRequests(p, 'A', 0);
    expect(sent).toHaveLength(3);
    expect(nextRequests(p, 'A', 1)).toEqual([]);
    deliver(p, 'A', sent[0]!);
    expect(nextRequests(p, 'A', 2)).toHaveLength(1);
    expect(inFlightOf(p, 'A')).toEqual({ requests: 3, bytes: 3 * BLOCK });
  });

  it('piece picker: asks nothing of a peer it knows nothing about, or when it has everything', () => {
    const p = makePicker(2, 1);
    expect(nextRequests(p, 'stranger', 0)).toEqual([]);
    announce(p, 'A', [0, 1]);
    for (const span of nextRequests(p, 'A', 0)) deliver(p, 'A', span);
    expect(isDone(p)).toBe(true);
    expect(nextRequests(p, 'A', 1)).toEqual([]);
  });
});

describe('piece picker: peers that stall, leave or refuse', () => {
  it('piece picker: a silent peer has its requests cancelled and reassigned after the timeout', () => {
    const p = makePicker(4, 2, { requestTimeoutMs: 1000, maxRequestsPerPeer: 4 });
    announce(p, 'A', range(0, 4));
    const toA = nextRequests(p, 'A', 0);
    expect(toA).toHaveLength(4);
    announce(p, 'B', range(0, 4));
    expect(expire(p, 999)).toEqual({ cancels: [], reassigned: [] });
    const { cancels, reassigned } = expire(p, 1000);
    expect(cancels).toEqual(toA.map((span) => ({ peerId: 'A', span })));
    expect(reassigned).toEqual(toA.map((span) => ({ peerId: 'B', span })));
    const retryA = nextRequests(p, 'A', 1001);
    expect(retryA).toHaveLength(1);
    expect(piecesOf(toA)).not.toContain(retryA[0]!.piece);
    for (const { span } of reassigned) deliver(p, 'B', span);
    expect(piecesOf(toA).every((piece) => p.sources[piece] === 'B')).toBe(true);
  });

  it('piece picker: a stalled peer gets one request at a time until it delivers', () => {
    const p = makePicker(8, 1, { requestTimeoutMs: 10 });
    announce(p, 'A', range(0, 8));
    nextRequests(p, 'A', 0);
    expect(expire(p, 10).reassigned).toEqual([]);
    const retry = nextRequests(p, 'A', 11);
    expect(retry).toHaveLength(1);
    deliver(p, 'A', retry[0]!);
    expect(nextRequests(p, 'A', 12)).toHaveLength(7);
  });

  it('piece picker: a peer that disconnects releases its requests to the others', () => {
    const p = makePicker(2, 2);
    announce(p, 'A', [0, 1]);
    announce(p, 'B', [0, 1]);
    const toA = nextRequests(p, 'A', 0);
    expect(nextRequests(p, 'B', 0)).toHaveLength(toA.length);
    expect(onPeerGone(p, 'A')).toEqual(toA);
    expect(inFlightOf(p, 'A')).toEqual({ requests: 0, bytes: 0 });
    expect(p.availability[0]).toBe(1);
  });

  it('piece picker: a not-had reject stops asking that peer for the piece', () => {
    const p = makePicker(2, 1, { maxRequestsPerPeer: 1 });
    announce(p, 'A', [0, 1]);
    const [span] = nextRequests(p, 'A', 0);
    onRequestRejected(p, 'A', span!, 'not-had');
    const next = nextRequests(p, 'A', 1);
    expect(piecesOf(next)).toEqual([1 - span!.piece]);
  });
});

describe('piece picker: endgame', () => {
  it('piece picker: no duplicate request while some block is still unrequested', () => {
    const p = makePicker(2, 2, { maxRequestsPerPeer: 2 });
    announce(p, 'A', [0, 1]);
    announce(p, 'B', [0, 1]);
    const toA = nextRequests(p, 'A', 0);
    const toB = nextRequests(p, 'B', 0);
    expect(piecesOf(toA)).not.toEqual(piecesOf(toB));
  });

  it('piece picker: in endgame the last blocks are requested twice and the duplicate is cancelled', () => {
    const p = makePicker(1, 2);
    announce(p, 'A', [0]);
    announce(p, 'B', [0]);
    const toA = nextRequests(p, 'A', 0);
    const toB = nextRequests(p, 'B', 0);
    expect(toB).toEqual(toA);
    const first = onBlock(p, 'B', toA[0]!);
    expect(first).toEqual({ accepted: true, pieceComplete: false, cancels: [{ peerId: 'A', span: toA[0] }] });
    expect(onBlock(p, 'A', toA[0]!)).toEqual({ accepted: false, reason: 'duplicate' });
    const last = onBlock(p, 'A', toA[1]!);
    expect(last).toEqual({ accepted: true, pieceComplete: true, cancels: [{ peerId: 'B', span: toA[1] }] });
    expect(inFlightOf(p, 'A').requests + inFlightOf(p, 'B').requests).toBe(0);
  });
});

describe('piece picker: blocks that do not fit', () => {
  it.each([
    { span: { piece: 0, offset: 1, length: BLOCK }, reason: 'bad-span' },
    { span: { piece: 0, offset: 0, length: BLOCK - 1 }, reason: 'bad-span' },
    { span: { piece: 0, offset: 2 * BLOCK, length: BLOCK }, reason: 'bad-span' },
    { span: { piece: 9, offset: 0, length: BLOCK }, reason: 'bad-span' },
    { span: { piece: 1, offset: 0, length: BLOCK }, reason: 'unrequested' },
  ])('piece picker: refuses $span ($reason)', ({ span, reason }) => {
    const p = makePicker(2, 2, { maxRequestsPerPeer: 2 });
    announce(p, 'A', [0]);
    nextRequests(p, 'A', 0);
    expect(onBlock(p, 'A', span)).toEqual({ accepted: false, reason });
  });

  it('piece picker: the last block of the last piece is shorter, and only its true length is accepted', () => {
    const p = makePicker(2, 2, {}, 3 * BLOCK + 5);
    announce(p, 'A', [0, 1]);
    const last = nextRequests(p, 'A', 0).find((s) => s.piece === 1 && s.offset === BLOCK);
    expect(last).toEqual({ piece: 1, offset: BLOCK, length: 5 });
    expect(onBlock(p, 'A', { piece: 1, offset: BLOCK, length: BLOCK })).toEqual({ accepted: false, reason: 'bad-span' });
  });
});

describe('piece picker: corrupt pieces', () => {
  it('piece picker: a corrupt piece is refetched from another peer, and its sender is banned after 3 strikes', () => {
    const p = makePicker(4, 1, { maxRequestsPerPeer: 1 });
    announce(p, 'bad', range(0, 4));
    announce(p, 'good', range(0, 4));
    const failed: number[] = [];
    for (let strike = 1; strike <= 3; strike++) {
      const [span] = nextRequests(p, 'bad', strike);
      expect(failed).not.toContain(span!.piece);
      expect(onBlock(p, 'bad', span!)).toMatchObject({ accepted: true, pieceComplete: true });
      const failure = onPieceFailed(p, span!.piece, ['digest of its one block']);
      failed.push(span!.piece);
      expect(failure.struck).toEqual(['bad']);
      expect(failure.banned).toEqual(strike === 3 ? ['bad'] : []);
    }
    expect(isBanned(p, 'bad')).toBe(true);
    expect(nextRequests(p, 'bad', 9)).toEqual([]);
    expect(onBlock(p, 'bad', { piece: 0, offset: 0, length: BLOCK })).toEqual({ accepted: false, reason: 'banned' });
    for (let t = 10; !isDone(p); t++) for (const span of nextRequests(p, 'good', t)) deliver(p, 'good', span);
    expect(p.sources).toEqual(['good', 'good', 'good', 'good']);
  });

  it('piece picker: a suspect peer is asked again when nobody else has the piece', () => {
    const p = makePicker(1, 1);
    announce(p, 'only', [0]);
    onBlock(p, 'only', nextRequests(p, 'only', 0)[0]!);
    onPieceFailed(p, 0, ['bad']);
    expect(piecesOf(nextRequests(p, 'only', 1))).toEqual([0]);
  });
});
