import { describe, expect, it } from 'vitest';
import { createLinkLoad, FULL_SHARE, isLinkFull, LINK_WINDOW_MS, onLinkSent, parseLinkRate } from '../../shared/link-load.ts';
import {
  expire, nextRequests, onBlock, onPeerGone, onPeerHave, onPeerSlot, onPieceFailed, onRequestRejected, setPreferredSource,
} from '../../shared/piece-picker.ts';
import { createUploadQueue, enqueueRequest, type UploadRequest } from '../../shared/upload-queue.ts';
import { PREFERRED_BUSY_MS } from '../../shared/limits.ts';
import { createUploadSlots, settleSlots } from '../../shared/upload-slots.ts';
import { addAnnouncement, createRoutingTable, setPeerSwarms } from '../../shared/routing-table.ts';
import { createMateBook } from '../../peer/links/link-mates.ts';
import { announce, BLOCK, deliver, makePicker, piecesOf, range, seededRng } from './picker-fixtures.ts';

// Teacher first: a student asks the file's origin (the teacher) first and another student only for what the teacher
// will not serve now (lacks, refused, makes it wait for a slot, stalled, gone); the teacher refuses only while its
// own link is full (shared/link-load.ts), so on a shared Wi-Fi channel it sends everything, as plain HTTP would.

const [TEACHER, MATE, OTHER] = ['aa', 'bb', 'cc'].map((h) => h.repeat(16)) as [string, string, string];
const TIMEOUT = 1000;
const picker = () => {
  const p = makePicker(8, 2, { requestTimeoutMs: TIMEOUT, slotWaitTimeoutMs: 60_000, maxRequestsPerPeer: 4, maxInFlightBytesPerPeer: 4 * BLOCK });
  setPreferredSource(p, TEACHER);
  return p;
};
/** The teacher has these pieces and said, unasked, that it serves us (its link has room). */
function teacherServes(p: ReturnType<typeof picker>, pieces: number[], now = 0): void {
  announce(p, TEACHER, pieces);
  onPeerSlot(p, TEACHER, true, now);
}

