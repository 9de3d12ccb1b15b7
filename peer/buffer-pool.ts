// Large buffers let go of, handed out again: pieces the warm cache evicted become the buffers the next downloaded
// pieces are assembled in, and block frames whose send settled carry the next blocks. A fresh 128 KiB–1 MiB
// ArrayBuffer costs more than the bytes it carries: the allocator maps new pages, each faults on first touch, and
// the collector unmaps them later (~1 ms per MiB in Node, docs/performance.md); a copy into a reused buffer
// costs ~0.02 ms per MiB.
//
// A buffer given back is handed out only after a timer turn: a view of it read just before (the upload handler
// encodes a block of the warm cache right after its read resolves) is dead by then.

export interface BufferPool {
  /** A buffer of exactly `length` bytes with stale content (the caller overwrites every byte), or a fresh one. */
  take(length: number): Uint8Array;
  /** Offers a whole buffer nobody uses any more; views into part of a buffer are ignored. */
  give(bytes: Uint8Array): void;
  /** Bytes kept for reuse now (ready or cooling). */
  readonly bytes: number;
}

export function createBufferPool(maxBytes: number): BufferPool {
  const ready: Uint8Array[] = [];
  let cooling: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function cool(): void {
    timer = null;
    ready.push(...cooling);
    cooling = [];
  }

  return {
    take(length) {
      const at = ready.findIndex((b) => b.byteLength === length);
      if (at < 0) return new Uint8Array(length);
      const [bytes] = ready.splice(at, 1);
      total -= length;
      return bytes!;
    },
    give(bytes) {
      if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || bytes.byteLength === 0) return;
      if (total + bytes.byteLength > maxBytes || ready.includes(bytes) || cooling.includes(bytes)) return;
      total += bytes.byteLength;
      cooling.push(bytes);
      timer ??= setTimeout(cool, 0);
    },
    get bytes() { return total; },
  };
}
