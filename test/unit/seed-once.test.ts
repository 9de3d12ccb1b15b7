import { describe, expect, it } from 'vitest';
import { markHadLocally, nextRequests, onPeerGone, onPeerHave, type PiecePicker } from '../../shared/piece-picker.ts';
import { createSeedOnce, dueReoffers, forgetSeedPeer, onSeedRequest, type SeedOnce } from '../../shared/seed-once.ts';
import { announce, deliver, makePicker, range } from './picker-fixtures.ts';

// The initial seeder's side of one route: 8 pieces, all seeded locally; leechers X, Y, Z announce what they hold.

const BUSY = 10 * 1024 * 1024;
const IDLE = 0;

function seeder(leechers: string[]): { picker: PiecePicker; seed: SeedOnce } {
  const picker = makePicker(8, 2);
  for (const piece of range(0, 8)) markHadLocally(picker, piece);
  for (const peerId of leechers) announce(picker, peerId, []);
  return { picker, seed: createSeedOnce({ reofferAfterMs: 5_000, givenGraceMs: 5_000, busyBacklogBytes: 1024 }) };
}

describe('seed-once', () => {
  it('seed-once: 1 → 1 is unchanged: a lone leecher is served every piece, even with a busy uplink', () => {
    const { picker, seed } = seeder(['X']);
    for (const piece of range(0, 8)) expect(onSeedRequest(seed, picker, 'X', piece, BUSY, piece)).toBe('serve');
    expect(seed.counters.refused).toBe(0);
  });

  it('seed-once: a piece being sent to one leecher is refused to another while the uplink is busy', () => {
    const { picker, seed } = seeder(['X', 'Y']);
    expect(onSeedRequest(seed, picker, 'Y', 3, BUSY, 0)).toBe('serve');
    expect(onSeedRequest(seed, picker, 'X', 3, BUSY, 10)).toBe('refuse');
    expect(onSeedRequest(seed, picker, 'X', 4, BUSY, 10)).toBe('serve');
    expect(onSeedRequest(seed, picker, 'Y', 3, BUSY, 20)).toBe('serve'); // the rest of Y's piece
    onPeerHave(picker, 'Y', 3);
    expect(onSeedRequest(seed, picker, 'X', 3, BUSY, 30)).toBe('refuse'); // Y has it: fetch it there
  });

  it('seed-once: a backlog is no reason to refuse while our own link has room (the Wi-Fi\'s air, not the teacher\'s wire, is full)', () => {
    const { picker, seed } = seeder(['X', 'Y', 'Z']);
    onSeedRequest(seed, picker, 'Y', 3, BUSY, 0);
    onPeerHave(picker, 'Y', 3);
    expect(onSeedRequest(seed, picker, 'X', 3, BUSY, 10, false)).toBe('serve');
    expect(onSeedRequest(seed, picker, 'Z', 3, BUSY, 10, true)).toBe('refuse');
  });

  it('seed-once: switches itself off when the uplink would otherwise idle (the seeder is not the bottleneck)', () => {
    const { picker, seed } = seeder(['X', 'Y']);
    onSeedRequest(seed, picker, 'Y', 3, BUSY, 0);
    onPeerHave(picker, 'Y', 3);
    expect(onSeedRequest(seed, picker, 'X', 3, IDLE, 0)).toBe('serve');
    expect(seed.counters.duplicates).toBe(1);
  });

  it('seed-once: a leecher whose bitfield claims pieces it was never sent blocks nobody', () => {
    const { picker, seed } = seeder(['X', 'L']);
    announce(picker, 'L', range(0, 8)); // L lies: it claims everything at the start of the lesson
    for (const piece of range(0, 8)) expect(onSeedRequest(seed, picker, 'X', piece, BUSY, 0)).toBe('serve');
  });

  it('seed-once: a hoarding leecher that got a piece and serves nobody delays the others by reofferAfterMs at most', () => {
    const { picker, seed } = seeder(['X', 'H']);
    expect(onSeedRequest(seed, picker, 'H', 5, BUSY, 0)).toBe('serve');
    onPeerHave(picker, 'H', 5); // H announces it, then never answers a request for it
    expect(onSeedRequest(seed, picker, 'X', 5, BUSY, 1_000)).toBe('refuse');
    expect(dueReoffers(seed, picker, 5_999)).toEqual([]);
    expect(dueReoffers(seed, picker, 6_000)).toEqual([{ peerId: 'X', piece: 5 }]);
    expect(onSeedRequest(seed, picker, 'X', 5, BUSY, 6_010)).toBe('serve');
  });

  it('seed-once: a leecher that fetched pieces and never announces them stops covering them after givenGraceMs', () => {
    const { picker, seed } = seeder(['X', 'H']);
    expect(onSeedRequest(seed, picker, 'H', 2, BUSY, 0)).toBe('serve');
    expect(onSeedRequest(seed, picker, 'X', 2, BUSY, 4_999)).toBe('refuse');
    expect(onSeedRequest(seed, picker, 'X', 2, BUSY, 5_000)).toBe('serve');
  });

  it('seed-once: a leecher that leaves holding the only copy: the piece is offered again at once', () => {
    const { picker, seed } = seeder(['X', 'Y', 'Z']);
    onSeedRequest(seed, picker, 'Y', 6, BUSY, 0);
    onPeerHave(picker, 'Y', 6);
    expect(onSeedRequest(seed, picker, 'X', 6, BUSY, 100)).toBe('refuse');
    expect(onSeedRequest(seed, picker, 'Z', 6, BUSY, 100)).toBe('refuse');
    onPeerGone(picker, 'Y');
    forgetSeedPeer(seed, 'Y');
    const due = dueReoffers(seed, picker, 200);
    expect(due).toEqual([{ peerId: 'X', piece: 6 }, { peerId: 'Z', piece: 6 }]);
    expect(onSeedRequest(seed, picker, 'X', 6, BUSY, 210)).toBe('serve');
  });

  it('seed-once: once every piece went out, an idle uplink offers the refused pieces again (the tail), not before', () => {
    const { picker, seed } = seeder(['X', 'Y']);
    for (const piece of range(0, 7)) onSeedRequest(seed, picker, 'Y', piece, BUSY, 0);
    expect(onSeedRequest(seed, picker, 'X', 0, BUSY, 10)).toBe('refuse');
    expect(dueReoffers(seed, picker, 20, true)).toEqual([]); // piece 7 never went out: the seeder still has unique work
    onSeedRequest(seed, picker, 'X', 7, BUSY, 30);
    expect(dueReoffers(seed, picker, 40, false)).toEqual([]);
    expect(dueReoffers(seed, picker, 40, true)).toEqual([{ peerId: 'X', piece: 0 }]);
  });

  it('seed-once: an idle seeder sends a duplicate only of a rare piece; a peer claiming the whole file holds none', () => {
    const { picker, seed } = seeder(['X', 'Y', 'Z']);
    announce(picker, 'H', range(0, 8)); // a hoarder (or a finished peer) claims everything
    onSeedRequest(seed, picker, 'Y', 3, BUSY, 0);
    onPeerHave(picker, 'Y', 3);
    expect(onSeedRequest(seed, picker, 'X', 3, IDLE, 10)).toBe('serve'); // Y alone holds it: rare
    onPeerHave(picker, 'X', 3);
    expect(onSeedRequest(seed, picker, 'Z', 3, IDLE, 20)).toBe('refuse'); // X and Y hold it: fetch it there
    expect(seed.counters.duplicates).toBe(1);
  });

  it('seed-once: in the tail each rare piece is offered to one refused peer at a time, and each peer one piece at a time', () => {
    const { picker, seed } = seeder(['X', 'W', 'Y']);
    for (const piece of range(0, 8)) onSeedRequest(seed, picker, 'Y', piece, BUSY, 0);
    for (const piece of range(0, 7)) onPeerHave(picker, 'Y', piece);
    for (const peerId of ['X', 'W']) for (const piece of [0, 1]) expect(onSeedRequest(seed, picker, peerId, piece, BUSY, 10)).toBe('refuse');
    expect(dueReoffers(seed, picker, 20, true)).toEqual([{ peerId: 'X', piece: 0 }, { peerId: 'W', piece: 1 }]);
    expect(dueReoffers(seed, picker, 30, true)).toEqual([]); // both turns run
    expect(onSeedRequest(seed, picker, 'X', 0, BUSY, 40)).toBe('serve');
    onPeerHave(picker, 'X', 0);
    expect(dueReoffers(seed, picker, 50, true)).toEqual([]); // piece 0 has two holders now; piece 1 is W's turn
    // W never asks for piece 1 (its request sits at a peer that does not answer): the turn passes.
    expect(dueReoffers(seed, picker, 1_019, true)).toEqual([]);
    expect(dueReoffers(seed, picker, 1_020, true)).toEqual([{ peerId: 'X', piece: 1 }]);
  });

  it('seed-once: a refused peer that got the piece elsewhere is not offered it again', () => {
    const { picker, seed } = seeder(['X', 'Y']);
    onSeedRequest(seed, picker, 'Y', 1, BUSY, 0);
    onPeerHave(picker, 'Y', 1);
    expect(onSeedRequest(seed, picker, 'X', 1, BUSY, 0)).toBe('refuse');
    onPeerHave(picker, 'X', 1);
    expect(dueReoffers(seed, picker, 60_000)).toEqual([]);
    expect(seed.refused.size).toBe(0);
  });

  it('seed-once: a peer that downloaded the file (not the initial seeder) never holds back', () => {
    const picker = makePicker(2, 1);
    markHadLocally(picker, 0);
    announce(picker, 'S', [0, 1]);
    for (const span of nextRequests(picker, 'S', 0)) deliver(picker, 'S', span); // piece 1 downloaded from S
    announce(picker, 'Y', [0, 1]);
    announce(picker, 'X', []);
    expect(picker.sources).toEqual(['local', 'S']);
    const seed = createSeedOnce({ busyBacklogBytes: 1024 });
    expect(onSeedRequest(seed, picker, 'X', 1, BUSY, 0)).toBe('serve');
    expect(seed.counters.refused).toBe(0);
  });
});
