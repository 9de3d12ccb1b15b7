import { WebSocket } from 'ws';
import { newSwarmId } from '../../../shared/ids.ts';
import { MAX_FILE_NAME_LENGTH, MAX_PIECES_PER_FILE } from '../../../shared/limits.ts';
import { computeFileId, type Manifest } from '../../../shared/manifest.ts';
import { encodeFrame } from '../../../shared/signaling.ts';
import { OPCODE, openRawWs } from '../../server/raw-ws.ts';

// The hostile sockets of the abuse bench, each a loop that runs until stop() and counts what it achieved.
// Every address is in 127.0.0.0/8 (Linux routes all of it to lo): one attacker posing as many laptops.

export interface Abuser { name: string; stop(): void; done: Promise<void>; counts: Record<string, number> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PLACEHOLDER_SWARM = '0'.repeat(32);

/** Announce frames of the largest manifest the protocol allows (4096 pieces, longest name), distinct fileIds. */
export async function maximalAnnounces(count: number): Promise<string[]> {
  const frames: string[] = [];
  for (let i = 0; i < count; i++) {
    const manifest: Manifest = {
      name: `${i}`.padEnd(MAX_FILE_NAME_LENGTH, '\u00e9'), size: MAX_PIECES_PER_FILE * 64 * 1024, mimeType: 'application/octet-stream',
      pieceLength: 64 * 1024, pieceHashes: Array.from({ length: MAX_PIECES_PER_FILE }, (_, p) => `${i}-${p}`.padStart(64, 'f').replace(/-/g, 'e')),
    };
    frames.push(encodeFrame({ type: 'announce', swarmId: PLACEHOLDER_SWARM, fileId: await computeFileId(manifest), manifest }));
  }
  return frames;
}

function loop(name: string, body: (running: () => boolean, counts: Record<string, number>) => Promise<void>): Abuser {
  let running = true;
  const counts: Record<string, number> = {};
  const done = body(() => running, counts).catch(() => {});
  return { name, counts, done, stop: () => void (running = false) };
}
const count = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);

/** Opens sockets that never say hello and send full-size frames (a maximal announce), reopening each one closed. */
export function preHelloFlooder(port: number, address: string, frame: string): Abuser {
  let masked: Buffer | null = null; // masked once: the attacker's CPU goes to sending, not to masking
  return loop('pre-hello flood', async (running, counts) => {
    while (running()) {
      const raw = await openRawWs(port, { localAddress: address }).catch(() => null);
      if (!raw) { count(counts, 'refused'); await sleep(50); continue; }
      count(counts, 'opened');
      masked ??= raw.frame(OPCODE.text, frame);
      for (let i = 0; i < 4 && running(); i++) raw.socket.write(masked);
      await Promise.race([raw.ended, sleep(2000)]);
      raw.socket.destroy();
    }
  });
}

async function helloSocket(wsUrl: string, address: string): Promise<WebSocket | null> {
  const socket = new WebSocket(wsUrl, { localAddress: address });
  socket.on('error', () => {});
  const opened = await new Promise<boolean>((resolve) => { socket.once('open', () => resolve(true)); socket.once('close', () => resolve(false)); });
  if (!opened) return null;
  socket.send(encodeFrame({ type: 'hello' }));
  return socket;
}

/** One socket joins as many swarms as it may and announces maximal manifests into each, paced under the rate cap. */
export function budgetFiller(wsUrl: string, address: string, announces: string[], framesPerSecond: number): Abuser {
  return loop('manifest budget fill', async (running, counts) => {
    while (running()) {
      const socket = await helloSocket(wsUrl, address);
      if (!socket) { count(counts, 'refused'); await sleep(200); continue; }
      socket.on('message', (data: Buffer) => {
        const text = data.toString('utf8', 0, 200);
        if (text.includes('"type":"error"')) count(counts, /"code":"(\w+)"/.exec(text)?.[1] ?? 'error');
      });
      const swarms = Array.from({ length: 32 }, () => newSwarmId());
      for (const swarmId of swarms) socket.send(encodeFrame({ type: 'join', swarmId }));
      for (const frame of announces) {
        for (const swarmId of swarms) {
          if (!running() || socket.readyState !== socket.OPEN) break;
          socket.send(frame.replace(PLACEHOLDER_SWARM, swarmId));
          count(counts, 'announces');
          await sleep(1000 / framesPerSecond);
        }
      }
      if (running()) await new Promise((r) => socket.once('close', r));
    }
  });
}

/** A socket that says hello, joins `swarmId` and stops reading (its kernel buffer fills; it never pongs). */
export function nonReader(port: number, address: string, swarmId: string): Abuser {
  return loop('non-reader', async (running, counts) => {
    while (running()) {
      const raw = await openRawWs(port, { localAddress: address }).catch(() => null);
      if (!raw) { count(counts, 'refused'); await sleep(200); continue; }
      raw.send(OPCODE.text, encodeFrame({ type: 'hello' }));
      raw.send(OPCODE.text, encodeFrame({ type: 'join', swarmId }));
      raw.socket.pause();
      count(counts, 'opened');
      while (running() && !raw.socket.destroyed) {
        raw.send(OPCODE.pong, 'unsolicited');
        await sleep(1000);
      }
      raw.socket.destroy();
    }
  });
}

/** Guesses share codes as fast as the server answers, on one socket after another from one address. */
export function codeGuesser(wsUrl: string, address: string): Abuser {
  return loop('code guesser', async (running, counts) => {
    while (running()) {
      const socket = await helloSocket(wsUrl, address);
      if (!socket) { count(counts, 'refused'); await sleep(200); continue; }
      await new Promise<void>((resolve) => {
        const guess = () => socket.send(encodeFrame({ type: 'resolve-code', code: 'ZZZZZZ' }));
        socket.on('message', (data: Buffer) => {
          const code = /"code":"(\w+)"/.exec(data.toString('utf8', 0, 200))?.[1];
          if (code) count(counts, code);
          if (running() && code !== 'ERR_RATE_LIMIT') guess();
          else socket.close(); // over its rate: reconnecting is what a guesser tries next
        });
        socket.once('close', () => resolve());
        guess();
      });
    }
  });
}
