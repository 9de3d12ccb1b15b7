import { describe, expect, it } from 'vitest';
import {
  chooseProfile, HEARTBEAT_FRESH_MS, ORPHAN_GRACE_MS, parseRecord, planPrune, type Census, type ProfileRecord,
} from '../../client/storage/profile-census.ts';

const NOW = 1_000_000_000;
const A = 'a'.repeat(16);
const B = 'b'.repeat(16);
const C = 'c'.repeat(16);
const rec = (agoMs: number, closed = true, empty = false): ProfileRecord => ({ owner: 'tab', at: NOW - agoMs, closed, bytes: 10, empty });

function census(profiles: Record<string, ProfileRecord | null>, over: Partial<Census> = {}): Census {
  return { now: NOW, sessionProfileId: null, profiles: new Map(Object.entries(profiles)), answered: new Set(), ...over };
}

describe('profile census', () => {
  it.each([
    ['a reload takes its own profile back', census({ [A]: rec(10) }, { sessionProfileId: A }), { how: 'resumed', profileId: A }],
    ['a duplicated tab does not take the profile its original holds', census({ [A]: rec(10, false) }, { sessionProfileId: A, answered: new Set([A]) }), { how: 'fresh' }],
    ['a new tab adopts the orphan alive most recently', census({ [A]: rec(60_000), [B]: rec(5_000), [C]: null }), { how: 'adopted', profileId: B }],
    ['a profile a live tab answered for is never adopted', census({ [A]: rec(1) }, { answered: new Set([A]) }), { how: 'fresh' }],
    ['nothing to adopt: a fresh profile', census({}), { how: 'fresh' }],
    ['a profile whose tab closed in no swarm is not adopted', census({ [A]: rec(10, true, true), [B]: rec(99) }), { how: 'adopted', profileId: B }],
    ['a reload takes its own profile back even when it was empty', census({ [A]: rec(10, true, true) }, { sessionProfileId: A }), { how: 'resumed', profileId: A }],
    ['without BroadcastChannel a recent heartbeat means held', census({ [A]: rec(HEARTBEAT_FRESH_MS - 1, false) }, { answered: null }), { how: 'fresh' }],
    ['without BroadcastChannel an old heartbeat means orphaned', census({ [A]: rec(HEARTBEAT_FRESH_MS + 1, false) }, { answered: null }), { how: 'adopted', profileId: A }],
    ['without BroadcastChannel a closed tab\'s record means orphaned at once', census({ [A]: rec(1, true) }, { answered: null }), { how: 'adopted', profileId: A }],
  ] as const)('profile census: %s', (_name, input, expected) => {
    expect(chooseProfile(input)).toEqual(expected);
  });

  it('profile census: a profile lost to another claim is skipped for the next orphan, then for a fresh one', () => {
    const input = census({ [A]: rec(10), [B]: rec(20) }, { sessionProfileId: A });
    expect(chooseProfile(input, new Set([A]))).toEqual({ how: 'adopted', profileId: B });
    expect(chooseProfile(input, new Set([A, B]))).toEqual({ how: 'fresh' });
  });

  it('profile census: orphans past their grace period are pruned; unrecorded ones start theirs; held ones stay', () => {
    const input = census({ [A]: rec(ORPHAN_GRACE_MS + 1), [B]: rec(ORPHAN_GRACE_MS - 1), [C]: null, ['d'.repeat(16)]: rec(ORPHAN_GRACE_MS * 2) },
      { answered: new Set(['d'.repeat(16)]) });
    expect(planPrune(input, new Set())).toEqual({ prune: [A], startGrace: [C] });
    expect(planPrune(input, new Set([A]))).toEqual({ prune: [], startGrace: [C] });
    expect(planPrune(census({ [A]: rec(1, true, true) }), new Set())).toEqual({ prune: [A], startGrace: [] }); // empty: no grace
  });

  it.each([
    [null, null], ['not json', null], ['{"owner":1,"at":2}', null], ['{"owner":"t","at":"x"}', null],
    ['{"owner":"t","at":5,"bytes":-3}', { owner: 't', at: 5, closed: false, bytes: 0, empty: false }],
    ['{"owner":"t","at":5,"closed":true,"bytes":7,"empty":true}', { owner: 't', at: 5, closed: true, bytes: 7, empty: true }],
  ])('profile census: the record %s reads as %j', (text, expected) => {
    expect(parseRecord(text)).toEqual(expected);
  });
});
