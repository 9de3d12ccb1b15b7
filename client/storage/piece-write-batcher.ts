import type { FileId } from '../../shared/ids.ts';

// Piece writes that arrive while a write transaction commits share the next one: IndexedDB pays per
// commit (docs/performance.md). At a trickle every piece still gets its own, immediate transaction.
// A transaction commits all of its pieces or none (quota): a batch that fails is retried a piece per
// transaction, so what still fits is stored and only the pieces that do not fit are rejected.

/** Bounds the bytes one transaction holds in memory (16 × a 64 KiB–1 MiB piece). */
const MAX_PIECES_PER_TRANSACTION = 16;

export interface PieceWriteTransaction {
  store: { put(value: Blob, key: [FileId, number]): Promise<unknown> };
  done: Promise<void>;
  abort(): void;
}

export interface PieceWriteBatcher {
  put(fileId: FileId, index: number, bytes: Uint8Array): Promise<void>;
}

interface QueuedPut {
  fileId: FileId;
  index: number;
  blob: Blob;
  settle: (error: unknown) => void;
  /** Its batch failed: it gets a transaction of its own, and that one's outcome is final. */
  alone: boolean;
}

export function createPieceWriteBatcher(begin: () => PieceWriteTransaction): PieceWriteBatcher {
  const queue: QueuedPut[] = [];
  let committing = false;

  async function commitNext(): Promise<void> {
    if (committing || queue.length === 0) return;
    committing = true;
    const batch = queue[0]!.alone ? queue.splice(0, 1) : queue.splice(0, MAX_PIECES_PER_TRANSACTION);
    let error: unknown = null;
    let tx: PieceWriteTransaction | null = null;
    try {
      tx = begin();
      const committed = tx.done;
      committed.catch(() => undefined); // awaited below; must not go unhandled when a put throws first
      await Promise.all([...batch.map((p) => tx!.store.put(p.blob, [p.fileId, p.index])), committed]);
    } catch (e) {
      error = e ?? new Error('piece write failed');
      try {
        tx?.abort();
      } catch {
        // already finished or aborted
      }
    }
    if (error !== null && batch.length > 1) {
      for (const p of batch) p.alone = true;
      queue.unshift(...batch); // first in, so pieces still commit in arrival order
    } else {
      for (const p of batch) p.settle(error);
    }
    committing = false;
    void commitNext();
  }

  return {
    put(fileId, index, bytes) {
      return new Promise<void>((resolve, reject) => {
        const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
        queue.push({ fileId, index, blob, settle: (e) => (e === null ? resolve() : reject(e)), alone: false });
        void commitNext();
      });
    },
  };
}
