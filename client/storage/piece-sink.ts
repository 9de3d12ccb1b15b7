import type { FileId } from '../../shared/ids.ts';
import { StorageFailure, type CheckedPut, type StorageFailureCode } from '../../peer/contracts.ts';

// The main thread's side of the piece worker (piece-worker.ts): checkAndPut hands a piece's buffer over
// (transferred, not copied) and resolves with the verdict and the buffer back. `settled` lets a removal wait for
// the pieces still on their way into the database, so none of them outlives its file.

export type SinkRequest =
  | { type: 'open'; id: number; profileId: string }
  | { type: 'put'; id: number; fileId: FileId; index: number; bytes: Uint8Array; expectedHash: string };

export type SinkReply =
  | { id: number; result: 'open' }
  | { id: number; result: 'stored' | 'corrupt'; bytes: Uint8Array }
  | { id: number; result: 'failed'; bytes?: Uint8Array; code: StorageFailureCode; message: string };

export interface PieceSink {
  checkAndPut(fileId: FileId, index: number, bytes: Uint8Array, expectedHash: string): Promise<CheckedPut>;
  /** Resolves once every checkAndPut begun so far has settled. */
  settled(): Promise<void>;
  close(): void;
}

/** The worker for this profile's database, once it has opened it; null where workers are missing or fail. */
export async function openPieceSink(profileId: string): Promise<PieceSink | null> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./piece-worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
  const waiting = new Map<number, (reply: SinkReply) => void>();
  let nextId = 0;
  const ask = (req: SinkRequest, transfer: Transferable[] = []): Promise<SinkReply> => new Promise((resolve) => {
    waiting.set(req.id, resolve);
    worker.postMessage(req, transfer);
  });
  worker.onmessage = (e: MessageEvent<SinkReply>) => {
    const resolve = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    resolve?.(e.data);
  };
  const failAll = (message: string) => {
    for (const [id, resolve] of waiting) resolve({ id, result: 'failed', code: 'ERR_STORAGE_WRITE', message });
    waiting.clear();
  };
  worker.onerror = (e) => failAll(`the piece worker failed: ${e.message}`);
  const opened = await Promise.race([
    ask({ type: 'open', id: nextId++, profileId }),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), OPEN_TIMEOUT_MS)),
  ]);
  if (opened === null || opened.result !== 'open') {
    worker.terminate();
    return null;
  }
  const pending = new Set<Promise<unknown>>();
  return {
    checkAndPut(fileId, index, bytes, expectedHash) {
      // A view into a larger buffer would hand the whole buffer over: copy just the piece then.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      const put = ask({ type: 'put', id: nextId++, fileId, index, bytes: own, expectedHash }, [own.buffer]).then((reply): CheckedPut => {
        if (reply.result === 'stored' || reply.result === 'corrupt') return { result: reply.result, bytes: reply.bytes };
        if (reply.result === 'failed') return { result: 'failed', error: new StorageFailure(reply.code, reply.message) };
        throw new Error('piece worker: unexpected reply');
      });
      pending.add(put);
      void put.finally(() => pending.delete(put)).catch(() => undefined);
      return put;
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
    close() {
      failAll('the page is closing');
      worker.terminate();
    },
  };
}

/** A worker that has not opened the database by then is stuck: the page stores on its main thread instead. */
const OPEN_TIMEOUT_MS = 5_000;
