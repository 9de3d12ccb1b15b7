import { checkThenPut } from './check-and-put.ts';
import { openProfileDatabase } from './piece-store.ts';
import { createPieceWriteBatcher } from './piece-write-batcher.ts';
import type { SinkReply, SinkRequest } from './piece-sink.ts';

// The tab's piece worker: a downloaded piece arrives as a transferred buffer, is hashed here (WebCrypto where the
// page is a secure context, hash-wasm elsewhere) and, when it matches its manifest hash, written to the profile's
// IndexedDB from here, batched as on the main thread; the buffer goes back with the verdict. The page's main
// thread, which also runs the links, spends no time on either.

let writes: ReturnType<typeof createPieceWriteBatcher> | null = null;

async function checkAndPut(req: Extract<SinkRequest, { type: 'put' }>): Promise<SinkReply> {
  const { id, fileId, index, bytes, expectedHash } = req;
  const out = await checkThenPut(index, bytes, expectedHash, async () => {
    if (writes === null) throw new Error('piece worker: no database open');
    await writes.put(fileId, index, bytes);
  });
  return out.result === 'failed' ? { id, result: 'failed', bytes, code: out.error.code, message: out.error.message } : { id, ...out };
}

self.onmessage = (e: MessageEvent<SinkRequest>) => {
  const req = e.data;
  if (req.type === 'open') {
    void openProfileDatabase(req.profileId).then((db) => {
      writes = createPieceWriteBatcher(() => db.transaction('pieces', 'readwrite'));
      self.postMessage({ id: req.id, result: 'open' } satisfies SinkReply);
    }, (err: unknown) => self.postMessage({ id: req.id, result: 'failed', code: 'ERR_STORAGE_WRITE', message: String(err) } satisfies SinkReply));
    return;
  }
  void checkAndPut(req).then((reply) => self.postMessage(reply, { transfer: 'bytes' in reply && reply.bytes ? [reply.bytes.buffer] : [] }));
};
