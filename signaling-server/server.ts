import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { newPeerId, type PeerId } from '../shared/ids.ts';
import {
  HEARTBEAT_MS, HTTP_HEADERS_TIMEOUT_MS, MAX_WS_PAYLOAD_BYTES, TCP_HEADROOM, TCP_HEADROOM_PER_ADDRESS,
} from '../shared/limits.ts';
import { ADDRESS_TAG_BYTES, CLOSE_SHUTDOWN, DEFAULT_PORT, SIGNAL_PATH, type IceServer } from '../shared/signaling.ts';
import type { Directory, DirectoryHealth, LocalPeers } from './directory/contract.ts';
import { createMemoryDirectory } from './directory/memory.ts';
import { createRedisDirectory } from './directory/redis/directory.ts';
import { addressKey, createAddresses } from './guards/addresses.ts';
import { guardTcpConnections } from './guards/tcp-guard.ts';
import { isAllowedOrigin } from './guards/web-security.ts';
import { createStaticHandler } from './http/static.ts';
import { DEFAULT_LIMITS, peerInfo, sendText, type Client, type Hub, type ServerLimits, type Session } from './hub.ts';
import { silentLogger, throttledLogger, type Logger } from './log.ts';
import { startIceServices, type IceConfig, type IceProvider, type IceServices } from './relay/ice-config.ts';
import { CLOSE_GRACE_MS, heartbeat, onConnection } from './sockets.ts';

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

function createDirectory(opts: SignalingServerOptions, limits: ServerLimits, local: LocalPeers, logger: Logger): Directory {
  if (opts.redisUrl === undefined) return createMemoryDirectory(limits, randomInt, local);
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  return createRedisDirectory({ url: opts.redisUrl, limits, local, logger, heartbeatMs, randomInt });
}

function createHub(opts: SignalingServerOptions): Hub {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const key = opts.resumeKey ?? randomBytes(32);
  const resumeSecretFor = (peerId: string) => createHmac('sha256', key).update(peerId).digest('hex');
  // Another message space than peerIds (hex), so a tag is never a resume secret's prefix.
  const addressTagFor = (address: string) => createHmac('sha256', key).update(`address:${address}`).digest('hex').slice(0, ADDRESS_TAG_BYTES * 2);
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
      return session && peerInfo(session);
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
    addressTagFor,
    newPeerId,
    randomInt,
  };
  return hub;
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
  let ice: IceServices | null = null;
  try {
    // The relay first: a port it cannot have is refused before anything is served.
    if (opts.iceConfig) ice = await startIceServices(opts.iceConfig, { isMember, ...(opts.logger ? { logger: opts.logger } : {}) });
    hub.ice = opts.ice ?? ice;
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
