import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
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

it('tabswarm get: a server that is down is reported while the command waits for it', async () => {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-get-down-'));
  const child = spawn(process.execPath, ['bin/tabswarm.js', 'get', 'ABCDEF', '--out', dir, '--server', `http://127.0.0.1:${port}`]);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    // The child compiles the CLI with tsx before its first attempt: a child relay process took 10–17 s to start
    // at load 12 (turn-relay-fuzz), so 15 s was not a bound on the command, only on the machine.
    await expect.poll(() => stdout, { timeout: 45_000 }).toMatch(/cannot reach the tabswarm server at http:\/\/127\.0\.0\.1:\d+\/: retrying/);
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
