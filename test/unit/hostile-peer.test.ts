import { afterEach, describe, expect, it } from 'vitest';
import type { EngineParams } from '../../peer/snapshot-types.ts';
import { encode as encodeMsg } from '../../shared/codec.ts';
import { createManifest, pieceSize, type Manifest } from '../../shared/manifest.ts';
import { MAX_BAD_FRAMES_PER_LINK, MAX_HASH_STRIKES, MAX_WIRE_FRAME_BYTES } from '../../shared/limits.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import { WIRE_VERSION, type WireMsg } from '../../shared/wire-messages.ts';
import {
  createEngineFixture, fileOf, randomBytes, SMALL_PIECES, until, type EngineFixture, type TestPeer,
} from '../helpers/engine-fixture.ts';
import { attachHostilePeer } from '../helpers/hostile-peer.ts';

// Engines facing a peer that speaks the wire protocol wrongly on purpose (test/helpers/hostile-peer.ts).

const KiB = 1024;
// 64 KiB pieces, so a 2 MiB file has enough pieces for three strikes and a refetch from the honest seeder.
const params = SMALL_PIECES;

let fx: EngineFixture;
afterEach(() => fx?.closeAll());


/** A seeds a file in a new swarm; B joins it; both see each other as members, not yet linked. */
async function seededSwarm(bytes: Uint8Array, bParams: Partial<EngineParams> = params) {
  fx = createEngineFixture();
  const a = await fx.peer('a1', { params });
  const b = await fx.peer('b2', { params: bParams });
  const swarmId = await a.engine.createSwarm();
  const file = new File([bytes as BlobPart], 'f.bin', { type: 'application/octet-stream' });
  const [fileId] = await a.engine.seed(swarmId, [file]);
  const { manifest } = await createManifest(file, { smallestPieceLength: params.smallestPieceLength });
  await b.engine.joinSwarm(swarmId);
  await until(() => fileOf(b.engine.snapshot(), fileId!) !== undefined, 2000, 'b knows the file');
  return { a, b, swarmId, fileId: fileId!, manifest, route: { swarmId, fileId: fileId! } };
}

const complete = (p: TestPeer, fileId: string) => () => fileOf(p.engine.snapshot(), fileId)?.state === 'complete';
const membersOf = (p: TestPeer) => p.engine.snapshot().swarms.flatMap((s) => s.members);
const rejects = (received: WireMsg[]) => received.filter((m): m is Extract<WireMsg, { type: 'reject' }> => m.type === 'reject');

