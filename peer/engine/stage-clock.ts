// Main-thread time by stage of a downloaded byte's way through the tab: receive (decode a frame), route (routing
// table, manifest check, picker, copy into its piece), hash, store (what putPiece costs before it awaits: the
// Blob's copy), announce (have, cancels and the next requests once a piece is stored); and on the uploading side,
// serve (a block read from the store encoded and queued on its link; the request itself is charged to route).
// Work another thread does (WebCrypto's digest, IndexedDB's commit) is not in here; the benchmarks read it per
// process and thread.

export type Stage = 'receive' | 'route' | 'hash' | 'store' | 'announce' | 'serve';

export interface StageClock {
  /** Milliseconds spent in each stage since the clock was made (a nested stage's time is its own, not its caller's). */
  readonly ms: Record<Stage, number>;
  /** Runs fn, charging the time until it returns (or returns its promise) to `stage`. */
  run<T>(stage: Stage, fn: () => T): T;
}

export const emptyStageMs = (): Record<Stage, number> => ({ receive: 0, route: 0, hash: 0, store: 0, announce: 0, serve: 0 });

export function createStageClock(ms: Record<Stage, number>, now: () => number = () => performance.now()): StageClock {
  let current: Stage | null = null;
  let since = 0;
  return {
    ms,
    run(stage, fn) {
      const t = now();
      const outer = current;
      if (outer !== null) ms[outer] += t - since;
      current = stage;
      since = t;
      try {
        return fn();
      } finally {
        const end = now();
        ms[stage] += end - since;
        current = outer;
        since = end;
      }
    },
  };
}
