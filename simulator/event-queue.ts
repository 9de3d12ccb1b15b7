// Simulated time: a binary min-heap of callbacks keyed by (time, insertion order), so equal times run in the
// order they were scheduled and a run is the same for the same seed.

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  /** Simulated seconds. */
  now = 0;

  at(time: number, run: () => void): void {
    this.push({ at: Math.max(time, this.now), seq: this.seq++, run });
  }

  after(seconds: number, run: () => void): void {
    this.at(this.now + seconds, run);
  }

  /** Runs events in order until none is left, `until()` holds, or simulated time passes `limit`. */
  runUntil(until: () => boolean, limit: number): void {
    while (this.heap.length > 0 && !until()) {
      const next = this.pop();
      if (next.at > limit) return;
      this.now = next.at;
      next.run();
    }
  }

  get size(): number {
    return this.heap.length;
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
