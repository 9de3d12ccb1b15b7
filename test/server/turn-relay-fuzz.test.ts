import { createHmac } from 'node:crypto';
import stun from 'stun';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRng, type Rng } from '../../shared/seeded-rng.ts';
import { at, channelData, type StunClient, type TurnSession } from './turn-client.ts';
import { allocated, cleanUp, relayProcess } from './turn-fixture.ts';

// Seeded random frames from a member with an allocation: signed requests of every TURN method with
// attributes of every type, well-formed or not, peer addresses of both families (loopback, port 0,
// the relay's own ports, anything), unsigned indications, ChannelData and truncated frames. The relay,
// alone in a child process, must answer a binding request and grant a new allocation afterwards.
// No traffic leaves loopback: the relay refuses every peer outside the networks it serves.

afterEach(cleanUp);

const FRAMES = 1500;
const MAGIC_COOKIE = 0x2112a442;
/** Weighted towards the methods that name a peer: CreatePermission, ChannelBind, Send. */
const METHODS = [0x001, 0x003, 0x004, 0x006, 0x006, 0x007, 0x008, 0x008, 0x008, 0x009, 0x009, 0x009, 0x00b];
/** Mostly requests (what gets authenticated and handled); indications, successes, errors. */
const CLASS_BITS = [0x0000, 0x0000, 0x0000, 0x0010, 0x0010, 0x0100, 0x0110];
const TYPES = [0x0012, 0x000c, 0x0013, 0x0019, 0x000d, 0x0018, 0x0022, 0x001a, 0x0016, 0x0020, 0x0009, 0x8022, 0x8028];
/** Lengths node-turn expects per attribute type; any other length is the malformed case. */
const LENGTHS: Record<number, number> = { 0x000c: 4, 0x0019: 4, 0x000d: 4, 0x0018: 1, 0x0022: 8, 0x001a: 0, 0x8028: 4 };

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)]!;
const bytes = (rng: Rng, length: number): Buffer => Buffer.from(Array.from({ length }, () => Math.floor(rng() * 256)));

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** XOR-PEER-ADDRESS towards a chosen or random IPv4 address and port, or random IPv6 bytes. */
function peerAddress(rng: Rng, ports: readonly number[]): Buffer {
  if (rng() < 0.2) return attribute(0x0012, Buffer.concat([Buffer.from([0, 2]), bytes(rng, 18)]));
  const ip = rng() < 0.7 ? pick(rng, ['127.0.0.1', '10.0.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1']) : bytes(rng, 4).join('.');
  const value = Buffer.alloc(8);
  value[1] = rng() < 0.9 ? 1 : Math.floor(rng() * 256);
  value.writeUInt16BE(pick(rng, ports) ^ (MAGIC_COOKIE >>> 16), 2);
  value.writeUInt32BE((ip.split('.').reduce((n, part) => n * 256 + Number(part), 0) ^ MAGIC_COOKIE) >>> 0, 4);
  return attribute(0x0012, value);
}

function randomAttribute(rng: Rng, ports: readonly number[]): Buffer {
  if (rng() < 0.4) return peerAddress(rng, ports);
  const type = pick(rng, TYPES);
  const expected = LENGTHS[type];
  const length = expected !== undefined && rng() < 0.8 ? expected : Math.floor(rng() * 28);
  return attribute(type, bytes(rng, length));
}

function header(type: number, length: number, rng: Rng): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(length, 2);
  head.writeUInt32BE(MAGIC_COOKIE, 4);
  bytes(rng, 12).copy(head, 8);
  return head;
}

/** A request signed with the session's key, as node-turn checks it: MESSAGE-INTEGRITY last. */
function signedFrame(session: TurnSession, type: number, attributes: Buffer[], rng: Rng): Buffer {
  const auth = [attribute(0x0006, Buffer.from(session.username)), attribute(0x0014, Buffer.from(session.realm)),
    attribute(0x0015, Buffer.from(session.nonce))];
  const body = Buffer.concat([...attributes, ...auth]);
  const head = header(type, body.length + 24, rng);
  const mac = createHmac('sha1', session.key).update(Buffer.concat([head, body])).digest();
  return Buffer.concat([head, body, attribute(0x0008, mac)]);
}

/** `truncate`: some frames cut short (UDP only: over TCP one would desynchronise the stream for good). */
function randomFrame(rng: Rng, session: TurnSession, ports: readonly number[], truncate: boolean): Buffer {
  const method = pick(rng, METHODS);
  const type = ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | pick(rng, CLASS_BITS);
  const attributes = Array.from({ length: Math.floor(rng() * 4) }, () => randomAttribute(rng, ports));
  const roll = rng();
  if (roll < 0.55) return signedFrame(session, type, attributes, rng);
  if (roll < 0.8) return Buffer.concat([header(type, attributes.reduce((n, a) => n + a.length, 0), rng), ...attributes]);
  if (roll < 0.9 || !truncate) return channelData(0x4000 + Math.floor(rng() * 8), bytes(rng, Math.floor(rng() * 40)));
  const whole = signedFrame(session, type, attributes, rng);
  return whole.subarray(0, Math.floor(rng() * whole.length));
}

const answersBinding = async (turnClient: StunClient): Promise<boolean> =>
  (await turnClient.request(stun.createMessage(at('STUN_BINDING_REQUEST')))).errorCode === null;

describe('turn relay: random frames from a member', () => {
  it.each([['udp', 1], ['tcp', 2]] as const)('over %s (seed %i): the relay keeps serving', async (kind, seed) => {
    const relayed = await relayProcess();
    const fuzzer = await allocated(kind, relayed.port);
    const other = await allocated('udp', relayed.port);
    const ports = [0, 1, 22, relayed.port, fuzzer.relayed.port, other.relayed.port, 65535];
    const rng = seededRng(seed);
    for (let sent = 0; sent < FRAMES; sent++) {
      fuzzer.client.send(randomFrame(rng, fuzzer.session, ports, kind === 'udp'));
      if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // The fuzzer's own request comes after every frame it sent (one TCP stream; datagrams in order on loopback):
    // its answer means the relay has handled them all. Then it must still serve another member.
    expect(await answersBinding(fuzzer.client)).toBe(true);
    expect(await answersBinding(other.client)).toBe(true);
    expect((await allocated('udp', relayed.port)).relayed.port).toBeGreaterThan(0);
    expect(relayed.exit()).toBeNull();
  });
});
