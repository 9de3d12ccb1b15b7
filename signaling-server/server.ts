import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { newPeerId, type PeerId } from '../shared/ids.ts';
import { err, type Result } from '../shared/result.ts';
import {
  HEARTBEAT_MS, HTTP_HEADERS_TIMEOUT_MS, MAX_WS_PAYLOAD_BYTES, TCP_HEADROOM, TCP_HEADROOM_PER_ADDRESS,
} from '../shared/limits.ts';
import {
  CLOSE_NO_HELLO, CLOSE_RATE_LIMIT, CLOSE_SERVER_FULL, CLOSE_SHUTDOWN, CLOSE_TOO_LARGE, CLOSE_TOO_MANY_FROM_ADDRESS,
  CLOSE_UNFINISHED, DEFAULT_PORT, SIGNAL_PATH, parseClientFrame, type ClientFrame, type IceServer, type SignalError,
} from '../shared/signaling.ts';
import { addressKey, createAddresses } from './guards/addresses.ts';
import { endSession, handleFrame } from './handlers.ts';
import { startIceServices, type IceConfig, type IceProvider, type IceServices } from './relay/ice-config.ts';
import type { Directory, DirectoryHealth, LocalPeers } from './directory/contract.ts';
import {
  DEFAULT_LIMITS, sendError, sendText, type Client, type Hub, type ServerLimits, type Session,
} from './hub.ts';
import { checkLiveness, onPong } from './guards/liveness.ts';
import { createSocketRateLimiter } from './guards/rate-limit.ts';
import { createMemoryDirectory } from './directory/memory.ts';
import { createRedisDirectory } from './directory/redis/directory.ts';
import { createStaticHandler } from './http/static.ts';
import { guardTcpConnections } from './guards/tcp-guard.ts';
import { silentLogger, throttledLogger, type Logger } from './log.ts';
import { isAllowedOrigin } from './guards/web-security.ts';
import { setMaxMessageBytes } from './guards/ws-receiver.ts';

export interface SignalingServerOptions {
  port?: number; // 0 = any free port
  host?: string;
  staticDir?: string; // the built page; default <repo>/dist
  iceServers?: readonly IceServer[];
  /** The teacher's STUN/TURN, started before the server listens and closed with it; TURN serves this server's members. */
  iceConfig?: IceConfig;
  /** Or ICE services the caller runs itself (tests). */
  ice?: IceProvider;
  logger?: Logger;
  heartbeatMs?: number;
  limits?: Partial<ServerLimits>;
  /** HMAC key of resume secrets (32 bytes). Keep it across restarts so tabs keep their peerIds and open links. */
  resumeKey?: Uint8Array;
  /** Share swarms with the other processes of a school through this Redis; absent: everything in memory. */
  redisUrl?: string;
}

export interface SignalingServer {
  port: number;
  host: string;
  stats(): { connections: number; peers: number; swarms: number; codes: number; directory: DirectoryHealth };
  /** A connected peer in at least one swarm: the only kind the TURN relay serves. */
  isMember(peerId: PeerId): boolean;
  /** What the start banner says of STUN/TURN (empty without iceConfig). */
  describeIce(): string[];
  /** Closes every socket (4002), stops listening. Idempotent. */
  close(): Promise<void>;
}

/** Every interface: the class reaches the teacher's laptop on its LAN address. */
export const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
/** How long close() waits for sockets to finish their close handshake before cutting them. */
const CLOSE_GRACE_MS = 1000;

function createDirectory(opts: SignalingServerOptions, limits: ServerLimits, local: LocalPeers, logger: Logger): Directory {
  if (opts.redisUrl === undefined) return createMemoryDirectory(limits, randomInt, local);
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  return createRedisDirectory({ url: opts.redisUrl, limits, local, logger, heartbeatMs, randomInt });
}

function createHub(opts: SignalingServerOptions): Hub {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const key = opts.resumeKey ?? randomBytes(32);
  const resumeSecretFor = (peerId: string) => createHmac('sha256', key).update(peerId).digest('hex');
  const logger = throttledLogger(opts.logger ?? silentLogger);
  const sessions = new Map<PeerId, Session>();
  const local: LocalPeers = {
    deliver: (peerId, text) => {
      const session = sessions.get(peerId);
      if (session) sendText(hub, session.client, text);
      return session !== undefined;
    },
    info: (peerId) => {
      const session = sessions.get(peerId);
      return session && { peerId, nickname: session.nickname };
    },
  };
  const hub: Hub = {
    directory: createDirectory(opts, limits, local, logger),
    sessions,
    iceServers: opts.iceServers ?? [],
    ice: opts.ice ?? null,
    limits,
    addresses: createAddresses(limits),
    logger,
    resumeSecretFor,
    isResumeSecret: (peerId, secret) => {
      const expected = Buffer.from(resumeSecretFor(peerId));
      const claimed = Buffer.from(secret);
      return claimed.length === expected.length && timingSafeEqual(claimed, expected);
    },
    newPeerId,
    randomInt,
  };
  return hub;
}

