import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Socket as TcpSocket } from 'node:net';
import type TurnServer from 'node-turn';
import type { TurnSender } from 'node-turn';
import Address from 'node-turn/lib/address.js';
import Message from 'node-turn/lib/message.js';
import Transport from 'node-turn/lib/transport.js';
import type { RelayLimits } from './limits.ts';
import type { RelayEvent, RelayLog } from './events.ts';
import type { Relaying } from './relaying.ts';
import { CHANNEL_HEADER_BYTES, PROTOCOL_TCP, PROTOCOL_UDP, STUN_HEADER_BYTES } from './wire.ts';

// The listening side of the embedded relay, replacing node-turn's own network layer, which binds
// UDP only, swallows bind errors and drops ChannelData sent by clients.
// One UDP socket and one TCP listener per address: a relayed address must be the very address the
// client reached, and Node cannot tell which local address a datagram on 0.0.0.0 arrived at.
// Nothing a client sends throws out of a socket handler: a frame node-turn cannot handle is dropped and
// counted, and every reply goes through a sender that never throws.

/** The largest frame a TCP client can announce (u16 length + header): more buffered is a broken stream. */
const MAX_TCP_BUFFER_BYTES = 0xffff + STUN_HEADER_BYTES + 4;

/** What the listeners share: node-turn, the client → peer path, the caps and the log. */
export interface TurnCore {
  turn: TurnServer;
  relaying: Relaying;
  limits: RelayLimits;
  log: RelayLog;
  tcp: TcpConnections;
}

/** A bound listener: its port, and a close that also cuts open TCP connections. */
export interface Listener {
  port: number;
  close(): Promise<void>;
}

/** TCP connections per remote address and in total, across every listener of one relay. */
export interface TcpConnections {
  /** Counts the connection in, or says which cap it is over. */
  admit(address: string): RelayEvent | null;
  release(address: string): void;
  count(): number;
}

export function createTcpConnections(limits: RelayLimits): TcpConnections {
  const perAddress = new Map<string, number>();
  let total = 0;
  return {
    admit: (address) => {
      const fromAddress = perAddress.get(address) ?? 0;
      if (total >= limits.maxTcpConnections) return 'TURN_CAPACITY';
      if (fromAddress >= limits.maxTcpConnectionsPerAddress) return 'TURN_TCP_CAPPED';
      perAddress.set(address, fromAddress + 1);
      total += 1;
      return null;
    },
    release: (address) => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
      total -= 1;
    },
    count: () => total,
  };
}

// channel data: <channel:u16 in 0x4000..0x7FFE><length:u16><data:length>(<pad to 4> over TCP)
const isChannelData = (bytes: Buffer): boolean => bytes.length >= CHANNEL_HEADER_BYTES && (bytes[0]! & 0xc0) === 0x40;

function dispatch(core: TurnCore, transport: Transport, bytes: Buffer): void {
  try {
    if (isChannelData(bytes)) return core.relaying.relayChannelData(transport.get5Tuple(), bytes);
    const message = new Message(core.turn, transport);
    if (message.read(bytes)) core.turn.emit('message', message);
  } catch (error) {
    core.log.count('TURN_HANDLER_FAILED', String(error)); // node-turn throws on some malformed frames
  }
}

function udpSender(socket: UdpSocket): TurnSender {
  return {
    send: (bytes, port, address, done) => {
      try {
        socket.send(bytes, port, address, (error) => done?.(error));
      } catch (error) {
        done?.(error as Error); // port 0, a closed socket: synchronous throws
      }
    },
    isOpen: () => true,
  };
}

export function listenUdp(core: TurnCore, ip: string, port: number): Promise<Listener> {
  const socket = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  const local = new Address(ip, port);
  const sender = udpSender(socket);
  socket.on('message', (bytes, from) => {
    dispatch(core, new Transport(PROTOCOL_UDP, new Address(from.address, from.port), local, sender), bytes);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: ip, port, exclusive: true }, () => {
      socket.off('error', reject);
      socket.on('error', (error) => core.log.count('TURN_SEND_FAILED', error.message));
      resolve({ port: socket.address().port, close: () => new Promise((done) => socket.close(() => done())) });
    });
  });
}

/** Length of the first whole frame in `buffer`, 0 when more bytes are needed, -1 when it is no TURN stream. */
export function tcpFrameLength(buffer: Buffer): number {
  if (buffer.length < CHANNEL_HEADER_BYTES) return 0;
  const kind = buffer[0]! & 0xc0;
  const length = buffer.readUInt16BE(2);
  const total = kind === 0 ? STUN_HEADER_BYTES + length : kind === 0x40 ? CHANNEL_HEADER_BYTES + ((length + 3) & ~3) : -1;
  if (total < 0) return -1;
  return buffer.length >= total ? total : 0;
}

/** Writes unless the client stopped reading: then the datagram is dropped, as UDP would drop it. */
function tcpSender(socket: TcpSocket, limits: RelayLimits): TurnSender {
  return {
    send: (bytes, _port, _address, done) => {
      if (socket.destroyed || !socket.writable) return done?.(new Error('connection closed'));
      if (socket.writableLength > limits.maxTcpBufferedBytes) return done?.(new Error('client not reading'));
      socket.write(bytes, (error) => done?.(error ?? null));
    },
    isOpen: () => !socket.destroyed,
  };
}

/** Browsers allocate at once: a connection with no allocation at a check is closed (RFC 6062 §3 ties them). */
function closeWhenIdle(core: TurnCore, socket: TcpSocket, fiveTuple: string): void {
  const check = () => {
    if (core.turn.allocations[fiveTuple]) return void (timer = setTimeout(check, core.limits.tcpIdleMs));
    core.log.count('TURN_TCP_IDLE');
    socket.destroy();
  };
  let timer = setTimeout(check, core.limits.tcpIdleMs);
  socket.once('close', () => clearTimeout(timer));
}

function onTcpConnection(core: TurnCore, local: Address, socket: TcpSocket): void {
  socket.on('error', () => socket.destroy());
  const address = socket.remoteAddress;
  if (address === undefined) return void socket.destroy(); // reset before we saw it
  const refusal = core.tcp.admit(address);
  if (refusal !== null) {
    core.log.count(refusal, address);
    return void socket.destroy();
  }
  socket.once('close', () => core.tcp.release(address));
  const transport = new Transport(PROTOCOL_TCP, new Address(address, socket.remotePort ?? 0), local, tcpSender(socket, core.limits));
  const fiveTuple = transport.get5Tuple();
  closeWhenIdle(core, socket, fiveTuple);
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let length = tcpFrameLength(buffer); length > 0; length = tcpFrameLength(buffer)) {
      dispatch(core, transport, buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    if (tcpFrameLength(buffer) < 0 || buffer.length > MAX_TCP_BUFFER_BYTES) socket.destroy();
  });
  // An allocation lives as long as its TCP connection (RFC 6062 §3).
  socket.on('close', () => delete core.turn.allocations[fiveTuple]);
}

export function listenTcp(core: TurnCore, ip: string, port: number): Promise<Listener> {
  const local = new Address(ip, port);
  const connections = new Set<TcpSocket>();
  const server = createTcpServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    try {
      onTcpConnection(core, local, socket);
    } catch (error) {
      core.log.count('TURN_HANDLER_FAILED', String(error));
      socket.destroy();
    }
  });
  const close = () => new Promise<void>((done) => {
    server.close(() => done());
    for (const socket of connections) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: ip, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', (error) => core.log.count('TURN_HANDLER_FAILED', error.message)); // e.g. accept failing
      resolve({ port, close });
    });
  });
}
