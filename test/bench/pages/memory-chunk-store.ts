// Browser side: a minimal abstract-chunk-store in memory, what WebTorrent falls back to where OPFS is missing
// (any page on plain http from a LAN address, the classroom case). Callbacks run on a microtask, as stores do.

type Callback<T = void> = (err: Error | null, value?: T) => void;
interface GetOptions { offset?: number; length?: number }

export class MemoryChunkStore {
  readonly chunkLength: number;
  #chunks: Uint8Array[] = [];

  constructor(chunkLength: number) {
    this.chunkLength = chunkLength;
  }

  put(index: number, chunk: Uint8Array, cb?: Callback): void {
    this.#chunks[index] = chunk;
    queueMicrotask(() => cb?.(null));
  }

  get(index: number, opts: GetOptions | null | Callback<Uint8Array>, cb?: Callback<Uint8Array>): void {
    const done = typeof opts === 'function' ? opts : cb;
    const range = typeof opts === 'function' || opts === null ? {} : opts;
    const chunk = this.#chunks[index];
    if (chunk === undefined) { queueMicrotask(() => done?.(new Error('Chunk not found'))); return; }
    const offset = range.offset ?? 0;
    const slice = chunk.subarray(offset, offset + (range.length ?? chunk.length - offset));
    queueMicrotask(() => done?.(null, slice));
  }

  close(cb?: Callback): void {
    queueMicrotask(() => cb?.(null));
  }

  destroy(cb?: Callback): void {
    this.#chunks = [];
    queueMicrotask(() => cb?.(null));
  }
}
