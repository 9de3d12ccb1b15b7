import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import stun, { type StunMessage, type StunRequest } from 'stun';
import { tcpFrameLength } from '../../signaling-server/relay/transports.ts';

// A minimal TURN client for tests, built on the `stun` package's message codec: requests matched by
// transaction id, the long-term credential dance (401 → realm + nonce → signed request).

const C = stun.constants as Record<string, number>;
export const at = (name: string): number => {
  const value = C[name];
  if (value === undefined) throw new Error(`no stun constant ${name}`);
  return value;
};
/** REQUESTED-TRANSPORT: protocol number (17 = UDP) in the first byte. */
const REQUESTED_UDP = 0x11000000;
/**
 * A STUN client's transaction timeout (RFC 5389 §7.2: Ti over TCP; Rc = 7, Rm = 16 over UDP from RTO 500 ms):
 * a relay that answers late is slow, not broken. One that never answers fails the test after this.
 */
const REPLY_TIMEOUT_MS = 39_500;
const RETRANSMIT_MS = 250;

export interface Reply {
  message: StunMessage;
  /** ERROR-CODE, read from the bytes: `stun` 2.1.0 decodes class × (number + 100). */
  errorCode: number | null;
}

export interface StunClient {
  request(message: StunRequest): Promise<Reply>;
  send(bytes: Buffer): void;
  /** Every frame that is no reply to a request (data indications). */
  onOther: ((message: StunMessage) => void) | null;
  /** ChannelData frames from the relay. */
  onChannel: ((channel: number, data: Buffer) => void) | null;
  local(): { address: string; port: number };
  close(): void;
}

function errorCodeOf(bytes: Buffer): number | null {
  for (let offset = 20; offset + 4 <= bytes.length;) {
    const type = bytes.readUInt16BE(offset);
    const length = bytes.readUInt16BE(offset + 2);
    if (type === at('STUN_ATTR_ERROR_CODE')) return (bytes[offset + 6]! & 7) * 100 + bytes[offset + 7]!;
    offset += 4 + ((length + 3) & ~3);
  }
  return null;
}

function decoded(bytes: Buffer): StunMessage | null {
  try {
    return stun.decode(bytes);
  } catch (error) {
    console.warn(`test client: undecodable frame (${String(error)}): ${bytes.toString('hex')}`);
    return null;
  }
}

function createMatcher(client: Pick<StunClient, 'onOther' | 'onChannel'>) {
  const pending = new Map<string, (reply: Reply) => void>();
  const onFrame = (bytes: Buffer) => {
    if (bytes.length >= 4 && (bytes[0]! & 0xc0) === 0x40) {
      return client.onChannel?.(bytes.readUInt16BE(0), bytes.subarray(4, 4 + bytes.readUInt16BE(2)));
    }
    const message = decoded(bytes);
    if (!message) return;
    const resolve = pending.get(message.transactionId.toString('hex'));
    if (resolve) resolve({ message, errorCode: errorCodeOf(bytes) });
    else client.onOther?.(message);
  };
  const expect = (message: StunRequest) => new Promise<Reply>((resolve, reject) => {
    const id = message.transactionId.toString('hex');
    const timer = setTimeout(() => reject(new Error('no STUN reply')), REPLY_TIMEOUT_MS);
    pending.set(id, (reply) => { clearTimeout(timer); pending.delete(id); resolve(reply); });
  });
  return { onFrame, expect };
}

/** `localAddress`: any 127/8 address, to look like another laptop to the relay's per-address caps. */
export async function udpClient(port: number, host = '127.0.0.1', localAddress = '127.0.0.1'): Promise<StunClient> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, localAddress, resolve));
  const client: StunClient = {
    onOther: null,
    onChannel: null,
    send: (bytes) => socket.send(bytes, port, host),
    request: (message) => {
      const reply = matcher.expect(message);
      const bytes = message.toBuffer();
      // Retransmitted like any STUN client over UDP (RFC 5389 §7.2.1): a full receive buffer drops datagrams.
      const retransmit = setInterval(() => client.send(bytes), RETRANSMIT_MS);
      client.send(bytes);
      return reply.finally(() => clearInterval(retransmit));
    },
    local: () => socket.address(),
    close: () => {
      try {
        socket.close();
      } catch {
        // closed already
      }
    },
  };
  const matcher = createMatcher(client);
  socket.on('message', (bytes) => matcher.onFrame(bytes));
  return client;
}

/** `localAddress`: any 127/8 address, to look like another laptop to the relay's per-address caps. */
export async function tcpClient(port: number, host = '127.0.0.1', localAddress?: string): Promise<StunClient> {
  const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = Buffer.alloc(0);
  const client: StunClient = {
    onOther: null,
    onChannel: null,
    send: (bytes) => void socket.write(bytes),
    request: (message) => { const reply = matcher.expect(message); client.send(message.toBuffer()); return reply; },
    local: () => ({ address: socket.localAddress ?? '', port: socket.localPort ?? 0 }),
    close: () => socket.destroy(),
  };
  const matcher = createMatcher(client);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let n = tcpFrameLength(buffer); n > 0; n = tcpFrameLength(buffer)) {
      matcher.onFrame(buffer.subarray(0, n));
      buffer = buffer.subarray(n);
    }
  });
  return client;
}

export interface TurnSession {
  key: Buffer;
  username: string;
  realm: string;
  nonce: string;
}

