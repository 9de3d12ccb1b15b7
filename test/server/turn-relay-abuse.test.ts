import { once } from 'node:events';
import { connect, type Socket as TcpSocket } from 'node:net';
import stun from 'stun';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TURN_ALLOCATIONS, MAX_TURN_TCP_CONNECTIONS } from '../../shared/limits.ts';
import { relayLimits } from '../../signaling-server/relay/limits.ts';
import { allocate, at, bindChannel, channelData, dataUntil, permit, sendIndication, type PeerAddress, type StunClient } from './turn-client.ts';
import { allocated, cleanUp, client, credential, onCleanUp, relay, relayProcess, udpPeer } from './turn-fixture.ts';

// What a hostile member can throw at the relay: peer addresses nothing can be sent to, datagrams too short
// to parse, TCP connections that never allocate, and more sockets or allocations than one laptop needs.

afterEach(cleanUp);

const answersBinding = async (turnClient: StunClient): Promise<boolean> =>
  (await turnClient.request(stun.createMessage(at('STUN_BINDING_REQUEST')))).errorCode === null;

/** Peer addresses a client can encode but nothing can be sent to (no traffic leaves loopback: each send fails). */
const UNUSABLE_PEERS: PeerAddress[] = [
  { address: '10.0.0.1', port: 0 },
  { address: '127.0.0.1', port: 0 },
  { address: '0.0.0.0', port: 0 },
  { address: '::1', port: 9 },
  { address: '::ffff:127.0.0.1', port: 9 },
  { address: '255.255.255.255', port: 9 },
];

describe('turn relay: nothing a client sends stops the relay process', () => {
  it.each(['udp', 'tcp'] as const)('over %s: channels, permissions and sends towards unusable peer addresses', async (kind) => {
    const relayed = await relayProcess();
    const { client: hostile, session } = await allocated(kind, relayed.port);
    const bindings: (number | null)[] = [];
    for (const [index, peer] of UNUSABLE_PEERS.entries()) {
      const channel = 0x4000 + index;
      await permit(hostile, session, peer);
      bindings.push((await bindChannel(hostile, session, channel, peer)).errorCode);
      hostile.send(channelData(channel, Buffer.from('x')));
      hostile.send(sendIndication(peer, Buffer.from('x')));
    }
    expect(await answersBinding(hostile)).toBe(true);
    expect(relayed.exit()).toBeNull();
    expect(bindings).not.toContain(null); // refused: 400 for port 0, 403 for the rest
  });

  it.each(['udp', 'tcp'] as const)('over %s: empty and 1-byte datagrams from a permitted peer, and a client gone mid-stream', async (kind) => {
    const relayed = await relayProcess();
    const a = await allocated(kind, relayed.port);
    const b = await allocated('udp', relayed.port);
    expect((await permit(a.client, a.session, b.relayed)).errorCode).toBeNull();
    expect((await permit(b.client, b.session, a.relayed)).errorCode).toBeNull();
    const stranger = await udpPeer(); // on the relay's own address, so A's permission covers it
    const atA = dataUntil(a.client, 'still relaying');
    for (const size of [0, 1, 3]) stranger.send(Buffer.alloc(size), a.relayed.port, a.relayed.address);
    b.client.send(sendIndication(a.relayed, Buffer.from('still relaying')));
    const sizes = (await atA).map((data) => data.length);
    expect(sizes).toEqual(expect.arrayContaining([0, 1, 3])); // relayed to A like any datagram
    a.client.close();
    for (let i = 0; i < 20; i++) b.client.send(sendIndication(a.relayed, Buffer.alloc(1200)));
    expect(await answersBinding(b.client)).toBe(true);
    expect(relayed.exit()).toBeNull();
  });
});

async function tcpConnection(port: number, localAddress = '127.0.0.1'): Promise<{ socket: TcpSocket; closed: Promise<unknown> }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  const closed = once(socket, 'close');
  onCleanUp(() => socket.destroy());
  await once(socket, 'connect');
  return { socket, closed };
}

const isOpen = (socket: TcpSocket): boolean => !socket.destroyed && socket.readyState === 'open';

describe('turn relay: sockets and allocations are capped per address and in total', () => {
  it('a TCP connection that never allocates is closed after the idle time; one that allocated stays', async () => {
    // The working connection must allocate (two STUN round trips) before the first check: 100 ms was too short for
    // that on two loaded cores ("no STUN reply": the relay had closed it as idle).
    const { port } = await relay({ limits: { tcpIdleMs: 1500 } });
    const idle = await tcpConnection(port);
    const working = await allocated('tcp', port);
    await idle.closed;
    expect(await answersBinding(working.client)).toBe(true);
  });

  it('TCP connections over the per-address or total cap are closed at once; the others keep working', async () => {
    const started = await relay({ limits: { maxTcpConnectionsPerAddress: 2, maxTcpConnections: 3 } });
    const { port } = started;
    const first = await tcpConnection(port);
    const second = await client('tcp', port);
    await (await tcpConnection(port)).closed; // a third from 127.0.0.1
    const other = await client('tcp', port, '127.0.0.2');
    await (await tcpConnection(port, '127.0.0.3')).closed; // a fourth in total
    expect(isOpen(first.socket)).toBe(true);
    expect(await answersBinding(second)).toBe(true);
    expect(await answersBinding(other)).toBe(true);
    expect(started.stats()).toMatchObject({ tcpConnections: 3, events: { TURN_TCP_CAPPED: 1, TURN_CAPACITY: 1 } });
  });

  it('the total caps fit in half the open-file limit, so the relay cannot exhaust file descriptors', () => {
    const limits = relayLimits({}, 1024);
    expect(limits.maxAllocations + limits.maxTcpConnections).toBeLessThanOrEqual(512);
    expect(limits.maxAllocations).toBeGreaterThan(limits.maxTcpConnections);
    expect(relayLimits({}, 1_000_000)).toMatchObject({ maxAllocations: MAX_TURN_ALLOCATIONS, maxTcpConnections: MAX_TURN_TCP_CONNECTIONS });
  });

  it('allocations over the per-address cap get 486, over the total cap 508, whatever their peer ids', async () => {
    const { port } = await relay({ limits: { maxAllocationsPerAddress: 2, maxAllocations: 3 } });
    await allocated('udp', port);
    await allocated('tcp', port);
    expect(await allocate(await client('udp', port), credential())).toMatchObject({ ok: false, errorCode: 486 });
    await allocated('udp', port, credential(), '127.0.0.2');
    expect(await allocate(await client('udp', port, '127.0.0.3'), credential())).toMatchObject({ ok: false, errorCode: 508 });
  });
});