describe('piece picker: the preferred source (teacher first)', () => {
  it('teacher first: while the teacher serves, a student holding the same pieces is not asked', () => {
    const p = picker();
    teacherServes(p, range(0, 8));
    announce(p, MATE, range(0, 8));
    expect(nextRequests(p, MATE, 0)).toEqual([]);
    expect(nextRequests(p, TEACHER, 0)).toHaveLength(4);
    expect(nextRequests(p, MATE, 0)).toEqual([]); // the teacher's window is full: still not the mate
  });

  it('teacher first: without a preferred source every peer is asked alike (the policy before it)', () => {
    const p = picker();
    setPreferredSource(p, null);
    teacherServes(p, range(0, 8));
    announce(p, MATE, range(0, 8));
    expect(nextRequests(p, MATE, 0)).toHaveLength(4);
  });

  it('teacher first: a teacher that never said unasked it serves us (a tab cannot tell its link has room) is one peer among others', () => {
    const p = picker();
    announce(p, TEACHER, range(0, 8));
    announce(p, MATE, range(0, 8));
    expect(nextRequests(p, TEACHER, 0)).toHaveLength(4);
    expect(nextRequests(p, MATE, 0)).toHaveLength(4);
  });

  it('teacher first: a piece the teacher lacks or refused is fetched from a student, and only that piece', () => {
    const p = picker();
    teacherServes(p, range(0, 7)); // not piece 7
    announce(p, MATE, range(0, 8));
    expect(piecesOf(nextRequests(p, MATE, 0))).toEqual([7]);
    const fromTeacher = nextRequests(p, TEACHER, 0);
    const refused = fromTeacher[0]!;
    onRequestRejected(p, TEACHER, refused, 'not-had'); // seed-once: "fetch it from the one I sent it to"
    expect(piecesOf(nextRequests(p, MATE, 0))).toEqual([refused.piece]);
    onPeerHave(p, TEACHER, 5); // offered again: the teacher is first for it again
    expect(nextRequests(p, OTHER, 0)).toEqual([]);
  });

  it('teacher first: a teacher that made us wait for a slot lately (its link is full) lets students be asked', () => {
    const p = picker();
    teacherServes(p, range(0, 8));
    announce(p, MATE, range(0, 8));
    const waiting = nextRequests(p, TEACHER, 0);
    onPeerSlot(p, TEACHER, false, 10);
    const fromMate = nextRequests(p, MATE, 10);
    expect(fromMate).toHaveLength(4);
    expect(piecesOf(fromMate)).not.toContain(waiting[0]!.piece); // not what is queued at the teacher
    onPeerSlot(p, TEACHER, true, 20);
    for (const span of fromMate) deliver(p, MATE, span);
    expect(nextRequests(p, MATE, 30)).toHaveLength(4); // granted, but it was full a moment ago
    for (const span of p.peers.get(MATE)!.requests.values()) deliver(p, MATE, span.span);
    expect(nextRequests(p, MATE, 10 + PREFERRED_BUSY_MS)).toEqual([]); // no wait for PREFERRED_BUSY_MS: teacher first again
  });

  it('teacher first: a stalled or departed teacher lets students be asked', () => {
    const p = picker();
    teacherServes(p, range(0, 8));
    announce(p, MATE, range(0, 8));
    nextRequests(p, TEACHER, 0);
    const { reassigned } = expire(p, TIMEOUT); // the teacher did not answer: stalled
    expect(reassigned.every((r) => r.peerId === MATE)).toBe(true);
    expect(reassigned.length).toBeGreaterThan(0);
    const q = picker();
    teacherServes(q, range(0, 8));
    announce(q, MATE, range(0, 8));
    onPeerGone(q, TEACHER);
    expect(nextRequests(q, MATE, 0)).toHaveLength(4);
  });

  it('teacher first: a piece that failed its hash with the teacher among its senders may come from a student', () => {
    const p = makePicker(2, 1, { maxRequestsPerPeer: 4, maxInFlightBytesPerPeer: 4 * BLOCK });
    setPreferredSource(p, TEACHER);
    teacherServes(p, [0, 1]);
    announce(p, MATE, [0, 1]);
    const [first] = nextRequests(p, TEACHER, 0);
    onBlock(p, TEACHER, first!);
    onPieceFailed(p, first!.piece, ['bad']); // the teacher sent it: a suspect for that piece, asked last
    expect(piecesOf(nextRequests(p, MATE, 1))).toEqual([first!.piece]);
  });

  it('teacher first: in the endgame a student is not asked for duplicates of blocks the teacher serves', () => {
    const p = makePicker(1, 2, { maxRequestsPerPeer: 4, maxInFlightBytesPerPeer: 4 * BLOCK });
    setPreferredSource(p, TEACHER);
    announce(p, TEACHER, [0]);
    onPeerSlot(p, TEACHER, true, 0);
    announce(p, MATE, [0]);
    expect(nextRequests(p, TEACHER, 0)).toHaveLength(2);
    expect(nextRequests(p, MATE, 0)).toEqual([]);
    setPreferredSource(p, null);
    expect(nextRequests(p, MATE, 0)).toHaveLength(2); // without it, the endgame duplicates them
  });
});

describe('link load: is our own link full', () => {
  const CAPACITY = 1000; // bytes per second

  it('link load: an unknown capacity, or too little history, counts as full (the refusals as before)', () => {
    const unknown = createLinkLoad(null);
    expect(isLinkFull(unknown, 5000)).toBe(true);
    const known = createLinkLoad(CAPACITY);
    expect(isLinkFull(known, 0)).toBe(true);
    onLinkSent(known, 10, 0);
    expect(isLinkFull(known, 100)).toBe(true);
  });

  it(`link load: full at ${FULL_SHARE * 100} % of the capacity over the last window, not below, and not once it idles`, () => {
    const full = createLinkLoad(CAPACITY);
    const half = createLinkLoad(CAPACITY);
    for (let t = 0; t < 3000; t += 10) {
      onLinkSent(full, CAPACITY / 100, t); // 100 % of the link
      onLinkSent(half, CAPACITY / 200, t); // 50 %: something else (the air) limits
    }
    expect(isLinkFull(full, 3000)).toBe(true);
    expect(isLinkFull(half, 3000)).toBe(false);
    expect(isLinkFull(full, 3000 + LINK_WINDOW_MS / 2)).toBe(false); // idle half the window
  });
});

