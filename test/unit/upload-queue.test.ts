import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/manifest.ts';
import { onBlock, onPeerBitfield, nextRequests, onPieceFailed } from '../../shared/piece-picker.ts';
import { addAnnouncement, createRoutingTable, setPeerSwarms, type RoutingTable } from '../../shared/routing-table.ts';
import {
  cancelRequest, createUploadQueue, enqueueRequest, nextToServe, queuedCount, removePeer, removeRoute,
  type UploadQueue, type UploadRequest,
} from '../../shared/upload-queue.ts';
import { BLOCK, bitsOf, range, seededRng } from './picker-fixtures.ts';

const SWARM = '11'.repeat(16);
const OTHER_SWARM = '22'.repeat(16);
const FILE = 'f1'.repeat(32);
const PIECE = 4 * BLOCK;
const [A, B, C, OUTSIDER] = ['aa', 'bb', 'cc', 'dd'].map((h) => h.repeat(16)) as [string, string, string, string];

function manifest(pieces: number): Manifest {
  return { name: 'f', size: pieces * PIECE, mimeType: 'text/plain', pieceLength: PIECE, pieceHashes: range(0, pieces).map(() => '0'.repeat(64)) };
}

/** We hold pieces 0-3 of an 8-piece file in SWARM; A, B and C share SWARM with us, OUTSIDER only OTHER_SWARM. */
function setup(maxQueuedPerPeer = 4): { table: RoutingTable; q: UploadQueue } {
  const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(5) });
  addAnnouncement(table, { swarmId: SWARM, fileId: FILE, manifest: manifest(8) }, [0, 1, 2, 3]);
  addAnnouncement(table, { swarmId: OTHER_SWARM, fileId: FILE, manifest: manifest(8) }, 'all');
  for (const peer of [A, B, C]) setPeerSwarms(table, peer, [SWARM]);
  setPeerSwarms(table, OUTSIDER, [OTHER_SWARM]);
  return { table, q: createUploadQueue({ maxQueuedPerPeer }) };
}

const req = (piece: number, block = 0, swarmId = SWARM): UploadRequest =>
  ({ swarmId, fileId: FILE, piece, offset: block * BLOCK, length: BLOCK });

function serveAll(q: UploadQueue): string[] {
  const order: string[] = [];
  for (let next = nextToServe(q); next; next = nextToServe(q)) order.push(`${next.peerId.slice(0, 2)}${next.request.piece}.${next.request.offset / BLOCK}`);
  return order;
}

