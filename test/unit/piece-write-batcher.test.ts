import { describe, expect, it } from 'vitest';
import { createPieceWriteBatcher, type PieceWriteTransaction } from '../../client/storage/piece-write-batcher.ts';

// A fake IndexedDB transaction: commits (or aborts) when the test says so.
function fakeDb() {
  const transactions: { keys: string[]; commit: () => void; fail: (e: Error) => void }[] = [];
  const stored = new Set<string>();
  const begin = (): PieceWriteTransaction => {
    const keys: string[] = [];
    let commit!: () => void;
    let fail!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      commit = () => {
        for (const k of keys) stored.add(k);
        res();
      };
      fail = rej;
    });
    transactions.push({ keys, commit: () => commit(), fail: (e) => fail(e) });
    return { store: { put: async (_blob, key) => void keys.push(key.join(':')) }, done, abort() {} };
  };
  return { begin, transactions, stored };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('piece write batcher', () => {
  it('piece write batcher: pieces arriving during a commit share the next transaction', async () => {
    const db = fakeDb();
    const writes = createPieceWriteBatcher(db.begin);
    const first = writes.put('f', 0, new Uint8Array(4));
    await tick();
    const rest = [1, 2, 3].map((i) => writes.put('f', i, new Uint8Array(4)));
    await tick();
    expect(db.transactions.map((t) => t.keys)).toEqual([['f:0']]);
    db.transactions[0]!.commit();
    await first;
    await tick();
    expect(db.transactions.map((t) => t.keys)).toEqual([['f:0'], ['f:1', 'f:2', 'f:3']]);
    db.transactions[1]!.commit();
    await Promise.all(rest);
    expect([...db.stored].sort()).toEqual(['f:0', 'f:1', 'f:2', 'f:3']);
  });

  it('piece write batcher: a failed transaction is retried a piece at a time: what fits is stored, only the rest is rejected', async () => {
    const db = fakeDb();
    const writes = createPieceWriteBatcher(db.begin);
    const first = writes.put('f', 0, new Uint8Array(4));
    const [a, b] = [1, 2].map((i) => writes.put('f', i, new Uint8Array(4)));
    db.transactions[0]!.commit();
    await first;
    await tick();
    const c = writes.put('f', 3, new Uint8Array(4));
    expect(db.transactions[1]!.keys).toEqual(['f:1', 'f:2']);
    db.transactions[1]!.fail(new DOMException('full', 'QuotaExceededError')); // 2 pieces do not fit; 1 does
    await tick();
    expect(db.transactions[2]!.keys).toEqual(['f:1']);
    db.transactions[2]!.commit();
    await expect(a).resolves.toBeUndefined();
    await tick();
    expect(db.transactions[3]!.keys).toEqual(['f:2']);
    db.transactions[3]!.fail(new DOMException('full', 'QuotaExceededError'));
    await expect(b).rejects.toThrow('full');
    await tick();
    expect(db.transactions[4]!.keys).toEqual(['f:3']); // the next arrivals batch again
    db.transactions[4]!.commit();
    await expect(c).resolves.toBeUndefined();
    expect([...db.stored].sort()).toEqual(['f:0', 'f:1', 'f:3']);
  });
});
