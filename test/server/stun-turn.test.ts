import { randomBytes } from 'node:crypto';
import stun, { type StunMessage } from 'stun';
import { afterEach, describe, expect, it } from 'vitest';
import { newPeerId } from '../../shared/ids.ts';
import { DEFAULT_ICE_CONFIG, startIceServices, type IceConfig, type IceServices } from '../../signaling-server/relay/ice-config.ts';
import { issueTurnCredential } from '../../signaling-server/relay/credentials.ts';
import { createRelay, type Relay, type RelayOptions } from '../../signaling-server/relay/turn-server.ts';
import { newSwarmId, startHarness } from './fixture.ts';
import { allocate, allocateRequest, at, relayedAddress, sendIndication, signed, tcpClient, udpClient, type StunClient } from './turn-client.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const secret = randomBytes(32);
const members = new Set<string>();

async function relay(overrides: Partial<RelayOptions> = {}): Promise<Relay> {
  const started = await createRelay({
    ips: ['127.0.0.1'], port: 0, stun: true, turn: true, secret, isMember: (peerId) => members.has(peerId), ...overrides,
  });
  cleanups.push(() => started.close());
  return started;
}

async function client(kind: 'udp' | 'tcp', port: number): Promise<StunClient> {
  const made = kind === 'udp' ? await udpClient(port) : await tcpClient(port);
  cleanups.push(() => made.close());
  return made;
}

function member(): { peerId: string; auth: { username: string; credential: string } } {
  const peerId = newPeerId();
  members.add(peerId);
  return { peerId, auth: issueTurnCredential(secret, peerId, Date.now(), 600) };
}