describe('upload queue', () => {
  it('upload queue: a dropped route loses its queued requests, from one peer or from all, and nothing else', () => {
    const { table, q } = setup();
    for (const peer of [A, B]) for (const piece of [0, 1]) expect(enqueueRequest(q, table, peer, req(piece)).ok).toBe(true);
    expect(enqueueRequest(q, table, OUTSIDER, req(5, 0, OTHER_SWARM)).ok).toBe(true);
    expect(removeRoute(q, { swarmId: SWARM, fileId: FILE }, A)).toBe(2);
    expect([queuedCount(q, A), queuedCount(q, B), queuedCount(q, OUTSIDER)]).toEqual([0, 2, 1]);
    expect(removeRoute(q, { swarmId: SWARM, fileId: FILE })).toBe(2);
    expect(serveAll(q)).toEqual(['dd5.0']);
  });

  it('upload queue: a flood from one peer cannot starve the others (round-robin across peers)', () => {
    const { table, q } = setup(8);
    for (let i = 0; i < 8; i++) enqueueRequest(q, table, A, req(i % 4, i >> 2));
    enqueueRequest(q, table, B, req(0));
    enqueueRequest(q, table, C, req(1));
    enqueueRequest(q, table, B, req(2));
    expect(serveAll(q)).toEqual(['aa0.0', 'bb0.0', 'cc1.0', 'aa1.0', 'bb2.0', 'aa2.0', 'aa3.0', 'aa0.1', 'aa1.1', 'aa2.1', 'aa3.1']);
  });

  it('upload queue: requests beyond the per-peer cap are rejected queue-full, other peers unaffected', () => {
    const { table, q } = setup(2);
    const results = range(0, 4).map((piece) => enqueueRequest(q, table, A, req(piece)));
    expect(results.map((r) => (r.ok ? 'ok' : r.error))).toEqual(['ok', 'ok', 'queue-full', 'queue-full']);
    expect(enqueueRequest(q, table, B, req(0)).ok).toBe(true);
    nextToServe(q);
    expect(enqueueRequest(q, table, A, req(3)).ok).toBe(true);
  });

  it.each([
    { what: 'a swarm the asker does not share', peer: OUTSIDER, request: req(0), reason: 'unknown-route' },
    { what: 'a swarm we never joined', peer: A, request: req(0, 0, '33'.repeat(16)), reason: 'unknown-route' },
    { what: 'a piece we do not have', peer: A, request: req(5), reason: 'not-had' },
    { what: 'a piece past the end', peer: A, request: req(8), reason: 'bad-span' },
    { what: 'a span past the piece', peer: A, request: { ...req(0), offset: PIECE - 1 }, reason: 'bad-span' },
    { what: 'an empty span', peer: A, request: { ...req(0), length: 0 }, reason: 'bad-span' },
  ])('upload queue: rejects $what ($reason)', ({ peer, request, reason }) => {
    const { table, q } = setup();
    expect(enqueueRequest(q, table, peer, request)).toEqual({ ok: false, error: reason });
    expect(q.queues.size).toBe(0);
  });

  it('upload queue: a peer banned on a route is refused there', () => {
    const { table, q } = setup();
    const entry = addAnnouncement(table, { swarmId: SWARM, fileId: FILE, manifest: manifest(8) });
    onPeerBitfield(entry.picker, C, bitsOf(8, range(4, 8)));
    for (let strike = 0; strike < 3; strike++) {
      const [span] = nextRequests(entry.picker, C, strike).filter((s) => s.offset === 0);
      for (let block = 0; block < 4; block++) onBlock(entry.picker, C, { piece: span!.piece, offset: block * BLOCK, length: BLOCK });
      onPieceFailed(entry.picker, span!.piece, ['0', '1', '2', '3']); // C sent every block: its strike
    }
    expect(enqueueRequest(q, table, C, req(0))).toEqual({ ok: false, error: 'banned' });
  });

  it('upload queue: cancel removes a queued request; removePeer drops all of them', () => {
    const { table, q } = setup();
    enqueueRequest(q, table, A, req(0));
    enqueueRequest(q, table, A, req(1));
    enqueueRequest(q, table, B, req(2));
    expect(cancelRequest(q, A, req(0))).toBe(true);
    expect(cancelRequest(q, A, req(0))).toBe(false);
    expect(removePeer(q, B)).toBe(1);
    expect(serveAll(q)).toEqual(['aa1.0']);
  });

  it('upload queue: the same request twice is queued once and served once', () => {
    const { table, q } = setup();
    enqueueRequest(q, table, A, req(0));
    expect(enqueueRequest(q, table, A, req(0)).ok).toBe(true);
    expect(queuedCount(q, A)).toBe(1);
    expect(serveAll(q)).toEqual(['aa0.0']);
  });

  it('upload queue: the same span on two routes of one connection is two requests, each served with its route', () => {
    const { table, q } = setup();
    setPeerSwarms(table, A, [SWARM, OTHER_SWARM]);
    enqueueRequest(q, table, A, req(5, 0, OTHER_SWARM));
    expect(enqueueRequest(q, table, A, req(5))).toEqual({ ok: false, error: 'not-had' });
    enqueueRequest(q, table, A, req(0, 0, OTHER_SWARM));
    enqueueRequest(q, table, A, req(0));
    expect(cancelRequest(q, A, req(0))).toBe(true);
    expect([nextToServe(q)?.request, nextToServe(q)?.request, nextToServe(q)]).toEqual([req(5, 0, OTHER_SWARM), req(0, 0, OTHER_SWARM), null]);
  });
});
