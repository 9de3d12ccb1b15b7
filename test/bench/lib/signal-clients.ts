import { WebSocket } from 'ws';
import { encodeFrame, type ClientFrameBody } from '../../../shared/signaling.ts';

// Many light signaling clients in one Node process, for load. Setup frames are parsed; afterwards only
// announcements are looked for (a substring test), so the clients' own cost stays small beside the server's.

export interface LoadClient {
  socket: WebSocket;
  peerId: string;
  /** Called with the arrival time (performance.now()) of every announcement frame. */
  onAnnouncement: ((text: string, atMs: number) => void) | null;
  send(frame: ClientFrameBody): void;
}

function nextFrame(socket: WebSocket, type: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off('message', onMessage); reject(new Error(`no ${type} frame`)); }, timeoutMs);
    const onMessage = (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text.includes(`"type":"${type}"`) && !text.includes('"type":"error"')) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      const frame = JSON.parse(text) as Record<string, unknown>;
      if (frame['type'] === 'error') reject(new Error(`server error: ${text.slice(0, 200)}`));
      else resolve(frame);
    };
    socket.on('message', onMessage);
  });
}

/** Connects, says hello, joins swarmId; resolves once `joined` arrived. */
export async function connectMember(wsUrl: string, swarmId: string, timeoutMs = 30_000, localAddress?: string): Promise<LoadClient> {
  const socket = new WebSocket(wsUrl, localAddress ? { localAddress } : {});
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const send = (frame: ClientFrameBody) => socket.send(encodeFrame(frame));
  const welcomed = nextFrame(socket, 'welcome', timeoutMs);
  send({ type: 'hello' });
  const peerId = String((await welcomed)['peerId']);
  const joined = nextFrame(socket, 'joined', timeoutMs);
  send({ type: 'join', swarmId });
  await joined;
  const client: LoadClient = { socket, peerId, onAnnouncement: null, send };
  socket.on('message', (data: Buffer) => {
    if (client.onAnnouncement === null) return;
    const text = data.toString('utf8');
    if (text.includes('"type":"announcement"')) client.onAnnouncement(text, performance.now());
  });
  return client;
}

/** Runs `tasks` with at most `concurrency` in flight (a connect storm beyond the listen backlog only adds retries). */
export async function inBatches<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

export async function closeAll(clients: LoadClient[]): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    if (c.socket.readyState === WebSocket.CLOSED) { resolve(); return; }
    c.socket.once('close', () => resolve());
    c.socket.terminate();
  })));
}
