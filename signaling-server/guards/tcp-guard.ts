import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from './addresses.ts';
import type { Logger } from '../log.ts';

// Every TCP connection costs a descriptor before HTTP or WebSocket code sees a byte: connections are counted per
// remote address and in all at accept, and one over either cap is closed at once. Requests that never finish their
// headers are closed after a short timeout, so half-sent requests cannot hold descriptors for a minute each.

export interface TcpLimits {
  maxPerAddress: number;
  maxTotal: number;
  headersTimeoutMs: number;
}

export function guardTcpConnections(http: Server, limits: TcpLimits, logger: Logger): void {
  const perAddress = new Map<string, number>();
  let total = 0;
  http.headersTimeout = limits.headersTimeoutMs;
  http.requestTimeout = limits.headersTimeoutMs * 3;
  http.on('connection', (socket: Socket) => {
    const address = addressKey(socket.remoteAddress);
    const held = perAddress.get(address) ?? 0;
    if (held >= limits.maxPerAddress || total >= limits.maxTotal) {
      logger.warn('refusing a TCP connection', { address, reason: held >= limits.maxPerAddress ? 'address-full' : 'server-full' });
      return void socket.destroy();
    }
    perAddress.set(address, held + 1);
    total += 1;
    socket.once('close', () => {
      total -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
}
