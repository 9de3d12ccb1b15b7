import { makeTestFile, nowMs } from './test-file.ts';
import { MemoryChunkStore } from './memory-chunk-store.ts';

// Browser side of the WebTorrent baseline: its ES-module browser bundle, the WebSocket tracker on 127.0.0.1,
// no ICE servers, WebTorrent's default store (OPFS in a secure context). Each tab must come from its own origin
// (127.0.0.N): tabs of one origin share OPFS, and WebTorrent names its store after the torrent, so a leecher
// would find the seeder's pieces already "there". (Its `rootDir` option would avoid that, but breaks its store.)

const BUNDLE_URL = '/test/bench/vendor/node_modules/webtorrent/dist/webtorrent.min.js';

interface Torrent {
  magnetURI: string;
  length: number;
  pieceLength: number;
  numPeers: number;
  on(event: 'verified', listener: (index: number) => void): void;
  on(event: 'done' | 'ready', listener: () => void): void;
  on(event: 'error', listener: (e: unknown) => void): void;
}
interface TorrentOptions { announce: string[]; store?: typeof MemoryChunkStore }
/** 'opfs': WebTorrent's default in a secure context; 'memory': its fallback on plain http (a LAN address). */
export type StoreKind = 'opfs' | 'memory';
const storeOption = (kind: StoreKind) => (kind === 'memory' ? { store: MemoryChunkStore } : {});
interface WebTorrentClient {
  seed(input: File, opts: TorrentOptions, onSeed: (t: Torrent) => void): Torrent;
  add(magnet: string, opts: TorrentOptions, onTorrent?: (t: Torrent) => void): Torrent;
  destroy(cb?: () => void): void;
  on(event: 'error', listener: (e: unknown) => void): void;
}
type WebTorrentCtor = new (opts: { tracker: { rtcConfig: RTCConfiguration } }) => WebTorrentClient;

let client: WebTorrentClient | null = null;

async function newClient(): Promise<WebTorrentClient> {
  const mod = (await import(BUNDLE_URL)) as { default: WebTorrentCtor };
  client = new mod.default({ tracker: { rtcConfig: { iceServers: [] } } });
  client.on('error', (e) => console.error('webtorrent', e));
  return client;
}

/** Seeds a random file of sizeBytes; resolves with its magnet link once hashed and announced. */
export async function seed(sizeBytes: number, trackerUrl: string, store: StoreKind): Promise<{ magnet: string; pieceLength: number }> {
  const wt = await newClient();
  const file = makeTestFile(sizeBytes);
  return new Promise((resolve) => {
    wt.seed(file, { announce: [trackerUrl], ...storeOption(store) }, (t) => resolve({ magnet: t.magnetURI, pieceLength: t.pieceLength }));
  });
}

export interface LeechTiming { addMs: number; firstPieceMs: number; doneMs: number; bytes: number }

/** Adds the magnet link; resolves when every piece is verified. Times are epoch ms of this machine. */
export async function leech(magnet: string, trackerUrl: string, store: StoreKind): Promise<LeechTiming> {
  const wt = await newClient();
  const addMs = nowMs();
  let firstPieceMs = 0;
  return new Promise((resolve, reject) => {
    const torrent = wt.add(magnet, { announce: [trackerUrl], ...storeOption(store) });
    torrent.on('verified', () => { if (firstPieceMs === 0) firstPieceMs = nowMs(); });
    torrent.on('done', () => resolve({ addMs, firstPieceMs, doneMs: nowMs(), bytes: torrent.length }));
    torrent.on('error', (e) => reject(new Error(String(e))));
  });
}

export function close(): Promise<void> {
  const wt = client;
  client = null;
  return new Promise((resolve) => (wt === null ? resolve() : wt.destroy(() => resolve())));
}
