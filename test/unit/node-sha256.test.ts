import { afterEach, describe, expect, it } from 'vitest';
import { nodeSha256Hex } from '../../node-peer/sha256.ts';
import { createManifest } from '../../shared/manifest.ts';
import { sha256Hex } from '../../shared/sha256.ts';
import { createEngineFixture, fileOf, randomBytes, SMALL_PIECES, until, type EngineFixture } from '../helpers/engine-fixture.ts';
import { attachHostilePeer } from '../helpers/hostile-peer.ts';

// The Node peer's engine verifies pieces with node:crypto (node-peer/sha256.ts) instead of WebCrypto: the same
// digests, every piece still checked before it is stored, a corrupt one still refused.

const KiB = 1024;
let fx: EngineFixture | undefined;
afterEach(() => fx?.closeAll());

describe('node sha256', () => {
  it('node sha256: the same hex digest as WebCrypto, for whole buffers and views into larger ones', async () => {
    const big = randomBytes(1024 * KiB + 5);
    for (const bytes of [new Uint8Array(0), big.subarray(0, 1), big.subarray(3, 3 + 64 * KiB), big.subarray(5), big]) {
      expect(nodeSha256Hex(bytes)).toBe(await sha256Hex(bytes));
    }
  });

  it('node sha256: an engine given it stores only pieces that hash right; a liar\'s corrupt pieces are refused', async () => {
    fx = createEngineFixture();
    const hashed: string[] = [];
    const sha256 = (bytes: Uint8Array): string => {
      const hex = nodeSha256Hex(bytes);
      hashed.push(hex);
      return hex;
    };
    const a = await fx.peer('a1', { params: SMALL_PIECES });
    const b = await fx.peer('b2', { params: SMALL_PIECES, sha256 });
    const bytes = randomBytes(1024 * KiB);
    const file = new File([bytes], 'f.bin', { type: 'application/octet-stream' });
    const swarmId = await a.engine.createSwarm();
    const [fileId] = await a.engine.seed(swarmId, [file]);
    const { manifest } = await createManifest(file, { smallestPieceLength: SMALL_PIECES.smallestPieceLength });
    await b.engine.joinSwarm(swarmId);
    await until(() => fileOf(b.engine.snapshot(), fileId!) !== undefined, 2000, 'b knows the file');
    const route = { swarmId, fileId: fileId! };
    const liar = attachHostilePeer(fx, b, 'bad1', { swarms: [swarmId], join: true, serve: { route, manifest, bytes, corrupt: true } });
    await until(() => b.engine.snapshot().swarms.flatMap((s) => s.members).includes(liar.peerId), 2000, 'liar is a member');
    await liar.greet();
    await until(() => b.engine.snapshot().counters.piecesCorrupt >= 1, 5000, 'a corrupt piece');
    fx.connect(a, b);
    await until(() => fileOf(b.engine.snapshot(), fileId!)?.state === 'complete', 10_000, 'b complete');

    const got = new Uint8Array(await (await b.engine.fileBlob(fileId!)).arrayBuffer());
    expect(nodeSha256Hex(got)).toBe(nodeSha256Hex(bytes));
    // Every stored piece is one the given hasher found equal to the manifest's hash.
    for (const [index, hash] of manifest.pieceHashes.entries()) {
      expect(nodeSha256Hex(b.store.pieces.get(`${fileId}:${index}`)!)).toBe(hash);
      expect(hashed).toContain(hash);
    }
    expect(hashed.some((hex) => !manifest.pieceHashes.includes(hex))).toBe(true); // the liar's pieces, refused
  });
});