describe('upload slots and a link with room', () => {
  const SWARM = '11'.repeat(16);
  const FILE = 'f1'.repeat(32);
  const peers = range(0, 6).map((i) => `${i + 1}${i + 1}`.repeat(16));
  const req = (piece: number): UploadRequest => ({ swarmId: SWARM, fileId: FILE, piece, offset: 0, length: BLOCK });

  it('upload slots: a full link grants its few slots and tells the rest to wait; a link with room grants everyone asking', () => {
    const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
    const manifest = { name: 'f', size: 8 * BLOCK, mimeType: 'text/plain', pieceLength: BLOCK, pieceHashes: range(0, 8).map(() => '0'.repeat(64)) };
    addAnnouncement(table, { swarmId: SWARM, fileId: FILE, manifest }, 'all');
    const q = createUploadQueue();
    for (const [i, p] of peers.entries()) {
      setPeerSwarms(table, p, [SWARM]);
      enqueueRequest(q, table, p, req(i));
    }
    const slots = createUploadSlots({ maxSlots: 2 });
    const full = settleSlots(slots, q, 0, undefined, true);
    expect(full.filter((s) => !s.granted)).toHaveLength(4);
    expect(slots.holders.size).toBe(2);
    const room = settleSlots(slots, q, 1, undefined, false);
    expect(room.every((s) => s.granted)).toBe(true);
    expect(room).toHaveLength(4); // the four told to wait: told they are served
    expect(slots.holders.size).toBe(6);
    expect(settleSlots(slots, q, 2, undefined, false)).toEqual([]); // each told once
  });

  it('upload slots: a link with room tells a peer never told to wait that it is served (once); a full link does not', () => {
    const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
    const manifest = { name: 'f', size: 8 * BLOCK, mimeType: 'text/plain', pieceLength: BLOCK, pieceHashes: range(0, 8).map(() => '0'.repeat(64)) };
    addAnnouncement(table, { swarmId: SWARM, fileId: FILE, manifest }, 'all');
    const q = createUploadQueue();
    setPeerSwarms(table, peers[0]!, [SWARM]);
    enqueueRequest(q, table, peers[0]!, req(0));
    expect(settleSlots(createUploadSlots({ maxSlots: 2 }), q, 0, undefined, true)).toEqual([]);
    const slots = createUploadSlots({ maxSlots: 2 });
    expect(settleSlots(slots, q, 0, undefined, false)).toEqual([{ peerId: peers[0], route: { swarmId: SWARM, fileId: FILE }, granted: true }]);
    expect(settleSlots(slots, q, 1, undefined, false)).toEqual([]);
  });
});

describe('link mates: origins first', () => {
  it('link mates: the peer that announced a file comes first among the candidates, the rest in random order', () => {
    const mates = createMateBook(seededRng(7));
    for (const p of [MATE, OTHER, TEACHER]) mates.add('s', p);
    mates.addOrigin(TEACHER);
    mates.addOrigin('dd'.repeat(16)); // not a mate: ignored
    for (let i = 0; i < 5; i++) expect(mates.candidates()[0]).toBe(TEACHER);
    expect(mates.candidates()).toHaveLength(3);
  });
});

describe('link rates as people write them', () => {
  it('link load: parseLinkRate reads 100mbit, 1gbit, 2.5 Gbit, 512kbit as bytes per second, nothing else', () => {
    expect([parseLinkRate('100mbit'), parseLinkRate('1gbit'), parseLinkRate('2.5 Gbit'), parseLinkRate('512kbit')])
      .toEqual([12_500_000, 125_000_000, 312_500_000, 64_000]);
    for (const bad of ['fast', '100', '0mbit', '-1gbit', '1 gbps', '']) expect(parseLinkRate(bad)).toBeNull();
  });
});
