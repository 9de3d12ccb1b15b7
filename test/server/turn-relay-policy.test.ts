import { afterEach, describe, expect, it, vi } from 'vitest';
import { newSwarmId } from '../../shared/ids.ts';
import { parseStartSettings } from '../../commands/start-settings.ts';
import { DEFAULT_ICE_CONFIG } from '../../signaling-server/relay/ice-config.ts';
import { startHarness, type TestClient } from './fixture.ts';
import {
  allocate, bindChannel, channelData, nextData, permit, refresh, sendIndication, type PeerAddress, type StunClient,
} from './turn-client.ts';
import { allocated, cleanUp, client, onCleanUp, relay, udpPeer, type Allocated } from './turn-fixture.ts';

// Where the relay sends: only into the networks it serves, never to loopback, link-local, unspecified or
// multicast addresses, and to its own addresses only at ports it relays for — the path between two
// isolated laptops. And only while the peer that allocated is a swarm member.

afterEach(cleanUp);

/** A and B permit each other's relayed address: the path between two laptops that only reach the teacher. */
async function linked(a: Allocated, b: Allocated): Promise<void> {
  expect((await permit(a.client, a.session, b.relayed)).errorCode).toBeNull();
  expect((await permit(b.client, b.session, a.relayed)).errorCode).toBeNull();
}

async function exchanged(from: Allocated, to: Allocated, text: string): Promise<string> {
  const received = nextData(to.client);
  from.client.send(sendIndication(to.relayed, Buffer.from(text)));
  return (await received).toString();
}

/** Every payload the client receives from now on. */
function collect(turnClient: StunClient): string[] {
  const received: string[] = [];
  turnClient.onOther = (message) => void received.push(String(message.getAttribute(0x0013)?.value));
  turnClient.onChannel = (_channel, data) => void received.push(data.toString());
  return received;
}

describe('turn relay: relayed ports of this relay are reachable', () => {
  it.each(['udp', 'tcp'] as const)('two clients over %s exchange data through their relayed addresses, by indication and on channels', async (kind) => {
    const { port } = await relay();
    const a = await allocated(kind, port);
    const b = await allocated('udp', port);
    await linked(a, b);
    expect(await exchanged(a, b, 'a to b')).toBe('a to b');
    expect(await exchanged(b, a, 'b to a')).toBe('b to a');
    expect((await bindChannel(a.client, a.session, 0x4001, b.relayed)).errorCode).toBeNull();
    expect((await bindChannel(b.client, b.session, 0x4002, a.relayed)).errorCode).toBeNull();
    const atB = nextData(b.client);
    a.client.send(channelData(0x4001, Buffer.from('on a channel')));
    expect((await atB).toString()).toBe('on a channel');
    const atA = nextData(a.client);
    b.client.send(channelData(0x4002, Buffer.from('and back')));
    expect((await atA).toString()).toBe('and back');
  });
});

