import { expect, test } from 'vitest';
import { decode } from '../../shared/codec.ts';
import { illTyped, nextFrame, seededRng } from '../fuzz/frames.ts';

// The same generator as `npm run fuzz`, at 100,000 frames and a fixed seed so a failure reproduces.

const FRAMES = 100_000;

test('codec: 100,000 random and mutated frames decode without a throw, each to a well-typed result', () => {
  const rng = seededRng(0x7ab5_3a11);
  const problems: string[] = [];
  const outcomes = new Map<string, number>();
  for (let i = 0; i < FRAMES; i++) {
    const frame = nextFrame(rng);
    let result: ReturnType<typeof decode>;
    try {
      result = decode(frame);
    } catch (error) {
      problems.push(`frame ${i} threw ${String(error)}`);
      continue;
    }
    const problem = illTyped(frame, result);
    if (problem) problems.push(`frame ${i}: ${problem}`);
    const outcome = result.ok ? 'ok' : result.error.code;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  expect(problems.slice(0, 5)).toEqual([]);
  // The mix must reach both sides of decode, or the test proves nothing.
  expect(outcomes.get('ok')).toBeGreaterThan(FRAMES / 10);
  for (const code of ['ERR_TRUNCATED', 'ERR_TRAILING_BYTES', 'ERR_UNKNOWN_VERSION', 'ERR_UNKNOWN_TYPE', 'ERR_TOO_LARGE', 'ERR_BAD_SPAN', 'ERR_BAD_FRAME']) {
    expect(outcomes.get(code), code).toBeGreaterThan(0);
  }
}, 60_000);
