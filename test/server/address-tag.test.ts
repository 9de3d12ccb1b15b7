import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newSwarmId, startHarness, TAG, type Harness } from './fixture.ts';

// Members are told each peer's address tag (a keyed hash of its remote address), so a peer can cap what one
// laptop holds of its links (peer/links/link-policy.ts). The server sets it; nothing a client sends changes it.

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

/** A client from `localAddress` (any 127/8 address reaches the server on 127.0.0.1) that said hello. */
async function peerFrom(localAddress: string, hello: Record<string, unknown> = {}) {
  const client = await h.connect({ localAddress });
  client.send(JSON.stringify({ v: 1, type: 'hello', ...hello }));
  const { peerId } = await client.next('welcome');
  return Object.assign(client, { peerId });
}

describe('address tag', () => {
  it('address tag: members on one address share one, another address has another, and neither reads as the address', async () => {
    const swarmId = newSwarmId();
    const a = await peerFrom('127.0.0.1');
    const b = await peerFrom('127.0.0.1');
    const c = await peerFrom('127.0.0.2');
    await a.join(swarmId);
    await b.join(swarmId);
    const { members } = await c.join(swarmId);
    const tags = new Map(members.map((m) => [m.peerId, m.addressTag]));
    expect(tags.get(a.peerId)).toEqual(TAG);
    expect(tags.get(b.peerId)).toBe(tags.get(a.peerId));
    const { peer } = await a.next('peer-joined'); // b's
    expect(peer.addressTag).toBe(tags.get(a.peerId));
    const cTag = (await a.next('peer-joined')).peer.addressTag;
    expect(cTag).toEqual(TAG);
    expect(cTag).not.toBe(tags.get(a.peerId));
    for (const tag of [cTag, tags.get(a.peerId)!]) expect(tag).not.toMatch(/127|7f00/);
  });

  it('address tag: a client that names one in hello or in its nickname frame is still known by its address', async () => {
    const swarmId = newSwarmId();
    const victim = await peerFrom('127.0.0.2');
    await victim.join(swarmId);
    const forged = 'f'.repeat(16);
    const hostile = await peerFrom('127.0.0.3', { addressTag: forged, nickname: 'Eve' });
    const { members } = await hostile.join(swarmId);
    const victimTag = members[0]!.addressTag;
    const seen = (await victim.next('peer-joined')).peer.addressTag;
    hostile.send(JSON.stringify({ v: 1, type: 'nickname', nickname: 'Eve2', addressTag: victimTag }));
    expect(seen).toEqual(TAG);
    expect(seen).not.toBe(forged);
    expect(seen).not.toBe(victimTag);
    expect((await victim.next('peer-updated')).peer).toEqual({ peerId: hostile.peerId, nickname: 'Eve2', addressTag: seen });
  });
});