describe('stun-turn', () => {
  it('stun: a binding request is answered with the reflexive address', async () => {
    const { port } = await relay({ turn: false });
    const stunClient = await client('udp', port);
    const reply = await stunClient.request(stun.createMessage(at('STUN_BINDING_REQUEST')));
    expect(reply.message.getAttribute(at('STUN_ATTR_XOR_MAPPED_ADDRESS'))?.value).toMatchObject(stunClient.local());
  });

  it('turn relay: allocation is refused without credentials, with a forged or expired one, or for a non-member', async () => {
    const { port } = await relay();
    const { peerId, auth } = member();
    const outsider = newPeerId();
    const refused = [
      null,
      { username: auth.username, credential: 'forged' },
      issueTurnCredential(secret, outsider, Date.now(), 600),
      issueTurnCredential(secret, peerId, Date.now() - 601_000, 600),
      issueTurnCredential(randomBytes(32), peerId, Date.now(), 600),
    ];
    for (const credential of refused) {
      expect(await allocate(await client('udp', port), credential)).toMatchObject({ ok: false, errorCode: 401 });
    }
    members.delete(peerId);
    expect(await allocate(await client('udp', port), auth)).toMatchObject({ ok: false, errorCode: 401 });
  });

  it.each(['udp', 'tcp'] as const)('turn relay: a member allocates over %s and data flows both ways, from its relayed address', async (kind) => {
    const { port } = await relay();
    const turnClient = await client(kind, port);
    const outcome = await allocate(turnClient, member().auth);
    if (!outcome.ok) throw new Error(`allocation failed: ${outcome.errorCode}`);
    // The peer: another client of this relay, the only kind of peer on loopback (turn-peer-policy.ts).
    const peerClient = await client('udp', port);
    const peer = await allocate(peerClient, member().auth);
    if (!peer.ok) throw new Error(`allocation failed: ${peer.errorCode}`);
    for (const [from, to] of [[outcome, peer], [peer, outcome]] as const) {
      const permitted = await (from === outcome ? turnClient : peerClient).request(signed(from.session, 'STUN_CREATE_PERMISSION_REQUEST', [
        ['STUN_ATTR_XOR_PEER_ADDRESS', to.relayed.address, to.relayed.port],
      ]));
      expect(permitted.errorCode).toBeNull();
    }
    const atPeer = new Promise<StunMessage>((resolve) => void (peerClient.onOther = resolve));
    turnClient.send(sendIndication(peer.relayed, Buffer.from('to the peer')));
    const received = await atPeer;
    expect(String(received.getAttribute(at('STUN_ATTR_DATA'))?.value)).toBe('to the peer');
    expect(received.getAttribute(at('STUN_ATTR_XOR_PEER_ADDRESS'))?.value).toMatchObject(outcome.relayed);
    const atClient = new Promise<unknown>((resolve) => {
      turnClient.onOther = (message) => resolve(message.getAttribute(at('STUN_ATTR_DATA'))?.value);
    });
    peerClient.send(sendIndication(outcome.relayed, Buffer.from('back to the client')));
    expect(String(await atClient)).toBe('back to the client');
  });

  it('turn relay: an Allocate sent again after its answer gets the same relayed address; a new one on that 5-tuple gets 437', async () => {
    const started = await relay();
    const turnClient = await client('udp', started.port);
    const outcome = await allocate(turnClient, member().auth);
    if (!outcome.ok) throw new Error(`allocation failed: ${outcome.errorCode}`);
    // A browser retransmits an Allocate its answer has not reached yet (250 ms, doubling): it keeps the first answer.
    const again = await turnClient.request(outcome.request);
    expect(again.errorCode).toBeNull();
    expect(relayedAddress(again)).toEqual(outcome.relayed);
    expect((await turnClient.request(allocateRequest(outcome.session))).errorCode).toBe(437);
    expect(started.allocationCount()).toBe(1);
    // The relayed address the client gave its peers still reaches it.
    const peerClient = await client('udp', started.port);
    const peer = await allocate(peerClient, member().auth);
    if (!peer.ok) throw new Error(`allocation failed: ${peer.errorCode}`);
    for (const [from, sender, to] of [[outcome, turnClient, peer], [peer, peerClient, outcome]] as const) {
      const permitted = await sender.request(signed(from.session, 'STUN_CREATE_PERMISSION_REQUEST', [
        ['STUN_ATTR_XOR_PEER_ADDRESS', to.relayed.address, to.relayed.port],
      ]));
      expect(permitted.errorCode).toBeNull();
    }
    const atClient = new Promise<StunMessage>((resolve) => void (turnClient.onOther = resolve));
    peerClient.send(sendIndication(outcome.relayed, Buffer.from('to the first relayed address')));
    expect(String((await atClient).getAttribute(at('STUN_ATTR_DATA'))?.value)).toBe('to the first relayed address');
  });

  it('turn relay: a refresh keeps the allocation alive', async () => {
    const started = await relay();
    const turnClient = await client('udp', started.port);
    const outcome = await allocate(turnClient, member().auth);
    if (!outcome.ok) throw new Error(`allocation failed: ${outcome.errorCode}`);
    for (const attributes of [[['STUN_ATTR_LIFETIME', 900]], []] as [string, ...unknown[]][][]) {
      const refreshed = await turnClient.request(signed(outcome.session, 'STUN_REFRESH_REQUEST', attributes));
      expect(refreshed.errorCode).toBeNull();
      expect(refreshed.message.getAttribute(at('STUN_ATTR_LIFETIME'))?.value).toBeGreaterThan(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // node-turn's broken refresh dropped it 1 ms later
    const permitted = await turnClient.request(signed(outcome.session, 'STUN_CREATE_PERMISSION_REQUEST', [
      ['STUN_ATTR_XOR_PEER_ADDRESS', '127.0.0.1', 9],
    ]));
    expect(permitted.errorCode).toBeNull();
    expect(started.allocationCount()).toBe(1);
  });
});

/** The teacher's STUN and TURN on one free port of loopback. */
const LOOPBACK_ICE: IceConfig = { ...DEFAULT_ICE_CONFIG, stunPort: 0, turnPort: 0, ips: ['127.0.0.1'] };

describe('ice-config', () => {
  async function services(config: Partial<IceConfig>): Promise<IceServices> {
    const started = await startIceServices({ ...LOOPBACK_ICE, extraIceServers: [{ urls: 'stun:extra.example:3478' }], ...config }, {
      isMember: (peerId) => members.has(peerId),
    });
    cleanups.push(() => started.close());
    return started;
  }

  it('ice-config: everyone gets STUN at the host the browser used; only members get TURN credentials', async () => {
    const ice = await services({});
    const { peerId } = member();
    const everyone = ice.publicIceServers('10.1.2.3:8080');
    expect(everyone.map((s) => s.urls)).toEqual([expect.stringMatching(/^stun:10\.1\.2\.3:\d+$/), 'stun:extra.example:3478']);
    const forMember = ice.memberIceServers('10.1.2.3:8080', peerId);
    const turn = forMember.find((s) => String(s.urls).includes('turn:'));
    expect(turn?.urls).toEqual([expect.stringMatching(/^turn:10\.1\.2\.3:\d+\?transport=udp$/), expect.stringMatching(/\?transport=tcp$/)]);
    expect(turn?.username).toMatch(new RegExp(`^\\d+:${peerId}$`));
  });

  it('ice-config: a Host header that is no host name gives no STUN or TURN entry', async () => {
    const ice = await services({});
    expect(ice.publicIceServers('evil"host/x').map((s) => s.urls)).toEqual(['stun:extra.example:3478']);
    expect(ice.publicIceServers(undefined).map((s) => s.urls)).toEqual(['stun:extra.example:3478']);
  });

  it('ice-config: STUN=off and TURN=off leave only the extra servers', async () => {
    const ice = await services({ stunPort: null, turnPort: null });
    expect(ice.memberIceServers('10.1.2.3', member().peerId).map((s) => s.urls)).toEqual(['stun:extra.example:3478']);
    expect(ice.describe().join('\n')).toMatch(/STUN: off[\s\S]*TURN relay: off/);
  });

  it('ice-config: TURN credentials it issues allocate on its relay', async () => {
    const ice = await services({});
    const turn = ice.memberIceServers('127.0.0.1:8080', member().peerId).find((s) => String(s.urls).includes('turn:'));
    const port = Number(/:(\d+)\?/.exec(String(turn?.urls))?.[1]);
    const outcome = await allocate(await client('udp', port), { username: turn?.username ?? '', credential: turn?.credential ?? '' });
    expect(outcome.ok).toBe(true);
  });
});

describe('signaling with the teacher relay', () => {
  it('signaling: TURN credentials come only with a join, before joined, and stop working once the peer leaves', async () => {
    const harness = await startHarness({ iceConfig: LOOPBACK_ICE });
    cleanups.push(() => harness.close());
    const peer = await harness.connect();
    const welcome = await peer.hello();
    expect(welcome.iceServers.map((s) => s.urls)).toEqual([expect.stringMatching(/^stun:127\.0\.0\.1:\d+$/)]);
    const swarmId = newSwarmId();
    await peer.join(swarmId);
    const frames = peer.received.map((f) => f.type);
    expect(frames.indexOf('ice-servers')).toBeLessThan(frames.indexOf('joined'));
    const { iceServers } = await peer.next('ice-servers');
    const turn = iceServers.find((s) => String(s.urls).includes('turn:'));
    const auth = { username: turn?.username ?? '', credential: turn?.credential ?? '' };
    const port = Number(/:(\d+)\?/.exec(String(turn?.urls))?.[1]);
    expect(await allocate(await client('udp', port), auth)).toMatchObject({ ok: true });
    peer.send({ type: 'leave', swarmId });
    await peer.next('left');
    expect(await allocate(await client('udp', port), auth)).toMatchObject({ ok: false, errorCode: 401 });
  });
});