describe('hostile peer', () => {
  it('hostile peer: corrupt blocks are thrown away, fetched from the honest seeder, and the liar is banned after 3 strikes', async () => {
    const bytes = randomBytes(2048 * KiB);
    const { a, b, swarmId, fileId, manifest, route } = await seededSwarm(bytes);
    const liar = attachHostilePeer(fx, b, 'bad1', { swarms: [swarmId], join: true, serve: { route, manifest, bytes, corrupt: true } });
    await until(() => membersOf(b).includes(liar.peerId), 2000, 'liar is a member');
    await liar.greet();
    await until(() => b.engine.snapshot().counters.piecesCorrupt >= MAX_HASH_STRIKES, 5000, 'three corrupt pieces');
    fx.connect(a, b);
    await until(complete(b, fileId), 10_000, 'b complete');

    const snap = b.engine.snapshot();
    const got = fileOf(snap, fileId)!;
    expect(await sha256Hex(new Uint8Array(await (await b.engine.fileBlob(fileId)).arrayBuffer()))).toBe(await sha256Hex(bytes));
    expect(got.pieceSources.every((source) => source === a.peerId)).toBe(true);
    // Banned at the third strike. Pieces already complete may still fail after that: hashing is asynchronous, so
    // while the window's pieces await their hash the next window is already asked for (two windows at most).
    const windowPieces = params.windowPerPeer * params.blockSize / manifest.pieceLength;
    expect(snap.counters.piecesCorrupt).toBeGreaterThanOrEqual(MAX_HASH_STRIKES);
    expect(snap.counters.piecesCorrupt).toBeLessThanOrEqual(MAX_HASH_STRIKES + 2 * windowPieces);
    expect(liar.blocksServed).toBeGreaterThan(0);
    // Banned on the route: it is asked for nothing more, and its own requests are refused 'banned'.
    const asked = liar.received.filter((m) => m.type === 'request').length;
    await liar.send({ type: 'request', ...route, piece: 0, offset: 0, length: 16 * KiB });
    await until(() => rejects(liar.received).length > 0, 2000, 'reject');
    expect(rejects(liar.received)[0]).toMatchObject({ reason: 'banned', piece: 0 });
    expect(liar.received.some((m) => m.type === 'block')).toBe(false);
    expect(liar.received.filter((m) => m.type === 'request').length).toBe(asked);
  });

  it('hostile peer: unrequested blocks, unknown routes, spans past the piece, oversized, truncated and unknown frames are dropped and counted', async () => {
    const bytes = randomBytes(512 * KiB);
    const { a, b, swarmId, fileId, manifest, route } = await seededSwarm(bytes);
    fx.connect(a, b);
    await until(complete(b, fileId), 5000, 'b complete');
    const evil = attachHostilePeer(fx, a, 'bad2', { swarms: [swarmId], join: true });
    await until(() => membersOf(a).includes(evil.peerId), 2000, 'evil is a member');
    await evil.greet();
    const before = a.engine.snapshot().counters;
    const block = (piece: number, offset: number, length: number): WireMsg =>
      ({ type: 'block', ...route, piece, offset, data: new Uint8Array(length) });
    const frames: Uint8Array[] = [
      encodeMsg({ ...(block(0, 0, 100) as object), swarmId: 'e'.repeat(32) } as WireMsg), // unknown swarm
      encodeMsg({ ...(block(0, 0, 100) as object), fileId: 'e'.repeat(64) } as WireMsg), // unknown file
      encodeMsg(block(0, manifest.pieceLength - 10, 100)), // past the end of the piece
      encodeMsg(block(99, 0, 100)), // past the last piece
      new Uint8Array(MAX_WIRE_FRAME_BYTES + 1).fill(5), // oversized
      encodeMsg(block(0, 0, 100)).subarray(0, 70), // truncated
      new Uint8Array([WIRE_VERSION, 99, 1, 2, 3]), // unknown type
      new Uint8Array([7, 1]), // unknown version
      new Uint8Array(0), // empty
    ];
    for (const frame of frames) await evil.sendRaw(frame);
    await until(() => a.engine.snapshot().counters.badMessages >= before.badMessages + frames.length, 2000, 'counted');
    // A block of a piece we hold, never asked of it: counted, dropped, charged to it (a late duplicate would not be).
    await evil.send(block(0, 0, 16 * KiB));
    await until(() => a.engine.snapshot().counters.unrequestedBlocks > before.unrequestedBlocks, 2000, 'unrequested counted');
    expect(a.engine.snapshot().peers.find((p) => p.peerId === evil.peerId)?.faults).toEqual({ ERR_UNREQUESTED: 1 });
    expect(evil.link.state).toBe('connected'); // a few bad frames are tolerated
    expect(a.engine.snapshot().peers.map((p) => p.peerId)).toContain(evil.peerId);
  });

  it('hostile peer: a link that keeps sending bad frames is closed; the other links keep working', async () => {
    const bytes = randomBytes(1024 * KiB);
    const { a, b, swarmId, fileId } = await seededSwarm(bytes);
    const evil = attachHostilePeer(fx, a, 'bad3', { swarms: [swarmId], join: true });
    await until(() => membersOf(a).includes(evil.peerId), 2000, 'evil is a member');
    await evil.greet();
    fx.connect(a, b);
    for (let i = 0; i <= MAX_BAD_FRAMES_PER_LINK && evil.link.state !== 'closed'; i++) {
      await evil.sendRaw(new Uint8Array([WIRE_VERSION, 99, i & 0xff]));
    }
    await until(() => evil.link.state === 'closed', 2000, 'evil link closed');
    expect(a.engine.snapshot().peers.map((p) => p.peerId)).not.toContain(evil.peerId);
    await until(complete(b, fileId), 5000, 'b complete');
    expect(await sha256Hex(new Uint8Array(await (await b.engine.fileBlob(fileId)).arrayBuffer()))).toBe(await sha256Hex(bytes));
  });

  it('hostile peer: asking for a swarm it does not share gets a reject, never data', async () => {
    const bytes = randomBytes(256 * KiB);
    const { a, swarmId: shared, route } = await seededSwarm(bytes);
    const other = await a.engine.createSwarm();
    const [otherFileId] = await a.engine.seed(other, [new File([randomBytes(128 * KiB) as BlobPart], 'o.bin')]);
    const otherRoute = { swarmId: other, fileId: otherFileId! };
    // Member of the shared swarm only, yet its hello claims the other swarm too (it learned the id somehow).
    const snoop = attachHostilePeer(fx, a, 'bad4', { swarms: [shared, other], join: false });
    fx.hub.client(snoop.peerId).join(shared);
    await until(() => membersOf(a).includes(snoop.peerId), 2000, 'snoop is a member');
    await snoop.greet();
    const ask = { piece: 0, offset: 0, length: 16 * KiB };
    await snoop.send({ type: 'request', ...otherRoute, ...ask });
    await snoop.send({ type: 'request', swarmId: 'e'.repeat(32), fileId: otherFileId!, ...ask });
    await snoop.send({ type: 'request', ...route, ...ask }); // the one it may have
    await until(() => snoop.received.some((m) => m.type === 'block'), 2000, 'the shared block');
    await until(() => rejects(snoop.received).length >= 2, 2000, 'two rejects');
    expect(rejects(snoop.received).map((r) => [r.swarmId, r.reason])).toEqual([[other, 'unknown-route'], ['e'.repeat(32), 'unknown-route']]);
    const blocks = snoop.received.filter((m) => m.type === 'block');
    expect(blocks.map((m) => m.swarmId)).toEqual([shared]);
    expect(snoop.received.some((m) => m.type === 'bitfield' && m.swarmId === other)).toBe(false);
  });

  it('hostile peer: an announcement whose manifest does not hash to its fileId is refused', async () => {
    const bytes = randomBytes(256 * KiB);
    const { b, swarmId, fileId, manifest } = await seededSwarm(bytes);
    const forger = fx.hub.client('f'.repeat(32));
    forger.join(swarmId);
    const tampered: Manifest = { ...manifest, name: 'evil.exe', pieceHashes: manifest.pieceHashes.map(() => 'a'.repeat(64)) };
    const before = b.engine.snapshot().counters.badMessages;
    forger.announce(swarmId, 'b'.repeat(64), tampered); // a forged fileId
    const other = await createManifest(new File([randomBytes(64 * KiB) as BlobPart], 'x.bin'));
    forger.announce(swarmId, other.fileId, tampered); // a real fileId, someone else's manifest
    await until(() => b.engine.snapshot().counters.badMessages >= before + 2, 2000, 'both refused');
    const files = b.engine.snapshot().swarms.flatMap((s) => s.files);
    expect(files.map((f) => f.fileId)).toEqual([fileId]);
    expect(files.map((f) => f.name)).toEqual(['f.bin']);
  });

  it('hostile peer: a peer with nothing that sends garbage into the pieces the seeder serves is refused; the seeder is never blamed', async () => {
    const bytes = randomBytes(1024 * KiB);
    const { a, b, swarmId, fileId, manifest, route } = await seededSwarm(bytes);
    // It claims nothing, hears which pieces B started (B's 'fetching' hints) and sends garbage for every block of them.
    const framer = attachHostilePeer(fx, b, 'bad5', {
      swarms: [swarmId], join: true,
      onMessage: (msg, self) => {
        if (msg.type !== 'fetching') return;
        for (let offset = 0; offset < pieceSize(manifest, msg.piece); offset += params.blockSize) {
          const data = new Uint8Array(Math.min(params.blockSize, pieceSize(manifest, msg.piece) - offset)).fill(0xee);
          void self.send({ type: 'block', ...route, piece: msg.piece, offset, data }).catch(() => undefined);
        }
      },
    });
    await until(() => membersOf(b).includes(framer.peerId), 2000, 'framer is a member');
    await framer.greet();
    fx.connect(a, b);
    await until(complete(b, fileId), 10_000, 'b complete');

    expect(await sha256Hex(new Uint8Array(await (await b.engine.fileBlob(fileId)).arrayBuffer()))).toBe(await sha256Hex(bytes));
    expect(framer.received.some((m) => m.type === 'fetching')).toBe(true); // it did hear which pieces to aim at
    const snap = b.engine.snapshot();
    const seeder = snap.peers.find((p) => p.peerId === a.peerId)!;
    expect(seeder).toMatchObject({ linkState: 'connected', banned: false, faults: {} });
    expect(snap.counters.piecesCorrupt).toBe(0);
    expect(fileOf(snap, fileId)!.pieceSources.every((source) => source === a.peerId)).toBe(true);
    expect(snap.peers.find((p) => p.peerId === framer.peerId)?.faults.ERR_UNREQUESTED).toBeGreaterThan(0);
  }, 15_000);

  it('hostile peer: a liar and an honest seeder send blocks of the same pieces: only the liar is struck and banned', async () => {
    const bytes = randomBytes(2048 * KiB);
    // A window of 6 blocks for pieces of 4: each peer's pipeline ends halfway through a piece the other one finishes.
    const { a, b, swarmId, fileId, manifest, route } = await seededSwarm(bytes, { ...params, windowPerPeer: 6 });
    const liar = attachHostilePeer(fx, b, 'bad6', { swarms: [swarmId], join: true, serve: { route, manifest, bytes, corrupt: true } });
    await until(() => membersOf(b).includes(liar.peerId), 2000, 'liar is a member');
    fx.connect(a, b);
    await liar.greet();
    await until(complete(b, fileId), 10_000, 'b complete');

    expect(await sha256Hex(new Uint8Array(await (await b.engine.fileBlob(fileId)).arrayBuffer()))).toBe(await sha256Hex(bytes));
    const snap = b.engine.snapshot();
    expect(snap.counters.piecesCorrupt).toBeGreaterThan(0);
    expect(snap.peers.find((p) => p.peerId === a.peerId)).toMatchObject({ banned: false, faults: {} });
    const blamed = snap.peers.find((p) => p.peerId === liar.peerId)!;
    expect(blamed.banned).toBe(true);
    expect(blamed.faults.ERR_PIECE_HASH).toBeGreaterThanOrEqual(MAX_HASH_STRIKES);
  }, 15_000);
});
