// Is our own uplink full? The teacher's refusals (upload slots, seed-once) exist to save a link that is the class's
// bottleneck; on a shared Wi-Fi channel the air fills first, and a teacher wired to the access point that refused
// would push its students to fetch from each other, each such byte crossing the air twice. So the uploader
// compares what it sent over the last second with what its link carries: at FULL_SHARE or more it is full. A
// runtime that cannot know its link's speed (a browser tab) passes null: the link counts as full, as before.
//
// Usage (the uploading side):
//   const load = createLinkLoad(uplinkBytesPerSecond ?? null);
//   onLinkSent(load, block.length, now);                      // as each block is handed to the link
//   const full = isLinkFull(load, now);                        // before refusing anyone (settleSlots, onSeedRequest)

/** Sent this share of the link's capacity over the window: the link, not the air or the demand, is what limits. */
export const FULL_SHARE = 0.9;
/** The window judged: long enough to ride over a slot changing hands, short next to a lesson's transfer. */
export const LINK_WINDOW_MS = 1000;
/** Less sending history than this says nothing yet: counted full (the policy as it was). */
const MIN_HISTORY_MS = 200;
const BUCKETS = 10;

export interface LinkLoad {
  /** Bytes per second the link carries; null: unknown, always counted full. */
  readonly capacity: number | null;
  /** Bytes handed to the link per bucket of LINK_WINDOW_MS / BUCKETS, the newest last. */
  buckets: number[];
  /** Start of the newest bucket (ms). */
  bucketStart: number;
  /** When the first byte was sent (ms); null: nothing yet. */
  firstSentAt: number | null;
}

const RATE_UNITS: Record<string, number> = { kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8 };

/** A link speed as people write it ("100mbit", "1gbit", "2.5 Gbit") in bytes per second; null if it is not one. */
export function parseLinkRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(kbit|mbit|gbit)$/i.exec(text.trim());
  const bytes = m ? Number(m[1]) * RATE_UNITS[m[2]!.toLowerCase()]! : 0;
  return bytes > 0 ? bytes : null;
}

export function createLinkLoad(capacity: number | null): LinkLoad {
  if (capacity !== null && !(capacity > 0)) throw new RangeError(`bad link capacity ${capacity}`);
  return { capacity, buckets: new Array<number>(BUCKETS).fill(0), bucketStart: 0, firstSentAt: null };
}

const BUCKET_MS = LINK_WINDOW_MS / BUCKETS;

/** Moves the window to `now`: buckets older than the window are emptied. */
function advance(load: LinkLoad, now: number): void {
  const steps = Math.floor((now - load.bucketStart) / BUCKET_MS);
  if (steps <= 0) return;
  for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
    load.buckets.shift();
    load.buckets.push(0);
  }
  load.bucketStart += steps * BUCKET_MS;
}

export function onLinkSent(load: LinkLoad, bytes: number, now: number): void {
  if (load.firstSentAt === null) {
    load.firstSentAt = now;
    load.bucketStart = now;
  }
  advance(load, now);
  load.buckets[BUCKETS - 1]! += bytes;
}

/** Did the link carry at least FULL_SHARE of its capacity over the last window (or since it started sending)? */
export function isLinkFull(load: LinkLoad, now: number): boolean {
  if (load.capacity === null || load.firstSentAt === null) return true;
  if (now - load.firstSentAt < MIN_HISTORY_MS) return true;
  advance(load, now);
  const covered = Math.min(now - load.firstSentAt, (BUCKETS - 1) * BUCKET_MS + (now - load.bucketStart)); // ms the buckets span
  const sent = load.buckets.reduce((a, b) => a + b, 0);
  return sent >= FULL_SHARE * load.capacity * (covered / 1000);
}