const text = (message: StunMessage, attribute: string): string => String(message.getAttribute(at(attribute))?.value ?? '');

/** A request signed with the session's long-term key. */
export function signed(session: TurnSession, type: string, attributes: [string, ...unknown[]][] = []): StunRequest {
  const message = stun.createMessage(at(type));
  for (const [name, ...values] of attributes) message.addAttribute(at(name), ...values);
  message.addAttribute(at('STUN_ATTR_USERNAME'), session.username);
  message.addAttribute(at('STUN_ATTR_REALM'), session.realm);
  message.addAttribute(at('STUN_ATTR_NONCE'), session.nonce);
  message.addMessageIntegrity(session.key);
  return message;
}

export type AllocateOutcome =
  /** `request`: the signed Allocate that was answered (sent again, it is a retransmission). */
  | { ok: true; session: TurnSession; relayed: { address: string; port: number }; request: StunRequest }
  | { ok: false; errorCode: number | null };

/** Allocate with a TURN REST credential, or with none (`auth` null): the 401 → signed retry dance. */
export async function allocate(client: StunClient, auth: { username: string; credential: string } | null): Promise<AllocateOutcome> {
  const bare = stun.createMessage(at('STUN_ALLOCATE_REQUEST'));
  bare.addAttribute(at('STUN_ATTR_REQUESTED_TRANSPORT'), REQUESTED_UDP);
  const challenge = await client.request(bare);
  if (challenge.errorCode !== 401 || auth === null) return { ok: false, errorCode: challenge.errorCode };
  const realm = text(challenge.message, 'STUN_ATTR_REALM');
  const key = createHash('md5').update(`${auth.username}:${realm}:${auth.credential}`).digest();
  const session = { key, username: auth.username, realm, nonce: text(challenge.message, 'STUN_ATTR_NONCE') };
  const request = allocateRequest(session);
  const reply = await client.request(request);
  if (reply.errorCode !== null) return { ok: false, errorCode: reply.errorCode };
  return { ok: true, session, relayed: relayedAddress(reply), request };
}

/** A signed Allocate for a UDP relay (a new transaction). */
export const allocateRequest = (session: TurnSession): StunRequest =>
  signed(session, 'STUN_ALLOCATE_REQUEST', [['STUN_ATTR_REQUESTED_TRANSPORT', REQUESTED_UDP]]);

export const relayedAddress = (reply: Reply): { address: string; port: number } =>
  reply.message.getAttribute(at('STUN_ATTR_XOR_RELAYED_ADDRESS'))?.value as { address: string; port: number };

export interface PeerAddress {
  address: string;
  port: number;
}

export const permit = (client: StunClient, session: TurnSession, ...peers: PeerAddress[]): Promise<Reply> =>
  client.request(signed(session, 'STUN_CREATE_PERMISSION_REQUEST', peers.map((p) => ['STUN_ATTR_XOR_PEER_ADDRESS', p.address, p.port])));

export const bindChannel = (client: StunClient, session: TurnSession, channel: number, peer: PeerAddress): Promise<Reply> =>
  client.request(signed(session, 'STUN_CHANNEL_BIND_REQUEST', [
    // CHANNEL-NUMBER is the top 16 bits of a 32-bit value (the rest is RFFU).
    ['STUN_ATTR_CHANNEL_NUMBER', channel * 0x10000], ['STUN_ATTR_XOR_PEER_ADDRESS', peer.address, peer.port],
  ]));

export const refresh = (client: StunClient, session: TurnSession): Promise<Reply> =>
  client.request(signed(session, 'STUN_REFRESH_REQUEST', [['STUN_ATTR_LIFETIME', 600]]));

/** A Send indication: `data` to `peer` through the client's allocation. */
export function sendIndication(peer: PeerAddress, data: Buffer): Buffer {
  const message = stun.createMessage(at('STUN_SEND_INDICATION'));
  message.addAttribute(at('STUN_ATTR_XOR_PEER_ADDRESS'), peer.address, peer.port);
  message.addAttribute(at('STUN_ATTR_DATA'), data);
  return message.toBuffer();
}

/** A ChannelData frame, padded to 4 bytes as TCP needs (UDP allows it). */
export function channelData(channel: number, data: Buffer): Buffer {
  const frame = Buffer.alloc(4 + ((data.length + 3) & ~3));
  frame.writeUInt16BE(channel, 0);
  frame.writeUInt16BE(data.length, 2);
  data.copy(frame, 4);
  return frame;
}

/** The next payload the client receives from the relay, as a data indication or on a channel. */
export function nextData(client: StunClient): Promise<Buffer> {
  return new Promise((resolve) => {
    client.onOther = (message) => resolve(Buffer.from(message.getAttribute(at('STUN_ATTR_DATA'))?.value as Uint8Array));
    client.onChannel = (_channel, data) => resolve(Buffer.from(data));
  });
}

/** Every payload the client receives until one reads `last` (over TCP several frames come in one chunk). */
export function dataUntil(client: StunClient, last: string): Promise<Buffer[]> {
  const payloads: Buffer[] = [];
  return new Promise((resolve) => {
    const take = (data: Buffer) => (data.toString() === last ? resolve(payloads) : void payloads.push(data));
    client.onOther = (message) => take(Buffer.from(message.getAttribute(at('STUN_ATTR_DATA'))?.value as Uint8Array));
    client.onChannel = (_channel, data) => take(Buffer.from(data));
  });
}
