import { MAX_EARLY_FRAME_BYTES, MAX_EARLY_FRAMES } from '../../shared/limits.ts';

// Frames a peer sends as soon as its side connects can reach us before our side reports 'connect' and before
// the engine listens. The inbox keeps them (bounded) and hands them over, in order, once a handler is set.

export type FrameHandler = (frame: Uint8Array) => void;

export interface FrameInbox {
  handler: FrameHandler | null;
  /** Delivers the frame now when a handler is set and nothing is held, else holds it (or drops it when full). */
  push(frame: Uint8Array): void;
  /** Frames dropped because the inbox was full. */
  readonly dropped: number;
  /** Forgets held frames and the handler (the link closed). */
  clear(): void;
}

export interface FrameInboxOptions {
  maxFrames?: number;
  maxBytes?: number;
  /** Runs the hand-over after the code that set the handler has finished (default queueMicrotask). */
  defer?: (run: () => void) => void;
}

export function createFrameInbox(opts: FrameInboxOptions = {}): FrameInbox {
  const maxFrames = opts.maxFrames ?? MAX_EARLY_FRAMES;
  const maxBytes = opts.maxBytes ?? MAX_EARLY_FRAME_BYTES;
  const defer = opts.defer ?? queueMicrotask;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let handler: FrameHandler | null = null;
  let dropped = 0;
  let flushQueued = false;

  function flush(): void {
    flushQueued = false;
    let i = 0;
    // The handler may be cleared by a frame it handles: the rest stay held for the next one.
    for (; i < held.length && handler !== null; i++) handler(held[i]!);
    held = held.slice(i);
    heldBytes = held.reduce((sum, f) => sum + f.byteLength, 0);
  }

  function queueFlush(): void {
    if (flushQueued || held.length === 0 || handler === null) return;
    flushQueued = true;
    defer(flush);
  }

  return {
    get handler() { return handler; },
    set handler(next) {
      handler = next;
      queueFlush();
    },
    get dropped() { return dropped; },
    push(frame) {
      if (handler !== null && held.length === 0) return handler(frame);
      if (held.length >= maxFrames || heldBytes + frame.byteLength > maxBytes) {
        dropped++;
        return;
      }
      held.push(frame);
      heldBytes += frame.byteLength;
      queueFlush();
    },
    clear() {
      handler = null;
      held = [];
      heldBytes = 0;
    },
  };
}
