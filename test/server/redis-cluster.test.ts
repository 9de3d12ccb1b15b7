import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasRedis, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { healthOf as health, redisConnected, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { connectTo, makeFile, newSwarmId, TAG, type TestClient } from './fixture.ts';

// Several `npm start` processes of one school sharing a real redis-server: members on different processes
// form one swarm; Redis restarting or a process dying leaves no process down and no member haunting a swarm.

/**
 * A process's keys live two beats and a socket two unanswered pings: a process (or this test's client) stalled
 * longer than that counts as dead. 300 ms made a 450 ms stall on a loaded machine look like one (as in
 * directory.test.ts); a killed process is still gone within about three beats.
 */
const HEARTBEAT_MS = 1_000;

describe.skipIf(!hasRedis)('signaling over Redis, several processes', () => {
  let redis: TestRedis;
  let processes: ServerProcess[] = [];
  let clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    await Promise.all(processes.map((p) => p.stop()));
    clients = [];
    processes = [];
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const start = async (n: number): Promise<ServerProcess[]> => {
    const started = await Promise.all(Array.from({ length: n }, () =>
      startServerProcess({ REDIS_URL: redis.url, HEARTBEAT_MS: String(HEARTBEAT_MS) })));
    processes.push(...started);
    await redisConnected(started);
    return started;
  };
  const peer = async (p: ServerProcess, nickname: string) => {
    const client = await connectTo(p.wsUrl);
    clients.push(client);
    const welcome = await client.hello({ nickname });
    return Object.assign(client, { peerId: welcome.peerId });
  };

  it('redis: members on three processes join, see announcements replayed, relay signals, resolve codes and leave', async () => {
    const [p0, p1, p2] = await start(3);
    const swarmId = newSwarmId();
    const a = await peer(p0!, 'Ada');
    const b = await peer(p1!, 'Bo');
    await a.join(swarmId);
    const { members } = await b.join(swarmId);
    expect(members).toEqual([{ peerId: a.peerId, nickname: 'Ada', addressTag: TAG }]);
    const { peer: joiner } = await a.next('peer-joined');
    expect(joiner).toEqual({ peerId: b.peerId, nickname: 'Bo', addressTag: TAG });
    expect(joiner.addressTag).toBe(members[0]!.addressTag); // one address, two processes sharing the key: one tag

    const file = await makeFile(200_000, 7);
    a.send({ type: 'announce', swarmId, ...file });
    expect((await b.next('announcement')).fileId).toBe(file.fileId);
    const c = await peer(p2!, 'Cy');
    const joined = await c.join(swarmId);
    expect(joined.members.map((m) => m.nickname).sort()).toEqual(['Ada', 'Bo']);
    expect(joined.announcements.map((x) => x.fileId)).toEqual([file.fileId]);

    c.send({ type: 'signal', to: a.peerId, payload: { type: 'offer', sdp: 'v=0' } });
    expect(await a.next('signal')).toMatchObject({ from: c.peerId, payload: { type: 'offer' } });
    a.send({ type: 'share-code', swarmId });
    const { code } = await a.next('share-code');
    c.send({ type: 'resolve-code', code });
    expect((await c.next('code-resolved')).swarmId).toBe(swarmId);

    b.send({ type: 'leave', swarmId });
    expect((await a.next('peer-left')).peerId).toBe(b.peerId);
    expect((await c.next('peer-left')).peerId).toBe(b.peerId);
    b.send({ type: 'signal', to: a.peerId, payload: { type: 'offer', sdp: 'v=0' } });
    expect((await b.next('error')).code).toBe('ERR_NO_SUCH_PEER');
  });

  it('redis: a process killed with SIGKILL loses its members from every swarm within the heartbeat window', async () => {
    const [p0, p1] = await start(2);
    const swarmId = newSwarmId();
    const a = await peer(p0!, 'Ada');
    const b = await peer(p1!, 'Bo');
    await a.join(swarmId);
    await b.join(swarmId);
    await p0!.kill();
    const killedAt = Date.now();
    expect((await b.next('peer-left')).peerId).toBe(a.peerId);
    console.log(`peer-left for a killed process's member after ${Date.now() - killedAt} ms (heartbeat ${HEARTBEAT_MS} ms)`);
    const late = await peer(p1!, 'Late');
    expect((await late.join(swarmId)).members).toEqual([{ peerId: b.peerId, nickname: 'Bo', addressTag: TAG }]);
  });

  it('redis: a Redis restart keeps every process serving; state is published again once it is back', async () => {
    const [p0, p1] = await start(2);
    const swarmId = newSwarmId();
    const a = await peer(p0!, 'Ada');
    const a2 = await peer(p0!, 'Ann');
    const b = await peer(p1!, 'Bo');
    for (const client of [a, a2, b]) await client.join(swarmId);
    const file = await makeFile(100_000, 3);
    a.send({ type: 'announce', swarmId, ...file });
    await b.next('announcement');

    await redis.kill();
    // ioredis sees the connection close at once; the default 1 s is less than one /healthz round trip can take at load.
    await vi.waitFor(async () => expect(await health(p0!)).toMatchObject({ ok: true, directory: { mode: 'degraded' } }), { timeout: 10_000 });
    a.send({ type: 'signal', to: a2.peerId, payload: { type: 'offer', sdp: 'v=0' } }); // same process: still relayed
    expect((await a2.next('signal')).from).toBe(a.peerId);

    await redis.restart(); // empty: every process publishes its members, announcements and codes again
    await redisConnected([p0!, p1!], 15_000);
    const c = await peer(p1!, 'Cy');
    await vi.waitFor(async () => {
      const joined = await c.join(swarmId);
      c.send({ type: 'leave', swarmId });
      await c.next('left');
      expect(joined.members.map((m) => m.nickname).sort()).toEqual(['Ada', 'Ann', 'Bo']);
      expect(joined.announcements.map((x) => x.fileId)).toEqual([file.fileId]);
    }, { timeout: 10_000 });
    b.send({ type: 'signal', to: a.peerId, payload: { type: 'offer', sdp: 'v=0' } });
    expect((await a.next('signal')).from).toBe(b.peerId);
    for (const p of processes) expect(p.output()).not.toMatch(/Unhandled|TypeError|ReferenceError/);
  });
});

describe('REDIS_URL', () => {
  it('redis: npm start refuses a REDIS_URL that is not a redis:// URL before serving anything', async () => {
    await expect(startServerProcess({ REDIS_URL: 'notaurl' })).rejects.toThrow(/REDIS_URL must look like redis:\/\/host:6379/);
  });
});
