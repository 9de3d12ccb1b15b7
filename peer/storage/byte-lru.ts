// A least-recently-used map of byte arrays, bounded by their total length rather than their count.

export interface ByteLru<K> {
  get(key: K): Uint8Array | undefined;
  set(key: K, bytes: Uint8Array): void;
  deleteWhere(test: (key: K) => boolean): void;
  readonly bytes: number;
}

/** `onEvict` hears each entry pushed out by a newer one (not those replaced or deleted). */
export function createByteLru<K>(maxBytes: number, onEvict?: (bytes: Uint8Array) => void): ByteLru<K> {
  const entries = new Map<K, Uint8Array>(); // insertion order = recency, oldest first
  let total = 0;

  function remove(key: K): void {
    const old = entries.get(key);
    if (old === undefined) return;
    entries.delete(key);
    total -= old.byteLength;
  }

  return {
    get(key) {
      const bytes = entries.get(key);
      if (bytes === undefined) return undefined;
      entries.delete(key);
      entries.set(key, bytes);
      return bytes;
    },
    set(key, bytes) {
      remove(key);
      if (bytes.byteLength > maxBytes) return;
      entries.set(key, bytes);
      total += bytes.byteLength;
      for (const [oldest, old] of entries) {
        if (total <= maxBytes) break;
        remove(oldest);
        onEvict?.(old);
      }
    },
    deleteWhere(test) {
      for (const key of [...entries.keys()]) if (test(key)) remove(key);
    },
    get bytes() { return total; },
  };
}
