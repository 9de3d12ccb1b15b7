import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPeerId } from '../../shared/ids.ts';
import { CLOSE_REPLACED } from '../../shared/signaling.ts';
import { newSwarmId, startHarness, TAG, type Harness } from './fixture.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ iceServers: [{ urls: 'turn:10.0.0.1:3478', username: 'u', credential: 'c' }] });
});
afterEach(async () => h.close());

describe('signaling session', () => {
  it('hello: welcome carries a fresh peer id, a resume secret and the configured ICE servers', async () => {
    const a = await h.connect();
    const b = await h.connect();
    const wa = await a.hello();
    const wb = await b.hello();
    expect(isPeerId(wa.peerId)).toBe(true);
    expect(wa.peerId).not.toBe(wb.peerId);
    expect(wa.resumeSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(wa.resumed).toBe(false);
    expect(wa.iceServers).toEqual([{ urls: 'turn:10.0.0.1:3478', username: 'u', credential: 'c' }]);
  });

  it('hello: a second hello on the same socket is refused and the session is kept', async () => {
    const a = await h.connect();
    const welcome = await a.hello();
    a.send({ type: 'hello' });
    expect(await a.next('error')).toMatchObject({ code: 'ERR_BAD_FRAME', ref: 'hello' });
    const swarmId = newSwarmId();
    await a.join(swarmId);
    const b = await h.peer();
    expect((await b.join(swarmId)).members.map((m) => m.peerId)).toEqual([welcome.peerId]);
  });

  it('resume: same id back, old socket closed 4001, memberships kept without churn or ghost', async () => {
    const swarmId = newSwarmId();
    const oldA = await h.connect();
    const first = await oldA.hello({ nickname: 'Ada' });
    await oldA.join(swarmId);
    const b = await h.peer('Bob');
    await b.join(swarmId);

    const newA = await h.connect();
    const resumed = await newA.hello({ peerId: first.peerId, resumeSecret: first.resumeSecret });
    expect(resumed).toMatchObject({ peerId: first.peerId, resumed: true });
    expect(await oldA.closed).toMatchObject({ code: CLOSE_REPLACED, reason: 'replaced' });

    const c = await h.peer('Cy');
    const joined = await c.join(swarmId);
    expect(joined.members).toEqual([
      { peerId: first.peerId, nickname: 'Ada', addressTag: TAG },
      { peerId: b.peerId, nickname: 'Bob', addressTag: TAG },
    ]);
    await b.next('peer-joined');
    expect(b.received.map((f) => f.type)).toEqual(['welcome', 'joined', 'peer-joined']);
    expect(await newA.next('peer-joined')).toMatchObject({ peer: { peerId: c.peerId } });

    b.send({ type: 'signal', to: first.peerId, payload: { type: 'renegotiate', renegotiate: true } });
    expect(await newA.next('signal')).toMatchObject({ from: b.peerId });
  });

  it('resume: a wrong secret gets a fresh id and leaves the original session alone', async () => {
    const a = await h.connect();
    const first = await a.hello();
    const other = await h.connect();
    const wrong = await other.hello({ peerId: first.peerId, resumeSecret: 'f'.repeat(64) });
    expect(wrong.resumed).toBe(false);
    expect(wrong.peerId).not.toBe(first.peerId);
    const swarmId = newSwarmId();
    await a.join(swarmId);
    expect((await other.join(swarmId)).members.map((m) => m.peerId)).toEqual([first.peerId]);
  });

  it('resume: after the old socket closed, the id comes back with no memberships', async () => {
    const swarmId = newSwarmId();
    const a = await h.connect();
    const first = await a.hello();
    await a.join(swarmId);
    const b = await h.peer();
    await b.join(swarmId);
    a.socket.close();
    expect(await b.next('peer-left')).toEqual({ v: 1, type: 'peer-left', swarmId, peerId: first.peerId });

    const again = await h.connect();
    expect(await again.hello({ peerId: first.peerId, resumeSecret: first.resumeSecret })).toMatchObject({
      peerId: first.peerId, resumed: true,
    });
    expect((await again.join(swarmId)).members.map((m) => m.peerId)).toEqual([b.peerId]);
  });

  it('nickname: broadcast once as peer-updated to every peer sharing a swarm', async () => {
    const [s1, s2] = [newSwarmId(), newSwarmId()];
    const a = await h.peer('Ada');
    const b = await h.peer('Bob');
    const c = await h.peer('Cy');
    for (const p of [a, b]) {
      await p.join(s1);
      await p.join(s2);
    }
    await c.join(s2);
    a.send({ type: 'nickname', nickname: '  Ada L. ' });
    const update = { v: 1, type: 'peer-updated', peer: { peerId: a.peerId, nickname: 'Ada L.', addressTag: TAG } };
    expect(await b.next('peer-updated')).toEqual(update);
    expect(await c.next('peer-updated')).toEqual(update);
    b.send({ type: 'nickname', nickname: 'Bo' });
    await a.next('peer-updated');
    expect(b.received.filter((f) => f.type === 'peer-updated')).toHaveLength(1);
  });

  it('nickname: 300 changes in one burst reach each member as at most two peer-updated frames, the latest last', async () => {
    const swarmId = newSwarmId();
    const sender = await h.peer('Ada');
    const members: Array<Awaited<ReturnType<typeof h.peer>>> = [];
    for (let i = 0; i < 8; i++) members.push(await h.peer(`M${i}`));
    for (const p of [sender, ...members]) await p.join(swarmId);
    for (let i = 0; i < 300; i++) sender.send({ type: 'nickname', nickname: `Ada ${i}` });
    const updates = (p: (typeof members)[number]): string[] => p.received.flatMap((f) => (f.type === 'peer-updated' ? [f.peer.nickname] : []));
    for (const m of members) await expect.poll(() => updates(m).at(-1), { timeout: 10_000 }).toBe('Ada 299');
    for (const m of members) expect(updates(m).length).toBeLessThanOrEqual(2); // 300 each before: 255-fold in a full swarm
    const late = await h.peer('Late');
    expect((await late.join(swarmId)).members.find((m) => m.peerId === sender.peerId)?.nickname).toBe('Ada 299');
  });
});
