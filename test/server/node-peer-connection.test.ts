import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openGetStore } from '../../node-peer/get-store.ts';
import { startNodePeer } from '../../node-peer/node-peer.ts';
import { reportServerState } from '../../node-peer/terminal.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';

// The Node peer's socket is `ws` under the shared signaling client: with the server down it says so and keeps
// retrying (backoff), and connects on its own once the server is up.

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

it('node peer: a server that is down is reported, retried, and joined once it is up', async () => {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-down-'));
  const lines: string[] = [];
  const server = `http://127.0.0.1:${port}/`;
  const peer = startNodePeer({ server, store: await openGetStore(dir) });
  const stop = reportServerState(peer.signaling, server, (line) => lines.push(line));
  let signaling: Awaited<ReturnType<typeof createSignalingServer>> | null = null;
  try {
    await expect.poll(() => lines[0], { timeout: 5000 }).toMatch(/cannot reach the tabswarm server .*retrying with backoff/);
    signaling = await createSignalingServer({ port, host: '127.0.0.1' });
    await expect.poll(() => peer.signaling.status, { timeout: 10_000 }).toBe('open');
    expect(lines.at(-1)).toBe(`connected to ${server}`);
    expect(peer.signaling.peerId).toMatch(/^[0-9a-f]+$/);
  } finally {
    stop();
    peer.close();
    await signaling?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
