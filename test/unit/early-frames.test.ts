import { describe, expect, it } from 'vitest';
import { createFrameInbox } from '../../peer/links/early-frames.ts';

// Frames that reach a link before anyone listens are kept, bounded, and handed over in order.

const frame = (n: number, bytes = 4) => new Uint8Array(bytes).fill(n);

/** A defer that runs only when the test says so, to see what happens before and after the hand-over. */
function manualDefer() {
  const queue: Array<() => void> = [];
  return { defer: (run: () => void) => void queue.push(run), runAll: () => { while (queue.length) queue.shift()!(); } };
}

describe('frame inbox', () => {
  it('frame inbox: frames pushed before a handler is set are delivered in order once it is set', () => {
    const d = manualDefer();
    const inbox = createFrameInbox({ defer: d.defer });
    inbox.push(frame(1));
    inbox.push(frame(2));
    const got: number[] = [];
    inbox.handler = (f) => got.push(f[0]!);
    inbox.push(frame(3)); // arrives after the handler but before the hand-over: must not overtake 1 and 2
    expect(got).toEqual([]);
    d.runAll();
    inbox.push(frame(4));
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('frame inbox: with a handler and nothing held, a frame is delivered at once', () => {
    const inbox = createFrameInbox({ defer: () => { throw new Error('no hand-over expected'); } });
    const got: number[] = [];
    inbox.handler = (f) => got.push(f[0]!);
    inbox.push(frame(7));
    expect(got).toEqual([7]);
  });

  it('frame inbox: holds at most maxFrames and maxBytes; the rest are dropped and counted', () => {
    const d = manualDefer();
    const inbox = createFrameInbox({ defer: d.defer, maxFrames: 3, maxBytes: 10 });
    for (let i = 0; i < 5; i++) inbox.push(frame(i));
    expect(inbox.dropped).toBe(3); // 4 + 4 bytes fit, the third would make 12 > 10
    const got: number[] = [];
    inbox.handler = (f) => got.push(f[0]!);
    d.runAll();
    expect(got).toEqual([0, 1]);
  });

  it('frame inbox: a handler cleared mid-hand-over keeps the remaining frames for the next one', () => {
    const d = manualDefer();
    const inbox = createFrameInbox({ defer: d.defer });
    for (let i = 0; i < 3; i++) inbox.push(frame(i));
    const first: number[] = [];
    inbox.handler = (f) => {
      first.push(f[0]!);
      inbox.handler = null;
    };
    d.runAll();
    const second: number[] = [];
    inbox.handler = (f) => second.push(f[0]!);
    d.runAll();
    expect([first, second]).toEqual([[0], [1, 2]]);
  });

  it('frame inbox: clear forgets held frames', () => {
    const d = manualDefer();
    const inbox = createFrameInbox({ defer: d.defer });
    inbox.push(frame(1));
    inbox.clear();
    const got: number[] = [];
    inbox.handler = (f) => got.push(f[0]!);
    d.runAll();
    expect(got).toEqual([]);
  });
});
