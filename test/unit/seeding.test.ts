import { afterEach, describe, expect, it } from 'vitest';
import { blobSha256, createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture } from '../helpers/engine-fixture.ts';

// Seeding local files into an engine: progress per file, and a file the tab was already fetching.

const KiB = 1024;

let fx: EngineFixture;
afterEach(() => fx?.closeAll());

describe('seeding', () => {
  it('seeding: seeding the file the tab is fetching adopts the local bytes and completes at once', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params: SMALL_PIECES });
    const b = await fx.peer('b2', { params: SMALL_PIECES });
    const swarmId = await a.engine.createSwarm();
    const file = randomFile(1024 * KiB + 5, 'lecture.pdf');
    const [fileId] = await a.engine.seed(swarmId, [file]);
    await b.engine.joinSwarm(swarmId);
    await until(() => fileOf(b.engine.snapshot(), fileId!) !== undefined, 5000, 'announcement at b');
    expect(fileOf(b.engine.snapshot(), fileId!)!.state).not.toBe('complete'); // no link: nothing fetched yet

    expect(await b.engine.seed(swarmId, [file])).toEqual([fileId]);
    const got = fileOf(b.engine.snapshot(), fileId!)!;
    expect([got.state, got.piecesHad, got.seeded]).toEqual(['complete', got.pieceCount, true]);
    expect(got.pieceSources.every((s) => s === 'self')).toBe(true);
    expect(await blobSha256(await b.engine.fileBlob(fileId!))).toBe(await blobSha256(file));
  });

  it('seeding: two files of the same name each show their own progress', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params: SMALL_PIECES });
    const swarmId = await a.engine.createSwarm();
    const both = [randomFile(8192 * KiB, 'notes.txt'), randomFile(8192 * KiB, 'notes.txt')];
    const seeding = Promise.all(both.map((f) => a.engine.seed(swarmId, [f])));
    await until(() => a.engine.snapshot().seeding.filter((s) => s.name === 'notes.txt').length === 2, 3000, 'both listed');
    const ids = await seeding;
    expect(new Set(ids.flat()).size).toBe(2);
    expect(a.engine.snapshot().seeding).toEqual([]);
  });
});
