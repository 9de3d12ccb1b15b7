import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../shared/signaling.ts';
import { makeFile, newSwarmId, startHarness, TAG, type Harness, type TestClient } from './fixture.ts';

// Budgets that hold across sockets: stored manifest bytes per peer, per address and in total; share-code guesses
// per address and wrong codes server-wide; and what a nickname may contain.

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});
const start = async (...args: Parameters<typeof startHarness>) => (h = await startHarness(...args));
type Peer = TestClient & { peerId: string };

/** A peer connected from `localAddress` (any 127.0.0.0/8 address reaches the server on 127.0.0.1). */
async function peerFrom(localAddress: string, nickname?: string): Promise<Peer> {
  const client = await h!.connect({ localAddress });
  const welcome = await client.hello(nickname === undefined ? {} : { nickname });
  return Object.assign(client, { peerId: welcome.peerId });
}

/** Announces and waits for the answer: the error code, or null when stored (the following share-code is answered). */
async function announce(peer: Peer, swarmId: string, seed: number): Promise<string | null> {
  peer.send({ type: 'announce', swarmId, ...(await makeFile(64 * 1024 * 8, seed)) });
  peer.send({ type: 'share-code', swarmId });
  await peer.next('share-code');
  const error = peer.received.find((f) => f.type === 'error' && f.ref === 'announce' && !seen.has(f));
  if (error) seen.add(error);
  return error?.type === 'error' ? error.code : null;
}
const seen = new Set<object>();

describe('manifest budgets', () => {
  it('budgets: one peer, one address and the whole server each store at most their budget; an emptied swarm frees it', async () => {
    // One announce stores 776 bytes of JSON: a peer fits 2, an address 3, the server 4.
    await start({ limits: { maxAnnouncedBytesPerPeer: 1600, maxAnnouncedBytesPerAddress: 2400, maxAnnouncedBytesTotal: 3200 } });
    const [s1, s2, s3] = [newSwarmId(), newSwarmId(), newSwarmId()];
    const a = await peerFrom('127.0.0.2');
    for (const s of [s1, s2, s3]) await a.join(s);
    expect(await announce(a, s1, 1)).toBeNull();
    expect(await announce(a, s2, 2)).toBeNull();
    expect(await announce(a, s3, 3)).toBe('ERR_BUDGET'); // a fresh swarm does not buy a fresh budget
    const a2 = await peerFrom('127.0.0.2'); // a second socket from the same laptop
    await a2.join(s3);
    expect(await announce(a2, s3, 4)).toBeNull();
    expect(await announce(a2, s3, 5)).toBe('ERR_BUDGET');
    const b = await peerFrom('127.0.0.3');
    await b.join(s3);
    expect(await announce(b, s3, 6)).toBeNull();
    expect(await announce(b, s3, 7)).toBe('ERR_BUDGET'); // the server's total
    for (const p of [a, a2, b]) p.send({ type: 'leave', swarmId: s3 });
    for (const p of [a, a2, b]) await p.next('left');
    const c = await peerFrom('127.0.0.4');
    await c.join(s3);
    expect(await announce(c, s3, 8)).toBeNull();
  });
});

describe('frame bytes per address', () => {
  it('bytes: the sockets of one address share one allowance of frame bytes; over it, ERR_RATE_LIMIT, others unaffected', async () => {
    // hello and join of both sockets take ~200 bytes; each padded rename ~870: two fit in 2,400, the third does not.
    await start({ limits: { inboundBytesBurstPerAddress: 2400, inboundBytesPerSecondPerAddress: 1 } });
    const swarmId = newSwarmId();
    const [a1, a2, b] = [await peerFrom('127.0.0.2'), await peerFrom('127.0.0.2'), await peerFrom('127.0.0.3')];
    for (const p of [a1, a2, b]) await p.join(swarmId);
    const padded = (name: string) => encodeFrame({ type: 'nickname', nickname: name }).replace('{', `{"pad":"${'x'.repeat(800)}",`);
    const count = (c: TestClient, type: string) => c.received.filter((f) => f.type === type).length;
    const outcomes = [];
    for (const [i, p] of [a1, a2, a1, a2].entries()) {
      const [errors, renames] = [count(p, 'error'), count(b, 'peer-updated')];
      p.send(padded(`A${i}`));
      while (count(p, 'error') === errors && count(b, 'peer-updated') === renames) await new Promise((r) => setTimeout(r, 5));
      outcomes.push(count(p, 'error') > errors ? 'refused' : 'renamed');
    }
    expect(outcomes).toEqual(['renamed', 'renamed', 'refused', 'refused']);
    expect(new Set(a1.received.concat(a2.received).flatMap((f) => (f.type === 'error' ? [f.code] : [])))).toEqual(new Set(['ERR_RATE_LIMIT']));
    b.send(padded('Bea'));
    const renamedBea = () => a1.received.some((f) => f.type === 'peer-updated' && f.peer.nickname === 'Bea');
    while (!renamedBea()) await new Promise((r) => setTimeout(r, 5));
  });
});

