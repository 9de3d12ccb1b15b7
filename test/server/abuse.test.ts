import { afterEach, describe, expect, it } from 'vitest';
import { computeFileId, type Manifest } from '../../shared/manifest.ts';
import { MAX_FILE_NAME_LENGTH, MAX_PIECES_PER_FILE, MAX_SIGNAL_FRAME_BYTES } from '../../shared/limits.ts';
import { CLOSE_RATE_LIMIT, CLOSE_TOO_LARGE, encodeFrame } from '../../shared/signaling.ts';
import { makeFile, newSwarmId, startHarness, type Harness, type TestClient } from './fixture.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});
const start = async (...args: Parameters<typeof startHarness>) => (h = await startHarness(...args));

/** Proves `b` is still served: a signal from b reaches a through their common swarm. */
async function stillRelays(a: TestClient & { peerId: string }, b: TestClient & { peerId: string }): Promise<void> {
  b.send({ type: 'signal', to: a.peerId, payload: { type: 'renegotiate', renegotiate: true } });
  expect(await a.next('signal')).toMatchObject({ from: b.peerId });
}

describe('signaling abuse', () => {
  it('bad frames: each kind answered with its code while another client keeps working', async () => {
    const { peer } = await start();
    const swarmId = newSwarmId();
    const bad = await peer();
    const good = await peer();
    await bad.join(swarmId);
    await good.join(swarmId);
    const cases: [string | Buffer, string, string?][] = [
      ['{"v":1,"type":"join"', 'ERR_BAD_JSON'],
      ['"just a string"', 'ERR_BAD_FRAME'],
      ['[1,2,3]', 'ERR_BAD_FRAME'],
      ['null', 'ERR_BAD_FRAME'],
      [Buffer.from([1, 2, 3]), 'ERR_BAD_FRAME'],
      ['{"v":1,"type":"teleport"}', 'ERR_UNKNOWN_TYPE'],
      ['{"v":1}', 'ERR_UNKNOWN_TYPE'],
      [JSON.stringify({ v: 2, type: 'join', swarmId }), 'ERR_BAD_FRAME', 'join'],
      [JSON.stringify({ v: 1, type: 'join', swarmId: swarmId.toUpperCase() }), 'ERR_BAD_FRAME', 'join'],
      [JSON.stringify({ v: 1, type: 'join', swarmId: `${swarmId}00` }), 'ERR_BAD_FRAME', 'join'],
      [JSON.stringify({ v: 1, type: 'signal', to: good.peerId, payload: { type: 'offer' } }), 'ERR_BAD_FRAME', 'signal'],
      [JSON.stringify({ v: 1, type: 'signal', to: good.peerId, payload: { type: 'pwn', sdp: '' } }), 'ERR_BAD_FRAME', 'signal'],
      [JSON.stringify({ v: 1, type: 'nickname', nickname: 'x'.repeat(33) }), 'ERR_NICKNAME', 'nickname'],
      [JSON.stringify({ v: 1, type: 'nickname', nickname: '   ' }), 'ERR_NICKNAME', 'nickname'],
      [JSON.stringify({ v: 1, type: 'nickname', nickname: 'x'.repeat(200) }), 'ERR_BAD_FRAME', 'nickname'],
      [JSON.stringify({ v: 1, type: 'announce', swarmId, fileId: 'ab', manifest: {} }), 'ERR_BAD_FRAME', 'announce'],
      [JSON.stringify({ v: 1, type: 'leave', swarmId: newSwarmId() }), 'ERR_NOT_MEMBER', 'leave'],
      [JSON.stringify({ v: 1, type: 'signal', to: 'cd'.repeat(16), payload: { type: 'renegotiate', renegotiate: true } }), 'ERR_NO_SUCH_PEER', 'signal'],
      [JSON.stringify({ v: 1, type: 'resolve-code', code: 'ZZZZZZ' }), 'ERR_UNKNOWN_CODE', 'resolve-code'],
      ['x'.repeat(MAX_SIGNAL_FRAME_BYTES + 1), 'ERR_FRAME_TOO_LARGE'],
    ];
    for (const [frame, code, ref] of cases) {
      bad.send(frame);
      const error = await bad.next('error');
      expect(error.code, String(frame).slice(0, 80)).toBe(code);
      expect(error.ref).toBe(ref);
      expect(error.message.length).toBeLessThanOrEqual(200);
      await stillRelays(bad, good);
    }
    await stillRelays(good, bad);
  });

  it('frame limit: an announce of a maximal manifest (4096 pieces, longest name) fits in one frame', async () => {
    const { peer } = await start();
    const swarmId = newSwarmId();
    const a = await peer();
    const b = await peer();
    await a.join(swarmId);
    await b.join(swarmId);
    const pieceLength = 64 * 1024;
    const manifest: Manifest = {
      name: '\u00e9'.repeat(MAX_FILE_NAME_LENGTH),
      size: MAX_PIECES_PER_FILE * pieceLength,
      mimeType: 'application/octet-stream',
      pieceLength,
      pieceHashes: Array.from({ length: MAX_PIECES_PER_FILE }, (_, i) => i.toString(16).padStart(64, 'f')),
    };
    const fileId = await computeFileId(manifest);
    const frame = encodeFrame({ type: 'announce', swarmId, fileId, manifest });
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(MAX_SIGNAL_FRAME_BYTES);
    a.send(frame);
    expect((await b.next('announcement')).manifest.pieceHashes).toHaveLength(MAX_PIECES_PER_FILE);
  });

  it('oversized: repeated frames over the limit close the socket 4009; others unaffected', async () => {
    const { peer } = await start({ limits: { maxOversizedFrames: 3 } });
    const swarmId = newSwarmId();
    const big = await peer();
    const a = await peer();
    const b = await peer();
    for (const p of [big, a, b]) await p.join(swarmId);
    const oversized = 'x'.repeat(MAX_SIGNAL_FRAME_BYTES + 1);
    for (let i = 0; i < 4; i++) big.send(oversized);
    expect(await big.closed).toMatchObject({ code: CLOSE_TOO_LARGE });
    expect(big.received.filter((f) => f.type === 'error' && f.code === 'ERR_FRAME_TOO_LARGE')).toHaveLength(3);
    expect(await a.next('peer-left')).toMatchObject({ peerId: big.peerId });
    await stillRelays(a, b);
  });

  it('flood: a socket that keeps sending over its rate gets ERR_RATE_LIMIT, then is closed 4008', async () => {
    const { peer } = await start();
    const swarmId = newSwarmId();
    const flooder = await peer();
    const a = await peer();
    const b = await peer();
    for (const p of [flooder, a, b]) await p.join(swarmId);
    const frame = encodeFrame({ type: 'leave', swarmId: newSwarmId() });
    for (let i = 0; i < 2000 && flooder.socket.readyState === flooder.socket.OPEN; i++) flooder.send(frame);
    expect(await flooder.closed).toMatchObject({ code: CLOSE_RATE_LIMIT });
    expect(flooder.received.some((f) => f.type === 'error' && f.code === 'ERR_RATE_LIMIT')).toBe(true);
    await stillRelays(a, b);
  });

  it('flood: resolve-code is charged more, so guessing runs out of budget long before other frames', async () => {
    const { peer } = await start({ limits: { rateBurst: 40, ratePerSecond: 0.001, maxRateStrikes: 1000 } });
    const guesser = await peer(); // hello: 1 of 40; each guess costs 10
    for (let i = 0; i < 5; i++) guesser.send({ type: 'resolve-code', code: 'ZZZZZZ' });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await guesser.next('error')).code);
    expect(codes).toEqual(['ERR_UNKNOWN_CODE', 'ERR_UNKNOWN_CODE', 'ERR_UNKNOWN_CODE', 'ERR_RATE_LIMIT', 'ERR_RATE_LIMIT']);
    expect(await guesser.join(newSwarmId())).toMatchObject({ members: [] });
  });

  it('limits: swarms per socket, members per swarm, announcements and their bytes per swarm', async () => {
    const { peer } = await start({
      limits: { maxSwarmsPerSocket: 2, maxMembersPerSwarm: 2, maxAnnouncementsPerSwarm: 2, maxAnnouncedBytesPerSwarm: 2000 },
    });
    const [s1, s2, s3] = [newSwarmId(), newSwarmId(), newSwarmId()];
    const a = await peer();
    await a.join(s1);
    await a.join(s2);
    a.send({ type: 'join', swarmId: s3 });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_LIMIT', ref: 'join' });
    const b = await peer();
    await b.join(s1);
    const c = await peer();
    c.send({ type: 'join', swarmId: s1 });
    expect(await c.next('error')).toMatchObject({ code: 'ERR_LIMIT', ref: 'join' });

    const [f1, f2, f3] = await Promise.all([1, 2, 3].map((seed) => makeFile(100, seed)));
    for (const file of [f1!, f2!]) {
      a.send({ type: 'announce', swarmId: s1, ...file });
      await b.next('announcement');
    }
    a.send({ type: 'announce', swarmId: s1, ...f3! });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_LIMIT', ref: 'announce' });
    a.send({ type: 'announce', swarmId: s2, ...(await makeFile(40 * 64 * 1024, 4)) });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_LIMIT', ref: 'announce' });
    a.send({ type: 'announce', swarmId: s2, ...f3! });
    a.send({ type: 'share-code', swarmId: s2 }); // frames are handled in order: once answered, the announce is done
    await a.next('share-code');
    expect((await c.join(s2)).announcements).toEqual([{ ...f3!, from: a.peerId }]);
  });

  it('heartbeat: a socket that stops answering pings is dropped and peer-left broadcast', async () => {
    const { connect, peer } = await start({ heartbeatMs: 40 });
    const swarmId = newSwarmId();
    const silent = await connect({ autoPong: false });
    const { peerId } = await silent.hello();
    await silent.join(swarmId);
    const alive = await peer();
    await alive.join(swarmId);
    expect(await alive.next('peer-left')).toEqual({ v: 1, type: 'peer-left', swarmId, peerId });
    expect((await silent.closed).code).toBe(1006);
    const other = await peer();
    expect((await other.join(swarmId)).members.map((m) => m.peerId)).toEqual([alive.peerId]);
  });
});