describe('turn relay: destinations it refuses', () => {
  const FORBIDDEN: string[] = [
    '127.0.0.2', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.2', '169.254.1.1', 'fe80::1', '0.0.0.0', '::',
    '224.0.0.1', 'ff02::1', '255.255.255.255', '10.0.0.1',
  ];

  it.each(FORBIDDEN)('a permission or channel towards %s is refused with 403', async (address) => {
    const { port } = await relay();
    const a = await allocated('udp', port);
    expect((await permit(a.client, a.session, { address, port: 9 })).errorCode).toBe(403);
    expect((await bindChannel(a.client, a.session, 0x4000, { address, port: 9 })).errorCode).toBe(403);
  });

  it('nothing goes to ports of its own address that it does not relay for: its listening port, a local service', async () => {
    const started = await relay();
    const a = await allocated('udp', started.port);
    const b = await allocated('udp', started.port);
    await linked(a, b);
    const own = (port: number): PeerAddress => ({ address: '127.0.0.1', port });
    expect((await bindChannel(a.client, a.session, 0x4000, own(started.port))).errorCode).toBe(403);
    const service = await udpPeer();
    const atService: Buffer[] = [];
    service.on('message', (bytes) => atService.push(bytes));
    a.client.send(sendIndication(own(service.address().port), Buffer.from('to a local service')));
    a.client.send(sendIndication(own(started.port), Buffer.from('to the relay itself')));
    expect(await exchanged(a, b, 'sent after them')).toBe('sent after them');
    expect(await exchanged(b, a, 'one more round')).toBe('one more round');
    expect(atService).toEqual([]);
  });

  it('a teacher-set list of networks is what it relays into (permissions only: no traffic leaves loopback)', async () => {
    const { port } = await relay({ peerNetworks: [{ address: '10.9.0.0', prefix: 16, family: 'ipv4' }] });
    const a = await allocated('udp', port);
    expect((await permit(a.client, a.session, { address: '10.9.1.2', port: 9 })).errorCode).toBeNull();
    for (const address of ['10.10.0.1', '10.9.0.0', '10.9.255.255', '192.168.1.1']) {
      expect((await permit(a.client, a.session, { address, port: 9 })).errorCode).toBe(403);
    }
  });

  it('TURN_NETWORKS is a list of IPv4/IPv6 networks; anything else is refused at start', () => {
    expect(parseStartSettings([], { TURN_NETWORKS: '10.0.0.0/8, fd00::/64' })).toMatchObject({ ok: true, value: { settings: {
      turnNetworks: [{ address: '10.0.0.0', prefix: 8, family: 'ipv4' }, { address: 'fd00::', prefix: 64, family: 'ipv6' }],
    } } });
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com/8', '10.0.0.0']) {
      expect(parseStartSettings([], { TURN_NETWORKS: bad })).toMatchObject({ ok: false });
    }
  });
});

describe('turn relay: an allocation ends with the membership that earned it', () => {
  async function memberAllocation(peer: TestClient, swarmId: ReturnType<typeof newSwarmId>): Promise<Allocated & { peerId: string }> {
    const { peerId } = await peer.hello();
    await peer.join(swarmId);
    const { iceServers } = await peer.next('ice-servers');
    const turn = iceServers.find((s) => String(s.urls).includes('turn:'));
    const port = Number(/:(\d+)\?/.exec(String(turn?.urls))?.[1]);
    const auth = { username: turn?.username ?? '', credential: turn?.credential ?? '' };
    const made = await client('udp', port);
    const outcome = await allocate(made, auth);
    if (!outcome.ok) throw new Error(`allocation failed: ${outcome.errorCode}`);
    return { client: made, session: outcome.session, relayed: outcome.relayed, peerId };
  }

  it.each(['leaves its last swarm', 'disconnects'] as const)('when the peer %s, the relay stops forwarding at once and refresh fails', async (how) => {
    const harness = await startHarness({ iceConfig: { ...DEFAULT_ICE_CONFIG, stunPort: 0, turnPort: 0, ips: ['127.0.0.1'] } });
    onCleanUp(() => harness.close());
    const [leaver, stayer] = [await harness.connect(), await harness.connect()];
    const [swarmId, otherSwarm] = [newSwarmId(), newSwarmId()];
    const a = await memberAllocation(leaver, swarmId);
    const b = await memberAllocation(stayer, swarmId);
    await linked(a, b);
    expect(await exchanged(b, a, 'while a member')).toBe('while a member');
    await leaver.join(otherSwarm);
    leaver.send({ type: 'leave', swarmId });
    await leaver.next('left');
    expect(await exchanged(b, a, 'still in one swarm')).toBe('still in one swarm');
    if (how === 'disconnects') {
      leaver.socket.close();
      // The server sees the close last (a few loop turns; vi.waitFor's own 1 s is less than a stall of this process).
      await vi.waitFor(() => expect(harness.server.isMember(a.peerId)).toBe(false), { timeout: 10_000 });
    } else {
      leaver.send({ type: 'leave', swarmId: otherSwarm });
      await leaver.next('left');
    }
    const atA = collect(a.client);
    b.client.send(sendIndication(a.relayed, Buffer.from('after the membership')));
    expect((await refresh(b.client, b.session)).errorCode).toBeNull(); // B's own round trip: A's data went before
    expect((await refresh(a.client, a.session)).errorCode).not.toBeNull();
    expect(atA).toEqual([]);
  });
});
