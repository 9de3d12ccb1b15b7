import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { vendorDir } from './vendor.ts';

// bittorrent-tracker's WebSocket tracker on 127.0.0.1:0 or another address (HTTP for the ws upgrade; no UDP, no stats page).

export interface Tracker { url: string; close(): Promise<void> }

interface TrackerServer {
  listen(port: number, hostname: string, onListening: () => void): void;
  close(cb: () => void): void;
  on(event: 'error' | 'warning', listener: (e: Error) => void): void;
  http: { address(): { port: number } | string | null };
}
type TrackerCtor = new (opts: { udp: boolean; http: boolean; ws: boolean; stats: boolean }) => TrackerServer;

export async function startTracker(repoRoot: string, host = '127.0.0.1'): Promise<Tracker> {
  const entry = pathToFileURL(join(vendorDir(repoRoot), 'node_modules', 'bittorrent-tracker', 'server.js')).href;
  const { default: Server } = (await import(entry)) as { default: TrackerCtor };
  const server = new Server({ udp: false, http: true, ws: true, stats: false });
  server.on('error', (e) => process.stderr.write(`tracker: ${e.message}\n`));
  server.on('warning', () => {});
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.http.address();
  if (address === null || typeof address === 'string') throw new Error('tracker: no port');
  return {
    url: `ws://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
