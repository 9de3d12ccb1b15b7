import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../shared/codec.ts';
import type { FileId } from '../../shared/ids.ts';
import {
  createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer,
} from '../helpers/engine-fixture.ts';

// Remove, leave and a full storage, between engines on in-memory links and stores.

const MiB = 1024 * 1024;
const params = SMALL_PIECES;
let fx: EngineFixture;
afterEach(() => fx?.closeAll());

const fileIn = (p: TestPeer, fileId: FileId) => fileOf(p.engine.snapshot(), fileId);
const complete = (p: TestPeer, fileId: FileId) => () => fileIn(p, fileId)?.state === 'complete';
const storedBytes = async (p: TestPeer) => [...(await p.store.usage()).values()].reduce((a, b) => a + b, 0);

/** Route messages one peer sent another after frame `from` of their link. */
function routedSince(from: TestPeer, to: TestPeer, at: number, fileId: FileId): string[] {
  return from.linkTo.get(to.peerId)!.sentFrames.slice(at).flatMap((frame) => {
    const d = decode(frame);
    return d.ok && d.value.type !== 'hello' && d.value.fileId === fileId ? [d.value.type] : [];
  });
}

/** a seeds; b has the whole file; c joins with links to a and b, and a's link is not made yet. */
async function threePeers(size: number) {
  fx = createEngineFixture();
  const [a, b, c] = [await fx.peer('a1', { params }), await fx.peer('b2', { params }), await fx.peer('c3', { params })];
  const swarmId = await a.engine.createSwarm();
  const file = randomFile(size, 'lesson.bin');
  const [fileId] = await a.engine.seed(swarmId, [file]);
  await b.engine.joinSwarm(swarmId);
  await until(() => b.engine.snapshot().swarms[0]?.members.length === 1);
  fx.connect(a, b);
  await until(complete(b, fileId!), 10_000, 'b complete');
  await c.engine.joinSwarm(swarmId);
  await until(() => c.engine.snapshot().swarms[0]?.members.length === 2);
  return { a, b, c, swarmId, fileId: fileId!, file };
}

describe('engine removal', () => {
  it('engine removal: a removed file frees its pieces, and peers drop the tab as a source at once', async () => {
    const { a, b, c, fileId } = await threePeers(8 * MiB);
    fx.connect(c, b);
    await until(() => (fileIn(c, fileId)?.piecesHad ?? 0) >= 4, 10_000, 'c has pieces from b');
    const size = fileIn(b, fileId)!.size;
    expect(await b.engine.removeFile(fileId)).toBe(size);
    expect(await storedBytes(b)).toBe(0);
    expect(fileIn(b, fileId)).toBeUndefined();
    await until(() => !fileIn(c, fileId)!.holders.includes(b.peerId), 2000, 'c forgets b as a holder');
    const sentToB = c.linkTo.get(b.peerId)!.sentFrames.length;
    fx.connect(c, a);
    await until(complete(c, fileId), 10_000, 'c completes from a');
    expect(routedSince(c, b, sentToB, fileId)).toEqual([]);
    expect(fileIn(b, fileId)).toBeUndefined(); // c's announcement of its finished copy does not bring it back
  });

  it('engine removal: leaving a swarm deletes its files, and its peers stop routing to the tab', async () => {
    const { b, c, swarmId, fileId } = await threePeers(2 * MiB);
    fx.connect(c, b);
    await until(() => fileIn(c, fileId)?.holders.includes(b.peerId) === true, 5000, 'c sees b hold pieces');
    expect(await b.engine.leaveSwarm(swarmId)).toBe(fileIn(c, fileId)!.size);
    expect(b.engine.snapshot().swarms).toEqual([]);
    expect(await storedBytes(b)).toBe(0);
    expect(await b.store.listSwarms()).toEqual([]);
    await until(() => !fileIn(c, fileId)!.holders.includes(b.peerId), 2000, 'c forgets b');
  });

  it('engine removal: a file removed while its pieces are being written is deleted after those writes land', async () => {
    fx = createEngineFixture();
    const [a, b] = [await fx.peer('a1', { params }), await fx.peer('b2', { params })];
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [randomFile(2 * MiB, 'lesson.bin')]);
    await b.engine.joinSwarm(swarmId);
    await until(() => b.engine.snapshot().swarms[0]?.members.length === 1);
    const held: Array<() => void> = [];
    const put = b.store.putPiece.bind(b.store);
    b.store.putPiece = (...args) => new Promise<void>((resolve) => held.push(resolve)).then(() => put(...args));
    fx.connect(a, b);
    await until(() => held.length > 0, 5000, 'b writes a piece');
    let removed = false;
    const removal = b.engine.removeFile(fileId!).then(() => void (removed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(removed).toBe(false); // waits for the write it started
    for (const release of held.splice(0)) release();
    await removal;
    expect(await storedBytes(b)).toBe(0); // the write landed first, then the deletion took it
  });

  it('engine removal: a full storage names the largest files to remove, and the download goes on once one is', async () => {
    const { a, b, swarmId, fileId } = await threePeers(2 * MiB);
    b.store.failWrites = true;
    const [second] = await a.engine.seed(swarmId, [randomFile(MiB, 'next.bin')]);
    await until(() => fileIn(b, second!)?.state === 'error', 5000, 'b fails to store');
    expect(fileIn(b, second!)!.error).toMatch(/full.*Remove files to make room: lesson\.bin \(2\.1 MB\)/);
    expect(await b.store.storedPieces(fileId)).toHaveLength(fileIn(b, fileId)!.pieceCount); // nothing lost
    b.store.failWrites = false;
    await b.engine.removeFile(fileId);
    await until(complete(b, second!), 5000, 'b completes next.bin');
  });
});
