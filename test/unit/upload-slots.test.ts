import { describe, expect, it } from 'vitest';
import { addAnnouncement, createRoutingTable, setPeerSwarms, type RoutingTable } from '../../shared/routing-table.ts';
import {
  cancelRequest, createUploadQueue, enqueueRequest, nextReadyToServe, removePeer, type UploadQueue, type UploadRequest,
} from '../../shared/upload-queue.ts';
import { createUploadSlots, forgetSlotPeer, holdsSlot, settleSlots, type SlotSignal, type UploadSlots } from '../../shared/upload-slots.ts';
import { BLOCK, range, seededRng } from './picker-fixtures.ts';

// Upload slots: a few peers at a time, a whole piece each, then the next in line; the others are told they wait.

const SWARM = '11'.repeat(16);
const FILE = 'f1'.repeat(32);
const PIECE = 2 * BLOCK;
const PEERS = range(0, 7).map((i) => `${i + 1}${i + 1}`.repeat(16));

function setup(maxSlots = 2): { table: RoutingTable; q: UploadQueue; s: UploadSlots } {
  const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
  const manifest = { name: 'f', size: 8 * PIECE, mimeType: 'text/plain', pieceLength: PIECE, pieceHashes: range(0, 8).map(() => '0'.repeat(64)) };
  addAnnouncement(table, { swarmId: SWARM, fileId: FILE, manifest }, 'all');
  for (const p of PEERS) setPeerSwarms(table, p, [SWARM]);
  return { table, q: createUploadQueue(), s: createUploadSlots({ maxSlots, maxHoldMs: 10_000 }) };
}

const req = (piece: number, block: number): UploadRequest => ({ swarmId: SWARM, fileId: FILE, piece, offset: block * BLOCK, length: BLOCK });
const short = (peerId: string) => peerId.slice(0, 2);
const said = (signals: SlotSignal[]) => signals.map((x) => `${short(x.peerId)}:${x.granted ? 'go' : 'wait'}`);

/** Each peer asks for two whole pieces (its window), then everything is served; returns who got which block, in order. */
function serveEverything(f: ReturnType<typeof setup>, peers: string[], signals: SlotSignal[] = []): string[] {
  for (const [i, p] of peers.entries()) for (const piece of [i, i + 1]) for (const b of [0, 1]) enqueueRequest(f.q, f.table, p, req(piece, b));
  const order: string[] = [];
  for (let now = 0; ; now++) {
    signals.push(...settleSlots(f.s, f.q, now));
    const next = nextReadyToServe(f.q, (p) => holdsSlot(f.s, p));
    if (!next) return order;
    order.push(`${short(next.peerId)}/${next.request.piece}.${next.request.offset / BLOCK}`);
  }
}

describe('upload slots', () => {
  it('upload slots: at most maxSlots peers are fed at once, each a whole piece, and every waiting peer is served before anyone gets a second piece', () => {
    const f = setup(2);
    const order = serveEverything(f, PEERS.slice(0, 4));
    expect(order).toHaveLength(16);
    // two slots interleave block by block; a slot moves on as soon as its holder's piece is out
    expect(order.slice(0, 5)).toEqual(['11/0.0', '22/1.0', '11/0.1', '33/2.0', '22/1.1']);
    const open = new Map<string, number>(); // peers with a piece started and not finished
    for (const o of order) {
      const [peer, piece] = [o.slice(0, 2), Number(o.slice(3, 4))];
      if (open.has(peer)) expect(open.get(peer)).toBe(piece);
      if (o.endsWith('.0')) open.set(peer, piece);
      else open.delete(peer);
      expect(open.size).toBeLessThanOrEqual(2);
    }
    // every peer's first piece starts before anyone's second
    const starts = order.filter((o) => o.endsWith('.0')).map((o) => o.slice(0, 2));
    expect(new Set(starts.slice(0, 4)).size).toBe(4);
  });

  it('upload slots: a peer without a slot is told once that it waits, then that it is served', () => {
    const f = setup(1);
    const signals: SlotSignal[] = [];
    serveEverything(f, PEERS.slice(0, 3), signals);
    expect(said(signals)).toEqual(['22:wait', '33:wait', '22:go', '11:wait', '33:go', '22:wait', '11:go', '33:wait', '22:go', '33:go']);
    expect(signals.every((x) => x.route.swarmId === SWARM && x.route.fileId === FILE)).toBe(true);
  });

  const cases: [string, (f: ReturnType<typeof setup>) => void][] = [
    ['cancels every block of its piece', (f) => [0, 1].forEach((b) => cancelRequest(f.q, PEERS[0]!, req(0, b)))],
    ['leaves (link closed)', (f) => { removePeer(f.q, PEERS[0]!); forgetSlotPeer(f.s, PEERS[0]!); }],
    ['holds it past maxHoldMs', () => undefined],
  ];
  it.each(cases)('upload slots: the slot passes to the next in line when its holder %s', (name, act) => {
    const f = setup(1);
    for (const p of PEERS.slice(0, 2)) enqueueRequest(f.q, f.table, p, req(0, 0)) && enqueueRequest(f.q, f.table, p, req(0, 1));
    settleSlots(f.s, f.q, 0);
    expect(holdsSlot(f.s, PEERS[0]!)).toBe(true);
    act(f);
    const signals = settleSlots(f.s, f.q, name.includes('past') ? 10_000 : 1);
    expect(holdsSlot(f.s, PEERS[0]!)).toBe(false);
    expect(holdsSlot(f.s, PEERS[1]!)).toBe(true);
    expect(said(signals)).toContain('22:go');
  });

  it('upload slots: with no more requesters than slots nobody is ever told to wait', () => {
    const f = setup(4);
    const signals: SlotSignal[] = [];
    expect(serveEverything(f, PEERS.slice(0, 4), signals)).toHaveLength(16);
    expect(signals).toEqual([]);
  });

  it('upload slots: bad options are programming faults', () => {
    expect(() => createUploadSlots({ maxSlots: 0 })).toThrow(RangeError);
    expect(() => createUploadSlots({ maxHoldMs: 0 })).toThrow(RangeError);
  });
});
