import { expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { newSwarmId, type SwarmId } from '../../shared/ids.ts';
import { createManifest, type Manifest } from '../../shared/manifest.ts';
import { encodeFrame, parseServerFrame, type ClientFrameBody, type ServerFrame } from '../../shared/signaling.ts';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../signaling-server/server.ts';

// One awaited fixture: a real server on port 0 and real ws clients that queue what they receive.

/** Any address tag: the server's keyed hash of an address, ADDRESS_TAG_BYTES in hex. */
export const TAG = expect.stringMatching(/^[0-9a-f]{16}$/);

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export interface TestClient {
  socket: WebSocket;
  /** Every valid frame received, in order (consumed or not). */
  received: ServerFrame[];
  send(frame: ClientFrameBody | string | Buffer): void;
  /** The first not-yet-consumed frame of this type (waits for it); frames of other types stay queued. */
  next<T extends ServerFrame['type']>(type: T): Promise<FrameOf<T>>;
  /** Resolves with the close code and reason once the socket is closed, whoever closed it. */
  closed: Promise<{ code: number; reason: string }>;
  hello(extra?: Omit<Extract<ClientFrameBody, { type: 'hello' }>, 'type'>): Promise<FrameOf<'welcome'>>;
  join(swarmId: SwarmId): Promise<FrameOf<'joined'>>;
}

export interface Harness {
  server: SignalingServer;
  wsUrl: string;
  httpUrl: string;
  connect(options?: ClientOptions): Promise<TestClient>;
  /** A connected client that has said hello. */
  peer(nickname?: string): Promise<TestClient & { peerId: string }>;
  /** Closes every client and the server; throws if the server ever sent a frame its own schema rejects. */
  close(): Promise<void>;
}

function openClient(url: string, options: ClientOptions | undefined, invalid: string[]): Promise<TestClient> {
  const socket = new WebSocket(url, options);
  const received: ServerFrame[] = [];
  const queue: ServerFrame[] = [];
  const waiters: { type: string; resolve: (f: ServerFrame) => void }[] = [];
  const deliver = () => {
    for (const waiter of [...waiters]) {
      const index = queue.findIndex((f) => f.type === waiter.type);
      if (index < 0) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(queue.splice(index, 1)[0]!);
    }
  };
  socket.on('message', (data: Buffer) => {
    const parsed = parseServerFrame(data.toString('utf8'));
    if (!parsed.ok) return void invalid.push(`${parsed.error.message}: ${data.toString('utf8').slice(0, 200)}`);
    received.push(parsed.value);
    queue.push(parsed.value);
    deliver();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const client: TestClient = {
    socket,
    received,
    closed,
    send: (frame) => socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : encodeFrame(frame)),
    next: <T extends ServerFrame['type']>(type: T) =>
      new Promise<FrameOf<T>>((resolve) => {
        waiters.push({ type, resolve: resolve as (f: ServerFrame) => void });
        deliver();
      }),
    hello: (extra = {}) => {
      client.send({ type: 'hello', ...extra });
      return client.next('welcome');
    },
    join: (swarmId) => {
      client.send({ type: 'join', swarmId });
      return client.next('joined');
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

/** A client of a server this fixture did not start (another process); frames the schema rejects throw at once. */
export async function connectTo(wsUrl: string): Promise<TestClient> {
  const invalid: string[] = [];
  const client = await openClient(wsUrl, undefined, invalid);
  client.socket.on('message', () => {
    if (invalid.length > 0) throw new Error(`server sent frames its schema rejects:\n${invalid.join('\n')}`);
  });
  return client;
}

export async function startHarness(options: SignalingServerOptions = {}): Promise<Harness> {
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', ...options });
  const wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  const clients: TestClient[] = [];
  const invalid: string[] = [];
  const connect = async (clientOptions?: ClientOptions) => {
    const client = await openClient(wsUrl, clientOptions, invalid);
    clients.push(client);
    return client;
  };
  return {
    server,
    wsUrl,
    httpUrl: `http://127.0.0.1:${server.port}`,
    connect,
    peer: async (nickname) => {
      const client = await connect();
      const welcome = await client.hello(nickname === undefined ? {} : { nickname });
      return Object.assign(client, { peerId: welcome.peerId });
    },
    close: async () => {
      for (const client of clients) client.socket.terminate();
      await server.close();
      if (invalid.length > 0) throw new Error(`server sent frames its schema rejects:\n${invalid.join('\n')}`);
    },
  };
}

/** A real manifest of `size` pseudo-random bytes (seeded so each call differs by seed). */
export async function makeFile(size: number, seed: number): Promise<{ fileId: string; manifest: Manifest }> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7919) & 0xff;
  // 64 KiB pieces (the smallest valid), so a few-MiB file makes a manifest big enough to test the byte limits.
  return createManifest(new Blob([bytes]), { name: `file-${seed}.bin`, smallestPieceLength: 64 * 1024 });
}

export { newSwarmId };