const rawLength = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
const rawText = (data: RawData): string => {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
};

/** Closes after the answers already queued, and ignores whatever the socket sends meanwhile. */
function closeFor(hub: Hub, client: Client, code: number, reason: string): void {
  hub.logger.warn('closing an abusive socket', { code, reason });
  client.closing = true;
  enqueue(hub, client, () => closeSoon(client.socket, code, reason));
}

/** Sends the close frame, and cuts the socket if it has not finished the handshake within CLOSE_GRACE_MS. */
function closeSoon(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}

/** Frames are handled one after another (announce awaits hashing), so every answer keeps its frame's order. */
function enqueue(hub: Hub, client: Client, task: () => void | Promise<void>): void {
  client.handled = client.handled.then(task).catch((error: unknown) => {
    hub.logger.warn('frame handler failed', { error: String(error) });
  });
}

const answer = (hub: Hub, client: Client, error: SignalError): void => enqueue(hub, client, () => sendError(hub, client, error));

/** Charges `cost` frames and `bytes` to the socket's address; answers or closes when either is over its rate. */
function admit(hub: Hub, client: Client, cost: number, bytes = 0): boolean {
  const overBytes = bytes > 0 && !hub.addresses.spendBytes(client.address, bytes);
  const verdict = overBytes ? client.limiter.refuse() : client.limiter.admit(cost);
  const message = overBytes ? 'too many bytes from your address: slow down' : 'too many frames: slow down';
  if (verdict === 'refuse') answer(hub, client, { code: 'ERR_RATE_LIMIT', message });
  if (verdict === 'close') closeFor(hub, client, CLOSE_RATE_LIMIT, 'rate limit exceeded');
  return verdict === 'ok';
}

/** Before hello the socket may send a hello and nothing else, each frame at most maxHelloFrameBytes (ws enforces). */
function onFirstFrame(hub: Hub, client: Client, parsed: Result<ClientFrame, SignalError>): void {
  if (!parsed.ok || parsed.value.type !== 'hello') {
    answer(hub, client, parsed.ok ? { code: 'ERR_NOT_HELLO', message: 'send hello first', ref: parsed.value.type } : parsed.error);
    return closeFor(hub, client, CLOSE_NO_HELLO, 'hello first');
  }
  const frame = parsed.value;
  client.helloSeen = true;
  setMaxMessageBytes(client.socket, Math.max(MAX_WS_PAYLOAD_BYTES, hub.limits.maxFrameBytes));
  enqueue(hub, client, () => handleFrame(hub, client, frame));
}

function onMessage(hub: Hub, client: Client, data: RawData, isBinary: boolean): void {
  if (client.closing || client.socket.readyState !== client.socket.OPEN) return;
  client.unfinishedSince = null;
  if (rawLength(data) > hub.limits.maxFrameBytes) {
    client.oversizedFrames += 1;
    if (client.oversizedFrames > hub.limits.maxOversizedFrames) return closeFor(hub, client, CLOSE_TOO_LARGE, 'frames too large');
    return answer(hub, client, { code: 'ERR_FRAME_TOO_LARGE', message: `frames are limited to ${hub.limits.maxFrameBytes} bytes` });
  }
  if (!admit(hub, client, 1, rawLength(data))) return;
  const parsed: Result<ClientFrame, SignalError> = isBinary
    ? err({ code: 'ERR_BAD_FRAME', message: 'frames are JSON text, not binary' })
    : parseClientFrame(rawText(data));
  if (!client.helloSeen) return onFirstFrame(hub, client, parsed);
  if (!parsed.ok) return answer(hub, client, parsed.error);
  const frame = parsed.value;
  if (frame.type === 'resolve-code' && !admit(hub, client, hub.limits.resolveCodeCost - 1)) return;
  enqueue(hub, client, () => handleFrame(hub, client, frame));
}

const CONNECT_REFUSALS: Record<'address-full' | 'server-full', [code: number, reason: string]> = {
  'address-full': [CLOSE_TOO_MANY_FROM_ADDRESS, 'too many connections from your address'],
  'server-full': [CLOSE_SERVER_FULL, 'server full'],
};

