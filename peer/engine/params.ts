import { MAX_BLOCK_LENGTH, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from '../../shared/limits.ts';
import type { EngineParams } from '../snapshot-types.ts';

// Engine knobs from the page URL, for benchmarks and e2e runs: ?block=<bytes>&window=<requests>&piece=<bytes>
// &seedOnce=0 (the initial seeder serves every request, to measure what seed-once does).

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
