// Coalesces many state changes (one per block) into at most one callback round per interval.

/** ~10 updates a second is smooth for a progress bar and cheap enough with a few hundred pieces. */
const MIN_INTERVAL_MS = 100;

export interface ChangeNotifier {
  notify(): void;
  subscribe(cb: () => void): () => void;
  close(): void;
}

export function createChangeNotifier(intervalMs = MIN_INTERVAL_MS): ChangeNotifier {
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  function fire(): void {
    timer = null;
    for (const cb of [...listeners]) {
      try {
        cb();
      } catch (e) {
        console.error('tabswarm: onChange listener failed', e);
      }
    }
  }

  return {
    notify() {
      if (!closed && timer === null && listeners.size > 0) timer = setTimeout(fire, intervalMs);
    },
    subscribe(cb) {
      listeners.add(cb);
      return () => void listeners.delete(cb);
    },
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      listeners.clear();
    },
  };
}
