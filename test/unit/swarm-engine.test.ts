import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.ts';
import { WIRE_VERSION } from '../../shared/wire-messages.ts';
import {
  blobSha256, createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer,
} from '../helpers/engine-fixture.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

// Engines wired to in-memory links and stores: routing, verification, multi-source download, resume.

const KiB = 1024;
const params = SMALL_PIECES;


const complete = (p: TestPeer, fileId: string) => () => fileOf(p.engine.snapshot(), fileId)?.state === 'complete';

let fx: EngineFixture;
afterEach(() => fx?.closeAll());

describe('swarm engine', () => {
  it('swarm engine: a joiner downloads a seeded file and its stored bytes hash to the original', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const b = await fx.peer('b2', { params });
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(1024 * KiB + 123, 'one.bin');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await b.engine.joinSwarm(swarmId);
    await until(() => b.engine.snapshot().swarms[0]?.members.includes(a.peerId) === true);
    fx.connect(a, b);
    await until(complete(b, fileId!), 5000, 'b complete');
    expect(await blobSha256(await b.engine.fileBlob(fileId!))).toBe(await blobSha256(file));
    const got = fileOf(b.engine.snapshot(), fileId!)!;
    expect(got.sources).toEqual({ [a.peerId]: got.pieceCount });
    expect(got.pieceSources.every((s) => s === a.peerId)).toBe(true);
  });

  it('swarm engine: a third peer downloads from two peers at once', async () => {
    fx = createEngineFixture();
    const [a, b, c] = [await fx.peer('a1', { params }), await fx.peer('b2', { params }), await fx.peer('c3', { params })];
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(4096 * KiB, 'big.bin');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await b.engine.joinSwarm(swarmId);
    await until(() => b.engine.snapshot().swarms[0]?.members.length === 1);
    fx.connect(a, b);
    await until(complete(b, fileId!), 5000, 'b complete');
    await c.engine.joinSwarm(swarmId);
    await until(() => c.engine.snapshot().swarms[0]?.members.length === 2);
    fx.connect(c, a);
    fx.connect(c, b);
    await until(complete(c, fileId!), 5000, 'c complete');
    const got = fileOf(c.engine.snapshot(), fileId!)!;
    expect(Object.keys(got.sources).sort()).toEqual([a.peerId, b.peerId].sort());
    expect(await blobSha256(await c.engine.fileBlob(fileId!))).toBe(await blobSha256(file));
  });

  it('swarm engine: leechers tell each other which pieces they started, never the seeder, and both finish intact', async () => {
    fx = createEngineFixture();
    const [a, b, c] = [await fx.peer('a1', { params }), await fx.peer('b2', { params }), await fx.peer('c3', { params })];
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(2048 * KiB, 'shared.bin');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await Promise.all([b.engine.joinSwarm(swarmId), c.engine.joinSwarm(swarmId)]);
    await until(() => [b, c].every((p) => p.engine.snapshot().swarms[0]?.members.length === 2), 5000, 'members');
    fx.connect(a, b);
    fx.connect(a, c);
    fx.connect(b, c);
    await until(() => complete(b, fileId!)() && complete(c, fileId!)(), 5000, 'b and c complete');
    const fetchingSent = (from: TestPeer, to: TestPeer) =>
      from.linkTo.get(to.peerId)!.sentFrames.map((f) => decode(f)).filter((m) => m.ok && m.value.type === 'fetching').length;
    expect(fetchingSent(b, c) + fetchingSent(c, b)).toBeGreaterThan(0);
    expect(fetchingSent(b, a) + fetchingSent(c, a)).toBe(0); // the seeder has every piece: nothing to tell it
    for (const p of [b, c]) expect(await blobSha256(await p.engine.fileBlob(fileId!))).toBe(await blobSha256(file));
  });

  it('swarm engine: two swarms over one link route each file to its own swarm', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const c = await fx.peer('c3', { params });
    const [s1, s2] = [await a.engine.createSwarm(), await a.engine.createSwarm()];
    const [f1, f2] = [randomFile(300 * KiB, 'f1.bin'), randomFile(500 * KiB, 'f2.bin')];
    const [id1] = await a.engine.seed(s1, [f1]);
    const [id2] = await a.engine.seed(s2, [f2]);
    await c.engine.joinSwarm(s1);
    await c.engine.joinSwarm(s2);
    await until(() => c.engine.snapshot().swarms.every((s) => s.members.length === 1 && s.files.length === 1));
    fx.connect(a, c);
    await until(() => complete(c, id1!)() && complete(c, id2!)(), 5000, 'both complete');
    const snap = c.engine.snapshot();
    expect(snap.swarms.find((s) => s.swarmId === s1)!.files.map((f) => f.fileId)).toEqual([id1]);
    expect(snap.swarms.find((s) => s.swarmId === s2)!.files.map((f) => f.fileId)).toEqual([id2]);
    expect(await blobSha256(await c.engine.fileBlob(id1!))).toBe(await blobSha256(f1));
    expect(await blobSha256(await c.engine.fileBlob(id2!))).toBe(await blobSha256(f2));
  });

  it('swarm engine: a bitfield that arrived before its route was known is sent again', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const store = createMemoryStore();
    const b = await fx.peer('b2', { params, store });
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [randomFile(256 * KiB, 'late.bin')]);
    store.listDelayMs = 100;
    await b.engine.joinSwarm(swarmId);
    await until(() => b.engine.snapshot().swarms[0]?.members.length === 1 && a.engine.snapshot().swarms[0]?.members.length === 1);
    fx.connect(a, b);
    await until(complete(b, fileId!), 5000, 'b complete');
    expect(b.engine.snapshot().counters.badMessages).toBeGreaterThan(0);
  });

  it('swarm engine: garbage, forged and unrequested frames are counted and dropped, serving goes on', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const b = await fx.peer('b2', { params });
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [randomFile(256 * KiB, 'x.bin')]);
    await b.engine.joinSwarm(swarmId);
    await until(() => a.engine.snapshot().swarms[0]?.members.length === 1);
    fx.connect(a, b);
    await until(complete(b, fileId!), 5000, 'b complete');
    const toA = b.linkTo.get(a.peerId)!;
    const before = a.engine.snapshot().counters.badMessages;
    await toA.send(new Uint8Array([WIRE_VERSION, 99, 1, 2, 3]));
    await toA.send(encode({ type: 'hello', peerId: 'f'.repeat(32), version: WIRE_VERSION, swarms: [] }));
    await toA.send(encode({ type: 'block', swarmId, fileId: fileId!, piece: 0, offset: 0, data: new Uint8Array(100) }));
    await toA.send(encode({ type: 'request', swarmId: 'e'.repeat(32), fileId: fileId!, piece: 0, offset: 0, length: 100 }));
    await until(() => a.engine.snapshot().counters.badMessages >= before + 3, 2000, 'bad frames counted');
    expect(a.engine.snapshot().counters.rejectsSent).toBeGreaterThan(0);
  });

  it('swarm engine: a reload resumes from the store without fetching verified pieces again', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const store = createMemoryStore();
    const b = await fx.peer('b2', { params, store });
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(1024 * KiB, 'r.bin');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await b.engine.joinSwarm(swarmId);
    await until(() => a.engine.snapshot().swarms[0]?.members.length === 1);
    fx.connect(a, b);
    await until(() => (fileOf(b.engine.snapshot(), fileId!)?.piecesHad ?? 0) >= 5, 5000, 'some pieces');
    fx.disconnect(a, b);
    b.engine.close();
    const had = (await store.storedPieces(fileId!)).length;
    const b2 = await fx.peer('b2', { params, store });
    await until(() => fileOf(b2.engine.snapshot(), fileId!) !== undefined, 2000, 'resumed route');
    expect(b2.engine.snapshot().counters.piecesResumed).toBe(had);
    fx.connect(a, b2);
    await until(complete(b2, fileId!), 5000, 'b2 complete');
    const snap = b2.engine.snapshot();
    expect(snap.counters.piecesVerified).toBe(fileOf(snap, fileId!)!.pieceCount - had);
    expect(await blobSha256(await b2.engine.fileBlob(fileId!))).toBe(await blobSha256(file));
  });

  it('swarm engine: a full store puts the file in error and counts nothing as had', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const store = createMemoryStore();
    store.failWrites = true;
    const b = await fx.peer('b2', { params, store });
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [randomFile(256 * KiB, 'q.bin')]);
    await b.engine.joinSwarm(swarmId);
    await until(() => a.engine.snapshot().swarms[0]?.members.length === 1);
    fx.connect(a, b);
    await until(() => fileOf(b.engine.snapshot(), fileId!)?.state === 'error', 5000, 'error state');
    const got = fileOf(b.engine.snapshot(), fileId!)!;
    expect(got.piecesHad).toBe(0);
    expect(got.error).toMatch(/full/);
  });
});
