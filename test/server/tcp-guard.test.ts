import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TCP_HEADROOM_PER_ADDRESS } from '../../shared/limits.ts';
import { startHarness, type Harness } from './fixture.ts';

// Descriptors are the server's scarcest resource: connections that never send a byte are counted per address at
// accept, and one past the cap is closed at once, while another laptop still gets the page.

let h: Harness | null = null;
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  await h?.close();
  h = null;
});

function openTcp(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.once('error', reject);
    held.push(socket);
  });
}

/** True when the server closed the socket within `ms` (it sent nothing). */
const closedWithin = (socket: Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (socket.closed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('TCP connections per address', () => {
  it('tcp: one address holds at most its sockets plus a headroom in idle connections; others still load the page', async () => {
    h = await startHarness({ limits: { maxConnectionsPerAddress: 4 } });
    const port = h.server.port;
    const idle = await Promise.all(Array.from({ length: 4 + TCP_HEADROOM_PER_ADDRESS }, () => openTcp(port, '127.0.0.2')));
    const extra = await openTcp(port, '127.0.0.2');
    expect(await closedWithin(extra, 2000)).toBe(true);
    for (const socket of idle) expect(socket.closed).toBe(false);

    const page = await fetch(`${h.httpUrl}/healthz`); // from 127.0.0.1: another laptop
    expect(page.status).toBe(200);

    idle[0]!.destroy(); // the server sees it go a moment later; then the address has a place again
    let admitted = false;
    for (let attempt = 0; attempt < 20 && !admitted; attempt++) {
      admitted = !(await closedWithin(await openTcp(port, '127.0.0.2'), 300));
    }
    expect(admitted).toBe(true);
  });
});
