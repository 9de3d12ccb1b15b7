import { describe, expect, it } from 'vitest';
import { expire, nextRequests, onPeerHave, onPeerSlot } from '../../shared/piece-picker.ts';
import { announce, makePicker, range } from './picker-fixtures.ts';

// The requesting side of upload slots: requests an uploader says are queued behind its slots are not timed out
// like unanswered ones, and move to a peer that serves us as soon as one has the piece.

const [SEEDER, MATE, OTHER] = ['aa', 'bb', 'cc'].map((h) => h.repeat(16)) as [string, string, string];
const TIMEOUT = 1000;
const SLOT_WAIT = 60_000;
const picker = () => makePicker(4, 2, { requestTimeoutMs: TIMEOUT, slotWaitTimeoutMs: SLOT_WAIT, maxRequestsPerPeer: 2, maxInFlightBytesPerPeer: 32 });

describe('piece picker: upload slots', () => {
  it('piece picker: a request queued behind a slot times out after slotWaitTimeoutMs, not requestTimeoutMs', () => {
    const p = picker();
    announce(p, SEEDER, range(0, 4));
    expect(nextRequests(p, SEEDER, 0)).toHaveLength(2);
    onPeerSlot(p, SEEDER, false, 10);
    expect(expire(p, TIMEOUT * 5).cancels).toEqual([]);
    expect(p.peers.get(SEEDER)!.stalled).toBe(false);
    expect(expire(p, SLOT_WAIT).cancels).toHaveLength(2);
  });

  it('piece picker: once the slot is granted the request timeout starts over from then', () => {
    const p = picker();
    announce(p, SEEDER, range(0, 4));
    nextRequests(p, SEEDER, 0);
    onPeerSlot(p, SEEDER, false, 0);
    onPeerSlot(p, SEEDER, true, 30_000);
    expect(p.peers.get(SEEDER)!.waitingSince).toBeNull();
    expect(expire(p, 30_000 + TIMEOUT - 1).cancels).toEqual([]);
    expect(expire(p, 30_000 + TIMEOUT).cancels).toHaveLength(2);
  });

  it('piece picker: a waiting request moves to a serving peer that has the piece, without stalling the waiting peer', () => {
    const p = picker();
    announce(p, SEEDER, range(0, 4));
    const asked = nextRequests(p, SEEDER, 0);
    const piece = asked[0]!.piece;
    onPeerSlot(p, SEEDER, false, 0);
    announce(p, MATE, []);
    expect(expire(p, 100)).toEqual({ cancels: [], reassigned: [] }); // nobody else has it yet
    onPeerHave(p, MATE, piece);
    const { cancels, reassigned } = expire(p, 200);
    expect(cancels.map((c) => c.peerId)).toEqual([SEEDER, SEEDER]);
    expect(reassigned.map((r) => [r.peerId, r.span.piece])).toEqual([[MATE, piece], [MATE, piece]]);
    expect(p.peers.get(SEEDER)!.stalled).toBe(false);
  });

  it('piece picker: a waiting request does not move to another peer that also makes us wait', () => {
    const p = picker();
    announce(p, SEEDER, range(0, 4));
    announce(p, OTHER, range(0, 4));
    const bySeeder = nextRequests(p, SEEDER, 0);
    nextRequests(p, OTHER, 0);
    onPeerSlot(p, SEEDER, false, 0);
    onPeerSlot(p, OTHER, false, 0);
    expect(expire(p, 100).cancels).toEqual([]);
    expect(p.peers.get(SEEDER)!.requests.size).toBe(bySeeder.length);
  });
});
