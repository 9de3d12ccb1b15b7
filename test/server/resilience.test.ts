import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SIGNAL_FRAME_BYTES } from '../../shared/limits.ts';
import { CLOSE_RATE_LIMIT, CLOSE_TOO_LARGE, encodeFrame } from '../../shared/signaling.ts';
import { makeFile, newSwarmId, startHarness, type Harness, type TestClient } from './fixture.ts';

// Several hostile sockets at once (malformed JSON, unknown frames, invalid IDs, oversized frames, floods)
// while two honest clients keep joining, announcing and relaying. Their round-trips are logged; the test
// asserts only that every one of them is answered, and that each abuser ends the way its abuse says.

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

type Peer = TestClient & { peerId: string };

/** One honest round: join a fresh swarm, announce a file the other sees, relay a signal both ways. */
async function honestRound(a: Peer, b: Peer, seed: number): Promise<number> {
  const started = performance.now();
  const swarmId = newSwarmId();
  await a.join(swarmId);
  await b.join(swarmId);
  a.send({ type: 'announce', swarmId, ...(await makeFile(70_000, seed)) });
  await b.next('announcement');
  a.send({ type: 'signal', to: b.peerId, payload: { type: 'renegotiate', renegotiate: true } });
  await b.next('signal');
  b.send({ type: 'signal', to: a.peerId, payload: { type: 'renegotiate', renegotiate: true } });
  await a.next('signal');
  a.send({ type: 'leave', swarmId });
  await a.next('left');
  return performance.now() - started;
}

/** Sends `frame` until the socket is closed or `max` were sent, yielding now and then so others run. */
async function abuse(client: TestClient, frame: () => string | Buffer, max: number): Promise<number> {
  let sent = 0;
  while (sent < max && client.socket.readyState === client.socket.OPEN) {
    client.send(frame());
    if (++sent % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  return sent;
}

describe('signaling resilience', () => {
  it('resilience: honest clients keep joining, announcing and relaying while five sockets abuse the server', async () => {
    h = await startHarness();
    const { peer } = h;
    const [a, b] = [await peer('ada'), await peer('bob')];
    const baseline = await honestRound(a, b, 1);

    const [junk, unknown, badIds, huge, flood] = [await peer(), await peer(), await peer(), await peer(), await peer()];
    const swarmId = newSwarmId();
    let n = 0;
    const abusers = Promise.all([
      abuse(junk, () => `{"v":1,"type":"join","swarmId":${n++}`, 300),
      abuse(unknown, () => encodeFrame({ type: 'hello' }).replace('hello', `teleport${n++ % 7}`), 300),
      abuse(badIds, () => JSON.stringify({ v: 1, type: 'join', swarmId: `${swarmId.slice(0, 30)}zz` }), 300),
      abuse(huge, () => 'x'.repeat(MAX_SIGNAL_FRAME_BYTES + 1), 10),
      abuse(flood, () => encodeFrame({ type: 'leave', swarmId }), 5000),
    ]);
    const roundTrips: number[] = [];
    let done = false;
    void abusers.then(() => (done = true));
    for (let round = 2; !done || round < 6; round++) roundTrips.push(await honestRound(a, b, round));
    await abusers;

    expect(roundTrips.length).toBeGreaterThanOrEqual(4);
    expect(await huge.closed).toMatchObject({ code: CLOSE_TOO_LARGE });
    expect(await flood.closed).toMatchObject({ code: CLOSE_RATE_LIMIT });
    const codes = (c: TestClient) => new Set(c.received.flatMap((f) => (f.type === 'error' ? [f.code] : [])));
    expect(codes(junk)).toContain('ERR_BAD_JSON');
    expect(codes(unknown)).toContain('ERR_UNKNOWN_TYPE');
    expect(codes(badIds)).toContain('ERR_BAD_FRAME');
    expect(codes(flood)).toContain('ERR_RATE_LIMIT');
    for (const c of [junk, unknown, badIds]) {
      // Each was answered, code by code, and either is still served or was closed for its rate, nothing else.
      const closed = await Promise.race([c.closed, new Promise<null>((r) => setTimeout(() => r(null), 50))]);
      if (closed) expect(closed.code).toBe(CLOSE_RATE_LIMIT);
    }
    const sorted = [...roundTrips].sort((x, y) => x - y);
    console.log(`resilience: honest round-trip ${baseline.toFixed(1)} ms before; during abuse ${roundTrips.length} rounds, ` +
      `median ${sorted[sorted.length >> 1]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
    const late = await peer('cy');
    expect((await late.join(newSwarmId())).members).toEqual([]);
  });
});
