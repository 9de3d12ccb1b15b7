// Speed over a sliding window of one-second buckets, and the ETA it implies. `now` is injected.

/** A few seconds smooth out piece-sized bursts but still follow a peer that stops. */
const WINDOW_SECONDS = 5;

export interface RateMeter {
  add(bytes: number): void;
  bytesPerSecond(): number;
  total(): number;
}

export function createRateMeter(now: () => number = Date.now): RateMeter {
  const buckets = new Map<number, number>();
  let total = 0;
  let firstAddMs: number | null = null;
  const second = (): number => Math.floor(now() / 1000);
  const prune = (current: number): void => {
    for (const key of buckets.keys()) if (key <= current - WINDOW_SECONDS) buckets.delete(key);
  };
  return {
    add(bytes) {
      const current = second();
      firstAddMs ??= now();
      buckets.set(current, (buckets.get(current) ?? 0) + bytes);
      total += bytes;
      prune(current);
    },
    bytesPerSecond() {
      const nowMs = now();
      const current = Math.floor(nowMs / 1000);
      prune(current);
      let sum = 0;
      for (const bytes of buckets.values()) sum += bytes;
      if (sum === 0 || firstAddMs === null) return 0;
      // The current bucket is partial and a young meter covers less than the window: divide by what it covers.
      const covered = Math.min(WINDOW_SECONDS - 1 + (nowMs % 1000) / 1000, (nowMs - firstAddMs) / 1000);
      return sum / Math.max(covered, 1);
    },
    total: () => total,
  };
}

/** Seconds left at the current rate; null when nothing is left to fetch or nothing is arriving. */
export function etaSeconds(bytesLeft: number, bytesPerSecond: number): number | null {
  if (bytesLeft <= 0 || bytesPerSecond <= 0) return null;
  return Math.ceil(bytesLeft / bytesPerSecond);
}
