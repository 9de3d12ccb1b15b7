import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHARE_CODE_ALPHABET } from '../../shared/signaling.ts';
import { makeFile, newSwarmId, startHarness, TAG, type Harness } from './fixture.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } as const;

describe('signaling swarm', () => {
  it('join: the joiner gets the other members, the members get peer-joined', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer('Ada');
    const b = await h.peer('Bob');
    expect(await a.join(swarmId)).toEqual({ v: 1, type: 'joined', swarmId, members: [], announcements: [] });
    expect((await b.join(swarmId)).members).toEqual([{ peerId: a.peerId, nickname: 'Ada', addressTag: TAG }]);
    expect(await a.next('peer-joined')).toEqual({ v: 1, type: 'peer-joined', swarmId, peer: { peerId: b.peerId, nickname: 'Bob', addressTag: TAG } });
  });

  it('join: joining again answers the current state without a second peer-joined', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    await b.join(swarmId);
    expect((await b.join(swarmId)).members.map((m) => m.peerId)).toEqual([a.peerId]);
    b.send({ type: 'nickname', nickname: 'Bob' });
    await a.next('peer-updated');
    expect(a.received.filter((f) => f.type === 'peer-joined')).toHaveLength(1);
  });

  it('announce: verified, broadcast to the other members, replayed to a late joiner', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    await b.join(swarmId);
    const file1 = await makeFile(200_000, 1);
    const file2 = await makeFile(10, 2);
    a.send({ type: 'announce', swarmId, ...file1 });
    expect(await b.next('announcement')).toEqual({ v: 1, type: 'announcement', swarmId, ...file1, from: a.peerId });
    b.send({ type: 'announce', swarmId, ...file2 });
    await a.next('announcement');
    a.send({ type: 'announce', swarmId, ...file1 }); // a duplicate is stored once

    const late = await h.peer();
    expect((await late.join(swarmId)).announcements).toEqual([
      { ...file1, from: a.peerId },
      { ...file2, from: b.peerId },
    ]);
  });

  it('announce: a manifest that does not hash to its fileId is refused and never broadcast', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    await b.join(swarmId);
    const real = await makeFile(70_000, 3);
    const other = await makeFile(70_000, 4);
    const forgeries = [
      { fileId: real.fileId, manifest: { ...real.manifest, name: 'innocent.txt' } },
      { fileId: real.fileId, manifest: other.manifest },
      { fileId: real.fileId, manifest: { ...real.manifest, pieceHashes: real.manifest.pieceHashes.slice(1) } },
    ];
    for (const forged of forgeries) {
      a.send({ type: 'announce', swarmId, ...forged });
      expect(await a.next('error')).toMatchObject({ code: 'ERR_MANIFEST', ref: 'announce' });
    }
    expect((await (await h.peer()).join(swarmId)).announcements).toEqual([]);
    expect(b.received.some((f) => f.type === 'announcement')).toBe(false);
  });

  it('announce: only a member may announce', async () => {
    const a = await h.peer();
    a.send({ type: 'announce', swarmId: newSwarmId(), ...(await makeFile(10, 5)) });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_NOT_MEMBER', ref: 'announce' });
  });

  it('signal: relayed inside a swarm, rebuilt without extra fields', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    await b.join(swarmId);
    a.send(JSON.stringify({ v: 1, type: 'signal', to: b.peerId, payload: { ...offer, evil: '<script>' }, from: b.peerId }));
    expect(await b.next('signal')).toEqual({ v: 1, type: 'signal', from: a.peerId, payload: offer });
    const candidate = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } } as const;
    b.send({ type: 'signal', to: a.peerId, payload: candidate });
    expect(await a.next('signal')).toEqual({ v: 1, type: 'signal', from: b.peerId, payload: candidate });
  });

  it('signal: refused across swarms and to unknown peers', async () => {
    const a = await h.peer();
    const b = await h.peer();
    await a.join(newSwarmId());
    await b.join(newSwarmId());
    a.send({ type: 'signal', to: b.peerId, payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_NO_SUCH_PEER', ref: 'signal' });
    a.send({ type: 'signal', to: 'ab'.repeat(16), payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_NO_SUCH_PEER', ref: 'signal' });
    b.send({ type: 'join', swarmId: newSwarmId() });
    await b.next('joined');
    expect(b.received.some((f) => f.type === 'signal')).toBe(false);
  });

  it('leave: answered left, the others get peer-left, and relay stops', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    await b.join(swarmId);
    b.send({ type: 'leave', swarmId });
    expect(await b.next('left')).toEqual({ v: 1, type: 'left', swarmId });
    expect(await a.next('peer-left')).toEqual({ v: 1, type: 'peer-left', swarmId, peerId: b.peerId });
    a.send({ type: 'signal', to: b.peerId, payload: offer });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_NO_SUCH_PEER' });
    b.send({ type: 'leave', swarmId });
    expect(await b.next('error')).toMatchObject({ code: 'ERR_NOT_MEMBER', ref: 'leave' });
  });

  it('close: a closed socket is peer-left in every swarm it was in', async () => {
    const [s1, s2] = [newSwarmId(), newSwarmId()];
    const a = await h.peer();
    const b = await h.peer();
    for (const swarmId of [s1, s2]) {
      await a.join(swarmId);
      await b.join(swarmId);
    }
    b.socket.close();
    const left = [await a.next('peer-left'), await a.next('peer-left')];
    expect(left.map((f) => f.swarmId).sort()).toEqual([s1, s2].sort());
    expect(left.every((f) => f.peerId === b.peerId)).toBe(true);
  });

  it('share-code: same short code per swarm, resolvable case-insensitively, forgotten when the swarm empties', async () => {
    const swarmId = newSwarmId();
    const a = await h.peer();
    const b = await h.peer();
    await a.join(swarmId);
    a.send({ type: 'share-code', swarmId });
    const { code } = await a.next('share-code');
    expect(code).toMatch(new RegExp(`^[${SHARE_CODE_ALPHABET}]{6}$`));
    a.send({ type: 'share-code', swarmId });
    expect((await a.next('share-code')).code).toBe(code);
    b.send({ type: 'resolve-code', code: ` ${code.toLowerCase()} ` });
    expect(await b.next('code-resolved')).toEqual({ v: 1, type: 'code-resolved', code, swarmId });
    b.send({ type: 'share-code', swarmId });
    expect(await b.next('error')).toMatchObject({ code: 'ERR_NOT_MEMBER', ref: 'share-code' });

    a.send({ type: 'leave', swarmId });
    await a.next('left');
    b.send({ type: 'resolve-code', code });
    expect(await b.next('error')).toMatchObject({ code: 'ERR_UNKNOWN_CODE', ref: 'resolve-code' });
  });
});
