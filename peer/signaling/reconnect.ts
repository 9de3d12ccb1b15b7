// When to try the signaling server again after the socket went away: exponential backoff with full jitter,
// reset by each welcome. Tabs of a whole class retry spread out, not in lockstep.

/** First retry waits at most this long: a restarted server is usually back within a second. */
const BACKOFF_BASE_MS = 500;
/** Longest wait between attempts: a class should be back within seconds of the teacher restarting the server. */
const BACKOFF_CAP_MS = 4000;

/** Full jitter: uniform in [0, min(cap, base·2^attempt)] (AWS architecture blog, "Exponential Backoff And Jitter"). */
export const backoffDelay = (attempt: number, random: () => number): number =>
  random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);

export interface Reconnector {
  /** Calls `connect` after the next backoff delay. */
  retryLater(): void;
  /** The connection worked (welcome): the next failure starts from the shortest delay again. */
  succeeded(): void;
  /** Cancels a pending retry. */
  cancel(): void;
}

export function createReconnector(connect: () => void, random: () => number): Reconnector {
  let attempt = 0; // failed connection attempts since the last welcome
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    retryLater() {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        connect();
      }, backoffDelay(attempt++, random));
    },
    succeeded: () => void (attempt = 0),
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
