import { createSocket } from 'node:dgram';
import { createServer as createTcpServer, type Socket as TcpSocket } from 'node:net';
import type TurnServer from 'node-turn';
import Address from 'node-turn/lib/address.js';
import Message from 'node-turn/lib/message.js';
import Transport from 'node-turn/lib/transport.js';

// The listening side of the embedded relay, replacing node-turn's own network layer, which binds
// UDP only, swallows bind errors and drops ChannelData sent by clients.
// One UDP socket and one TCP listener per address: a relayed address must be the very address the
// client reached, and Node cannot tell which local address a datagram on 0.0.0.0 arrived at.

const PROTOCOL_UDP = 0x11;
const PROTOCOL_TCP = 0x06;
const STUN_HEADER_BYTES = 20;
const CHANNEL_HEADER_BYTES = 4;
/** The largest frame a TCP client can announce (u16 length + header): more buffered is a broken stream. */
const MAX_TCP_BUFFER_BYTES = 0xffff + STUN_HEADER_BYTES + 4;

/** A bound listener: its port, and a close that also cuts open TCP connections. */
export interface Listener {
  port: number;
  close(): Promise<void>;
}

type Sender = { send(bytes: Buffer, port: number, address: string, done?: (error?: Error | null) => void): void };

// channel data: <channel:u16 in 0x4000..0x7FFE><length:u16><data:length>(<pad to 4> over TCP)
const isChannelData = (bytes: Buffer): boolean => bytes.length >= CHANNEL_HEADER_BYTES && (bytes[0]! & 0xc0) === 0x40;

/** Client → peer ChannelData: relayed only on a bound channel with a live permission (RFC 5766 §11.6). */
function relayChannelData(turn: TurnServer, fiveTuple: string, bytes: Buffer): void {
  const allocation = turn.allocations[fiveTuple];
  const length = bytes.readUInt16BE(2);
  if (!allocation || CHANNEL_HEADER_BYTES + length > bytes.length) return;
  const peer = allocation.channelBindings[String(bytes.readUInt16BE(0))];
  const permission = peer ? allocation.permissions[peer.address] : undefined;
  if (!peer || permission === undefined || permission < Date.now()) return;
  allocation.sockets[0]?.send(bytes.subarray(CHANNEL_HEADER_BYTES, CHANNEL_HEADER_BYTES + length), peer.port, peer.address);
}

function dispatch(turn: TurnServer, transport: Transport, bytes: Buffer): void {
  if (isChannelData(bytes)) return relayChannelData(turn, transport.get5Tuple(), bytes);
  const message = new Message(turn, transport);
  try {
    if (message.read(bytes)) turn.emit('message', message);
  } catch {
    // node-turn throws on some malformed frames: a stray datagram is dropped, nothing else.
  }
}

export function listenUdp(turn: TurnServer, ip: string, port: number): Promise<Listener> {
  const socket = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  const local = new Address(ip, port);
  socket.on('message', (bytes, from) => {
    dispatch(turn, new Transport(PROTOCOL_UDP, new Address(from.address, from.port), local, socket), bytes);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: ip, port, exclusive: true }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
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

function onTcpConnection(turn: TurnServer, local: Address, socket: TcpSocket): void {
  const sender: Sender = { send: (bytes, _port, _address, done) => void socket.write(bytes, (error) => done?.(error)) };
  const remote = new Address(socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0);
  const transport = new Transport(PROTOCOL_TCP, remote, local, sender);
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let length = tcpFrameLength(buffer); length > 0; length = tcpFrameLength(buffer)) {
      dispatch(turn, transport, buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    if (tcpFrameLength(buffer) < 0 || buffer.length > MAX_TCP_BUFFER_BYTES) socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  // An allocation lives as long as its TCP connection (RFC 6062 §3).
  socket.on('close', () => delete turn.allocations[transport.get5Tuple()]);
}

export function listenTcp(turn: TurnServer, ip: string, port: number): Promise<Listener> {
  const local = new Address(ip, port);
  const connections = new Set<TcpSocket>();
  const server = createTcpServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    onTcpConnection(turn, local, socket);
  });
  const close = () => new Promise<void>((done) => {
    server.close(() => done());
    for (const socket of connections) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: ip, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve({ port, close });
    });
  });
}
