import { WebSocket } from 'ws';
import { createManifest } from '../../shared/manifest.ts';
import { encodeFrame, parseServerFrame } from '../../shared/signaling.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/server.ts';
import type { Rng } from './frames.ts';
import { nextSignalingText } from './signaling-frames.ts';

// Fuzz frames through a real signaling server over real sockets: every byte goes through the server's
// own message path (size check, rate limiter, parse, ordered handlers, rooms, relay, broadcast). Half the
// frames are nextSignalingText's random and mutated text; half aim at a small pool of swarms, files and the
// live peers, so joins, announces and signals reach real state. A handler that throws is caught and logged by
// the server: those logs are counted as uncaught exceptions. Rate limits (frames per socket, bytes and new sockets
// per address) are raised so frames reach the handlers.

const SOCKETS = 4;
/** Frames sent before each barrier (a share-code of the socket's own swarm, answered in frame order). */
const BATCH = 200;
const POOL_SWARMS = 6;

type Counts = Record<string, number>;
const bump = (counts: Counts, key: string): void => void (counts[key] = (counts[key] ?? 0) + 1);
const int = (rng: Rng, below: number): number => Math.floor(rng() * below);
const hex = (rng: Rng, bytes: number): string => Array.from({ length: bytes * 2 }, () => '0123456789abcdef'[int(rng, 16)]).join('');

interface Pool {
  swarms: string[];
  files: { fileId: string; manifest: unknown }[];
  peers: string[];
}

export interface ServerFuzzReport {
  frames: number;
  answers: Counts;
  closes: Counts;
  reconnects: number;
  uncaught: number;
  healthyAfter: boolean;
}

function aimedFrame(rng: Rng, pool: Pool): string {
  const swarmId = pool.swarms[int(rng, pool.swarms.length)]!;
  const file = pool.files[int(rng, pool.files.length)]!;
  const to = pool.peers[int(rng, pool.peers.length)] ?? hex(rng, 16);
  switch (int(rng, 6)) {
    case 0: return encodeFrame({ type: 'join', swarmId });
    case 1: return encodeFrame({ type: 'leave', swarmId });
    case 2: return JSON.stringify({ v: 1, type: 'announce', swarmId, ...file, ...(rng() < 0.3 ? { fileId: hex(rng, 32) } : {}) });
    case 3: return encodeFrame({ type: 'signal', to, payload: { type: 'renegotiate', renegotiate: true } });
    case 4: return encodeFrame({ type: 'share-code', swarmId });
    default: return encodeFrame({ type: 'nickname', nickname: `n${int(rng, 1000)}` });
  }
}

/** One socket: hello, its own barrier swarm; then frames in batches, reconnecting whenever the server closes it. */
async function openFuzzSocket(url: string, rng: Rng, pool: Pool, report: ServerFuzzReport) {
  const ws = new WebSocket(url);
  const barrier = hex(rng, 16);
  let waiting: (() => void) | null = null;
  const closed = new Promise<void>((resolve) => ws.on('close', (code) => {
    bump(report.closes, String(code));
    waiting?.();
    resolve();
  }));
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    const frame = parseServerFrame(data.toString('utf8'));
    if (!frame.ok) return bump(report.answers, 'INVALID-SERVER-FRAME');
    const f = frame.value;
    bump(report.answers, f.type === 'error' ? f.code : f.type);
    if (f.type === 'welcome') pool.peers.push(f.peerId);
    if ((f.type === 'share-code' && f.swarmId === barrier) || f.type === 'joined' && f.swarmId === barrier) waiting?.();
  });
  const settle = (send: () => void) => new Promise<void>((resolve) => {
    waiting = () => ((waiting = null), resolve());
    if (ws.readyState !== ws.OPEN) return waiting();
    send();
  });
  await new Promise<void>((resolve) => ws.once('open', resolve).once('close', resolve));
  ws.send(encodeFrame({ type: 'hello' }));
  await settle(() => ws.send(encodeFrame({ type: 'join', swarmId: barrier })));
  return {
    open: () => ws.readyState === ws.OPEN,
    async batch(frames: string[]) {
      for (const text of frames) if (ws.readyState === ws.OPEN) ws.send(text);
      await settle(() => ws.send(encodeFrame({ type: 'share-code', swarmId: barrier })));
    },
    close: () => (ws.close(), closed),
  };
}

async function makePool(rng: Rng): Promise<Pool> {
  const files = [];
  for (let i = 0; i < 3; i++) {
    const bytes = Uint8Array.from({ length: 70_000 }, () => int(rng, 256));
    files.push(await createManifest(new Blob([bytes]), { name: `fuzz-${i}.bin` }));
  }
  return { swarms: Array.from({ length: POOL_SWARMS }, () => hex(rng, 16)), files, peers: [] };
}

async function stillServes(server: SignalingServer): Promise<boolean> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => (ws.terminate(), resolve(false)), 5000);
    ws.on('error', () => resolve(false));
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello' })));
    ws.on('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve(parseServerFrame(data.toString('utf8')).ok);
      ws.close();
    });
  });
}

/** `frames` fuzz frames through one real server on 127.0.0.1, over SOCKETS concurrent sockets. */
export async function fuzzServer(rng: Rng, frames: number): Promise<ServerFuzzReport> {
  const report: ServerFuzzReport = { frames, answers: {}, closes: {}, reconnects: 0, uncaught: 0, healthyAfter: false };
  const logger = {
    info: () => {},
    warn: (message: string) => void (/failed/.test(message) && report.uncaught++),
  };
  const server = await createSignalingServer({
    port: 0, host: '127.0.0.1', logger,
    limits: { rateBurst: 1e9, ratePerSecond: 1e9, inboundBytesBurstPerAddress: 1e12, newConnectionsBurstPerAddress: 1e9 },
  });
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const pool = await makePool(rng);
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) sockets.push(await openFuzzSocket(url, rng, pool, report));
  try {
    let sent = 0;
    while (sent < frames) {
      await Promise.all(sockets.map(async (socket, i) => {
        const batch = Array.from({ length: Math.max(0, Math.min(BATCH, frames - sent)) }, () =>
          rng() < 0.5 ? nextSignalingText(rng) : aimedFrame(rng, pool));
        sent += batch.length;
        await socket.batch(batch);
        if (!socket.open()) {
          report.reconnects++;
          sockets[i] = await openFuzzSocket(url, rng, pool, report);
        }
      }));
    }
    report.healthyAfter = await stillServes(server);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await server.close();
  }
  return report;
}
