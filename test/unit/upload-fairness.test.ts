import { afterEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED_REQUESTS_PER_PEER } from '../../shared/limits.ts';
import { createManifest } from '../../shared/manifest.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import type { WireMsg } from '../../shared/wire-messages.ts';
import { createEngineFixture, fileOf, randomBytes, SMALL_PIECES, until, type EngineFixture } from '../helpers/engine-fixture.ts';
import { attachHostilePeer } from '../helpers/hostile-peer.ts';

// A peer that floods a seeder with requests must not starve an honest downloader of the same seeder.

const KiB = 1024;
const params = SMALL_PIECES;

let fx: EngineFixture;
afterEach(() => fx?.closeAll());

describe('upload fairness', () => {
  it('upload fairness: a request flood is capped per peer and an honest downloader is served in turn', async () => {
    fx = createEngineFixture();
    const a = await fx.peer('a1', { params });
    const b = await fx.peer('b2', { params });
    const bytes = randomBytes(2048 * KiB);
    const file = new File([bytes], 'f.bin');
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [file]);
    const { manifest } = await createManifest(file, { smallestPieceLength: params.smallestPieceLength });
    const route = { swarmId, fileId: fileId! };
    const flooder = attachHostilePeer(fx, a, 'f1', { swarms: [swarmId], join: true });
    await until(() => a.engine.snapshot().swarms[0]!.members.includes(flooder.peerId), 2000, 'flooder is a member');
    await flooder.greet();
    // The flooder reads slowly (its channel drains 2 ms after each frame), so its requests pile up at A.
    const toFlooder = a.linkTo.get(flooder.peerId)!;
    const send = toFlooder.send.bind(toFlooder);
    Object.assign(toFlooder, { send: (frame: Uint8Array) => send(frame).then(() => new Promise((r) => setTimeout(r, 2))) });

    // Every block of the file, over and over: each served or held-back block is asked for again at once.
    const spans = manifest.pieceHashes.flatMap((_, piece) =>
      [0, 1, 2, 3].map((block) => ({ piece, offset: block * 16 * KiB, length: 16 * KiB })));
    const ask = (span: (typeof spans)[number]) => void flooder.send({ type: 'request', ...route, ...span });
    let maxQueued = 0;
    const queuedAtA = () => a.engine.snapshot().peers.find((p) => p.peerId === flooder.peerId)?.peerRequestsQueued ?? 0;
    const onBlock = flooder.link.onMessage!;
    flooder.link.onMessage = (frame) => {
      onBlock(frame);
      maxQueued = Math.max(maxQueued, queuedAtA());
      const last = flooder.received.at(-1)!;
      if (last.type === 'block') ask({ piece: last.piece, offset: last.offset, length: last.data.length });
      if (last.type === 'reject' && last.reason === 'not-had') ask(last); // seed-once held it back: ask again anyway
    };
    for (const span of spans) ask(span);
    for (const span of spans) ask({ ...span, length: 8 * KiB });
    await until(() => flooder.received.some((m) => m.type === 'reject' && m.reason === 'queue-full'), 2000, 'queue-full');

    await b.engine.joinSwarm(swarmId);
    await until(() => a.engine.snapshot().swarms[0]!.members.includes(b.peerId), 2000, 'b is a member');
    const blocksToFlooder = () => flooder.received.filter((m) => m.type === 'block').length;
    const floodedBefore = blocksToFlooder();
    fx.connect(a, b);
    await until(() => fileOf(b.engine.snapshot(), fileId!)?.state === 'complete', 10_000, 'b complete');
    const floodedDuring = blocksToFlooder() - floodedBefore;
    const answersToFlooder = flooder.received.length;
    await new Promise((r) => setTimeout(r, 50));

    const servedToB = spans.length;
    expect(await sha256Hex(new Uint8Array(await (await b.engine.fileBlob(fileId!)).arrayBuffer()))).toBe(await sha256Hex(bytes));
    expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUED_REQUESTS_PER_PEER);
    expect(maxQueued).toBeGreaterThan(MAX_QUEUED_REQUESTS_PER_PEER / 2);
    // B's own window (8 requests) bounds its demand, so whenever B has nothing queued the seeder keeps serving
    // the flooder (work-conserving): measured ~3-4.5 flood blocks per B block. First-come-first-served behind a
    // full flood queue would give ~16 (128 queued / 8 in flight) per B block.
    expect(floodedDuring).toBeLessThanOrEqual(6 * servedToB);
    // Still flooding when B finished (A still answering it, with blocks or seed-once's 'not-had'): B did not wait for it.
    expect(flooder.received.length).toBeGreaterThan(answersToFlooder);
    const rejected = flooder.received.filter((m): m is Extract<WireMsg, { type: 'reject' }> => m.type === 'reject');
    // 'not-had' too: as the initial seeder, A refuses the flooder pieces B already holds (shared/seed-once.ts).
    expect(rejected.some((r) => r.reason === 'queue-full')).toBe(true);
    expect(rejected.every((r) => r.reason === 'queue-full' || r.reason === 'not-had')).toBe(true);
  });
});