describe('share-code guessing', () => {
  it('guesses: counted per address however many sockets it opens; wrong codes are capped server-wide', async () => {
    await start({ limits: { codeGuessBurstPerAddress: 3, codeGuessesPerSecondPerAddress: 0.001, wrongCodeBurst: 5, wrongCodesPerSecond: 0.001 } });
    const guessOnce = async (peer: Peer) => {
      peer.send({ type: 'resolve-code', code: 'ZZZZZZ' });
      return (await peer.next('error')).code;
    };
    const fromOne = [];
    for (let i = 0; i < 5; i++) fromOne.push(await guessOnce(await peerFrom('127.0.0.2')));
    expect(fromOne).toEqual(['ERR_UNKNOWN_CODE', 'ERR_UNKNOWN_CODE', 'ERR_UNKNOWN_CODE', 'ERR_RATE_LIMIT', 'ERR_RATE_LIMIT']);
    const fromOthers = [];
    for (let i = 0; i < 4; i++) fromOthers.push(await guessOnce(await peerFrom(`127.0.0.${10 + i}`)));
    expect(fromOthers).toEqual(['ERR_UNKNOWN_CODE', 'ERR_UNKNOWN_CODE', 'ERR_RATE_LIMIT', 'ERR_RATE_LIMIT']);
  });
});

describe('nicknames', () => {
  it('nickname: normalised to NFC; controls, bidi overrides, separators and invisible names refused ERR_NICKNAME', async () => {
    await start();
    const swarmId = newSwarmId();
    const a = await peerFrom('127.0.0.2');
    const b = await peerFrom('127.0.0.3');
    await a.join(swarmId);
    await b.join(swarmId);
    const refused = ['Ada\u0085', 'Ada\u0007', 'evil\u202Etxt.exe', 'a\u2066b\u2069', '\u200B\u200B', '\u200D \u2060', 'two\u2028lines',
      'para\u2029', '\u3164', `Z${'\u0301'.repeat(8)}`];
    for (const nickname of refused) {
      a.send({ type: 'nickname', nickname });
      expect(await a.next('error'), JSON.stringify(nickname)).toMatchObject({ code: 'ERR_NICKNAME', ref: 'nickname' });
    }
    a.send({ type: 'nickname', nickname: '  Zoe\u0301 \u{1F469}\u200D\u{1F4BB} ' });
    expect((await b.next('peer-updated')).peer.nickname).toBe('Zo\u00e9 \u{1F469}\u200D\u{1F4BB}');
    expect(b.received.filter((f) => f.type === 'peer-updated')).toHaveLength(1);
  });

  it('nickname: a hello with a refused nickname is welcomed under the default name and told why', async () => {
    await start();
    const swarmId = newSwarmId();
    const a = await peerFrom('127.0.0.2', 'Mallory\u202E');
    expect(await a.next('error')).toMatchObject({ code: 'ERR_NICKNAME', ref: 'hello' });
    await a.join(swarmId);
    const b = await peerFrom('127.0.0.3');
    expect((await b.join(swarmId)).members).toEqual([{ peerId: a.peerId, nickname: `Peer ${a.peerId.slice(0, 4)}`, addressTag: TAG }]);
  });
});
