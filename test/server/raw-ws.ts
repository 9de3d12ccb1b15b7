import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

// A WebSocket client written against the TCP socket, for what a library client will not do: stop reading,
// trickle a frame, leave a fragmented message unfinished, send pongs nobody asked for, pick its source address.

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface RawWs {
  socket: Socket;
  /** One masked frame, as a client must send it. */
  frame(opcode: number, payload: Buffer | string, fin?: boolean): Buffer;
  send(opcode: number, payload: Buffer | string, fin?: boolean): void;
  /** Resolves when the server ends the TCP connection (close frame or reset), unless reading is paused. */
  ended: Promise<void>;
  /** Server frames received while reading (opcode and payload). */
  frames: { opcode: number; payload: Buffer }[];
  /** Answer each ping read with a pong carrying its payload, as every real client does (default true). */
  answerPings: boolean;
}

export interface RawWsOptions {
  localAddress?: string;
  origin?: string;
  host?: string;
}

function encodeFrame(opcode: number, payload: Buffer, fin: boolean): Buffer {
  const mask = randomBytes(4);
  const lengthBytes = payload.length < 126 ? 0 : payload.length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + 4);
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = 0x80 | (lengthBytes === 0 ? payload.length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(payload.length, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(payload.length), 2);
  mask.copy(head, 2 + lengthBytes);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!;
  return Buffer.concat([head, masked]);
}

/** Parses complete server frames (unmasked) off the front of `buffer`; returns the rest. */
function readFrames(buffer: Buffer, into: RawWs['frames']): Buffer {
  for (;;) {
    if (buffer.length < 2) return buffer;
    let length = buffer[1]! & 0x7f;
    let at = 2;
    if (length === 126) [length, at] = [buffer.length >= 4 ? buffer.readUInt16BE(2) : Infinity, 4];
    else if (length === 127) [length, at] = [buffer.length >= 10 ? Number(buffer.readBigUInt64BE(2)) : Infinity, 10];
    if (buffer.length < at + length) return buffer;
    into.push({ opcode: buffer[0]! & 0x0f, payload: buffer.subarray(at, at + length) });
    buffer = buffer.subarray(at + length);
  }
}

/** Opens `ws://127.0.0.1:port/ws` by hand; resolves once the server answered 101, or rejects with its status line. */
export function openRawWs(port: number, options: RawWsOptions = {}): Promise<RawWs> {
  const socket = connect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  const frames: RawWs['frames'] = [];
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const raw: RawWs = {
    socket, frames, ended, answerPings: true,
    frame: (opcode, payload, fin = true) => encodeFrame(opcode, Buffer.from(payload), fin),
    send: (opcode, payload, fin = true) => void socket.write(encodeFrame(opcode, Buffer.from(payload), fin)),
  };
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    let pending: Buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = pending.subarray(0, pending.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) return reject(new Error(status));
        upgraded = true;
        pending = pending.subarray(end + 4);
        resolve(raw);
      }
      const before = frames.length;
      pending = readFrames(pending, frames);
      for (const f of frames.slice(before)) if (f.opcode === OPCODE.ping && raw.answerPings) raw.send(OPCODE.pong, f.payload);
    });
    socket.once('close', () => reject(new Error('closed before the upgrade')));
    socket.once('connect', () => {
      const headers = [
        'GET /ws HTTP/1.1', `Host: ${options.host ?? `127.0.0.1:${port}`}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
        ...(options.origin ? [`Origin: ${options.origin}`] : []),
      ];
      socket.write(`${headers.join('\r\n')}\r\n\r\n`);
    });
  });
}

/** The JSON text frames received so far, parsed. */
export const textFrames = (raw: RawWs): Record<string, unknown>[] =>
  raw.frames.filter((f) => f.opcode === OPCODE.text).map((f) => JSON.parse(f.payload.toString('utf8')) as Record<string, unknown>);

/** The close code of the server's close frame, once one arrived. */
export function closeCode(raw: RawWs): number | null {
  const close = raw.frames.find((f) => f.opcode === OPCODE.close);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
}