function onConnection(hub: Hub, clients: Set<Client>, socket: WebSocket, req: IncomingMessage): void {
  const address = addressKey(req.socket.remoteAddress);
  const verdict = hub.addresses.connect(address);
  if (verdict !== 'ok') {
    hub.logger.warn('refusing a connection', { address, verdict });
    return closeSoon(socket, ...CONNECT_REFUSALS[verdict]);
  }
  setMaxMessageBytes(socket, hub.limits.maxHelloFrameBytes);
  const client: Client = {
    socket, session: null, limiter: createSocketRateLimiter(hub.limits), oversizedFrames: 0, helloSeen: false,
    missedPongs: 0, unansweredPings: [], unfinishedSince: null, handled: Promise.resolve(), closing: false,
    host: req.headers.host, address,
  };
  clients.add(client);
  const helloTimer = setTimeout(() => {
    if (!client.helloSeen && !client.closing) closeFor(hub, client, CLOSE_NO_HELLO, 'no hello');
  }, hub.limits.helloTimeoutMs);
  socket.on('message', (data, isBinary) => {
    try {
      onMessage(hub, client, data, isBinary);
    } catch (error) {
      hub.logger.warn('frame failed', { error: String(error) });
    }
  });
  socket.on('pong', (data) => onPong(client, data));
  socket.on('error', (error) => {
    hub.logger.warn('socket error', { error: error.message });
    if (!client.helloSeen) socket.terminate(); // a stranger's oversized frame: not one more byte of it is read
  });
  socket.on('close', () => {
    clearTimeout(helloTimer);
    clients.delete(client);
    hub.addresses.disconnect(address);
    const session = client.session;
    client.session = null;
    // After the frames still being handled (a join awaiting Redis), so nothing joins after the session ended.
    if (session?.client === client) enqueue(hub, client, () => endSession(hub, session));
  });
}

/** One heartbeat: pings every socket, and ends those that stopped reading or left a message unfinished. */
function heartbeat(hub: Hub, clients: Set<Client>): void {
  const now = Date.now();
  for (const client of clients) {
    const verdict = checkLiveness(hub, client, now);
    if (verdict === 'alive') continue;
    hub.logger.info('dropping a socket', { verdict, address: client.address });
    client.closing = true;
    if (verdict === 'unfinished') closeSoon(client.socket, CLOSE_UNFINISHED, 'message left unfinished');
    else client.socket.terminate();
  }
  hub.addresses.sweep();
}

function listen(http: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      const address = http.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function closeAll(clients: Set<Client>, wss: WebSocketServer, http: Server): Promise<void> {
  for (const client of clients) client.socket.close(CLOSE_SHUTDOWN, 'server shutting down');
  const drained = new Promise<void>((resolve) => wss.close(() => resolve()));
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  for (const client of clients) client.socket.terminate();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
}

export async function createSignalingServer(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const hub = createHub(opts);
  const isMember = (peerId: PeerId) => hub.directory.localSwarmsOf(peerId).size > 0;
  // The relay first: a port it cannot have is refused before anything is served.
  const ice: IceServices | null = opts.iceConfig
    ? await startIceServices(opts.iceConfig, { isMember, ...(opts.logger ? { logger: opts.logger } : {}) })
    : null;
  hub.ice = opts.ice ?? ice;
  try {
    return await serve(opts, hub, isMember, ice);
  } catch (error) {
    await Promise.all([ice?.close(), hub.directory.close()]);
    throw error;
  }
}

async function serve(opts: SignalingServerOptions, hub: Hub, isMember: (peerId: PeerId) => boolean, ice: IceServices | null): Promise<SignalingServer> {
  const clients = new Set<Client>();
  const stats = () => {
    const { swarms, codes } = hub.directory.stats();
    return { connections: clients.size, peers: hub.sessions.size, swarms, codes, directory: hub.directory.health() };
  };
  const http = createServer(createStaticHandler(opts.staticDir ?? DEFAULT_STATIC_DIR, stats));
  const wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(MAX_WS_PAYLOAD_BYTES, hub.limits.maxFrameBytes) });
  wss.on('connection', (socket, req: IncomingMessage) => onConnection(hub, clients, socket, req));
  wss.on('error', (error) => hub.logger.warn('ws server error', { error: error.message }));
  guardTcpConnections(http, {
    maxPerAddress: hub.limits.maxConnectionsPerAddress + TCP_HEADROOM_PER_ADDRESS,
    maxTotal: hub.limits.maxConnections + TCP_HEADROOM,
    headersTimeoutMs: HTTP_HEADERS_TIMEOUT_MS,
  }, hub.logger);
  http.on('clientError', (_error, socket) => socket.destroy());
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== SIGNAL_PATH) return void socket.destroy();
    if (!isAllowedOrigin(req)) {
      hub.logger.warn('refusing a /ws upgrade from another origin', { origin: req.headers.origin });
      return void socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    // Refused before the handshake's work: a flood reopening sockets costs the server one line each.
    if (!hub.addresses.mayUpgrade(addressKey(req.socket.remoteAddress))) {
      return void socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const host = opts.host ?? DEFAULT_HOST;
  const port = await listen(http, opts.port ?? DEFAULT_PORT, host);
  const timer = setInterval(() => heartbeat(hub, clients), opts.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  let closing: Promise<void> | null = null;
  return {
    port,
    host,
    stats,
    isMember,
    describeIce: () => ice?.describe() ?? [],
    close: () => {
      clearInterval(timer);
      closing ??= Promise.all([closeAll(clients, wss, http).then(() => hub.directory.close()), ice?.close()]).then(() => undefined);
      return closing;
    },
  };
}
