import type { PageOptions } from '../../client/page.ts';
import type { EngineParams } from '../../peer/snapshot-types.ts';
import { MAX_BLOCK_LENGTH, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from '../../shared/limits.ts';

// Knobs from the page URL, for benchmarks and e2e runs only (the test page, test/e2e/test-page.ts; the page
// students load has none): ?block=<bytes>&window=<requests>&piece=<bytes>&seedOnce=0 (the initial seeder serves
// every request, to measure what seed-once does), ?lowWaterKiB=<KiB> (the links' backpressure threshold) and
// ?ui=off (the engine without the classroom page, to measure what rendering costs).

/** Far past the default window (shared/limits.ts): more requests in flight only flood the channel. */
const MAX_WINDOW = 256;

export function paramsFromQuery(search: string): Partial<EngineParams> {
  const q = new URLSearchParams(search);
  const out: Partial<EngineParams> = {};
  const block = Number(q.get('block'));
  if (Number.isInteger(block) && block >= 1024 && block <= MAX_BLOCK_LENGTH) out.blockSize = block;
  const window = Number(q.get('window'));
  if (Number.isInteger(window) && window >= 1 && window <= MAX_WINDOW) out.windowPerPeer = window;
  const piece = Number(q.get('piece'));
  if (piece >= MIN_PIECE_LENGTH && piece <= MAX_PIECE_LENGTH && (piece & (piece - 1)) === 0) out.smallestPieceLength = piece;
  if (q.get('seedOnce') === '0') out.seedOnce = false;
  return out;
}

export function pageOptionsFromQuery(search: string): PageOptions {
  const q = new URLSearchParams(search);
  const kib = Number(q.get('lowWaterKiB'));
  return {
    params: paramsFromQuery(search),
    ui: q.get('ui') !== 'off',
    ...(Number.isInteger(kib) && kib > 0 ? { lowWaterBytes: kib * 1024 } : {}),
  };
}
