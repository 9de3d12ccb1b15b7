import { describe, expect, it } from 'vitest';
import { shownState } from '../../client/ui/file-state.ts';

// The page's file state: 'verifying' only once every piece has arrived.

const file = (state: 'downloading' | 'verifying' | 'complete', piecesHad: number, awaiting: number) =>
  ({ state, piecesHad, pieceCount: 100, awaitingVerification: Array.from({ length: awaiting }, (_, i) => i) });

describe('file state shown', () => {
  it.each([
    ['engine verifying at 31 % with pieces still on the way', file('verifying', 31, 20), 'downloading'],
    ['engine verifying with every piece had or being checked', file('verifying', 31, 69), 'verifying'],
    ['downloading stays downloading', file('downloading', 99, 1), 'downloading'],
    ['complete stays complete', file('complete', 100, 0), 'complete'],
  ] as const)('file state shown: %s', (_, f, expected) => {
    expect(shownState(f)).toBe(expected);
  });
});
