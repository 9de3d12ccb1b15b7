import type { FileId, PeerId, SwarmId } from '../shared/ids.ts';
import type { Manifest } from '../shared/manifest.ts';
import { err, ok, type Result } from '../shared/result.ts';
import {
  CLOSE_REPLACED, encodeFrame, parseServerFrame, signalingUrl,
  type Announcement, type ClientFrameBody, type IceServer, type PeerInfo, type ServerFrame, type SignalError,
  type SignalPayload,
} from '../shared/signaling.ts';
import type { StoredIdentity } from './profile.ts';

// Tab ↔ server signaling (notes/signaling-spec.md). Keeps the swarms this tab joined and its own announcements,
// so after the server goes away it reconnects (backoff with full jitter), resumes its peerId and replays both.

/** First retry waits at most this long: a restarted server is usually back within a second. */
const BACKOFF_BASE_MS = 500;
/** Longest wait between attempts: a class should be back within seconds of the teacher restarting the server. */
const BACKOFF_CAP_MS = 4000;
/** share-code / resolve-code answers come back within one round trip; this bounds a lost answer. */
const REQUEST_TIMEOUT_MS = 10_000;

export type SignalingStatus = 'connecting' | 'open' | 'closed';

export interface Welcome {
  peerId: PeerId;
  resumed: boolean;
  iceServers: IceServer[];
}

export interface SignalingHandlers {
  onStatus(status: SignalingStatus): void;
  onWelcome(welcome: Welcome): void;
  onJoined(swarmId: SwarmId, members: PeerInfo[], announcements: Announcement[]): void;
  onLeft(swarmId: SwarmId): void;
  onPeerJoined(swarmId: SwarmId, peer: PeerInfo): void;
  onPeerLeft(swarmId: SwarmId, peerId: PeerId): void;
  onPeerUpdated(peer: PeerInfo): void;
  onAnnouncement(swarmId: SwarmId, announcement: Announcement): void;
  onSignal(from: PeerId, payload: SignalPayload): void;
  onError(error: SignalError): void;
}

export interface SignalingClient {
  readonly status: SignalingStatus;
  /** null until the first welcome. */
  readonly peerId: PeerId | null;
  readonly iceServers: IceServer[];
  /** Adds handlers (any subset); returns a function that removes them. */
  subscribe(handlers: Partial<SignalingHandlers>): () => void;
  join(swarmId: SwarmId): void;
  leave(swarmId: SwarmId): void;
  announce(swarmId: SwarmId, fileId: FileId, manifest: Manifest): void;
  /** Dropped when the socket is not open: WebRTC negotiation retries on its own. Returns whether it was sent. */
  signal(to: PeerId, payload: SignalPayload): boolean;
  setNickname(nickname: string): void;
  shareCode(swarmId: SwarmId): Promise<Result<string, SignalError>>;
  resolveCode(code: string): Promise<Result<SwarmId, SignalError>>;
  joinedSwarms(): SwarmId[];
  /** Idempotent. */
  close(): void;
}

export interface SignalingClientOptions {
  url?: string;
  identity: { load(): StoredIdentity | null; save(identity: StoredIdentity | null): void };
  nickname?: string;
  createSocket?: (url: string) => WebSocket;
  random?: () => number;
}

/** Full jitter: uniform in [0, min(cap, base·2^attempt)] (AWS architecture blog, "Exponential Backoff And Jitter"). */
export const backoffDelay = (attempt: number, random: () => number): number =>
  random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);

type Pending<T> = { key: string; settle: (r: Result<T, SignalError>) => void };

export function createSignalingClient(opts: SignalingClientOptions): SignalingClient {
  const url = opts.url ?? signalingUrl(location);
  const createSocket = opts.createSocket ?? ((u: string) => new WebSocket(u));
  const random = opts.random ?? Math.random;
  const handlers = new Set<Partial<SignalingHandlers>>();
  const swarms = new Set<SwarmId>(); // swarms to be in, replayed after every welcome
  const announcements = new Map<string, { swarmId: SwarmId; fileId: FileId; manifest: Manifest }>();
  const pendingCodes: Pending<string>[] = []; // share-code requests awaiting their answer, oldest first
  const pendingResolves: Pending<SwarmId>[] = [];
  let socket: WebSocket | null = null;
  let welcomed = false; // hello answered on the current socket
  let attempt = 0; // failed connection attempts since the last welcome
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let status: SignalingStatus = 'connecting';
  let peerId: PeerId | null = null;
  let iceServers: IceServer[] = [];
  let nickname = opts.nickname;
  let closed = false;

  function emit<K extends keyof SignalingHandlers>(name: K, ...args: Parameters<SignalingHandlers[K]>): void {
    for (const h of [...handlers]) (h[name] as ((...a: typeof args) => void) | undefined)?.(...args);
  }

  function setStatus(next: SignalingStatus): void {
    if (status === next) return;
    status = next;
    emit('onStatus', next);
  }

  function send(body: ClientFrameBody): boolean {
    if (socket === null || socket.readyState !== WebSocket.OPEN) return false;
    if (body.type !== 'hello' && !welcomed) return false;
    socket.send(encodeFrame(body));
    return true;
  }

  function connect(): void {
    retryTimer = null;
    if (closed) return;
    setStatus('connecting');
    const ws = createSocket(url);
    socket = ws;
    welcomed = false;
    ws.onopen = () => {
      const id = opts.identity.load();
      send({ type: 'hello', ...(id ?? {}), ...(nickname !== undefined ? { nickname } : {}) });
    };
    ws.onmessage = (e: MessageEvent) => {
      if (socket === ws && typeof e.data === 'string') onFrame(e.data);
    };
    ws.onclose = (e: CloseEvent) => {
      if (socket === ws) onSocketGone(e.code);
    };
  }

  function onSocketGone(code: number): void {
    socket = null;
    welcomed = false;
    failPending({ code: 'ERR_NO_SUCH_PEER', message: 'signaling connection lost' });
    if (closed) return;
    // Replaced: another tab (a duplicate) resumed our identity; take a fresh one instead of fighting over it.
    if (code === CLOSE_REPLACED) opts.identity.save(null);
    setStatus('connecting');
    retryTimer = setTimeout(connect, backoffDelay(attempt++, random));
  }

  function onWelcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void {
    welcomed = true;
    attempt = 0;
    peerId = frame.peerId;
    iceServers = frame.iceServers;
    opts.identity.save({ peerId: frame.peerId, resumeSecret: frame.resumeSecret });
    setStatus('open');
    emit('onWelcome', { peerId: frame.peerId, resumed: frame.resumed, iceServers: frame.iceServers });
    for (const swarmId of swarms) send({ type: 'join', swarmId });
    for (const a of announcements.values()) send({ type: 'announce', ...a });
  }

  function onFrame(text: string): void {
    const parsed = parseServerFrame(text);
    if (!parsed.ok) return emit('onError', parsed.error);
    const f = parsed.value;
    switch (f.type) {
      case 'welcome': return onWelcome(f);
      case 'ice-servers': iceServers = f.iceServers; return;
      case 'joined': return emit('onJoined', f.swarmId, f.members, f.announcements);
      case 'left': return emit('onLeft', f.swarmId);
      case 'peer-joined': return emit('onPeerJoined', f.swarmId, f.peer);
      case 'peer-left': return emit('onPeerLeft', f.swarmId, f.peerId);
      case 'peer-updated': return emit('onPeerUpdated', f.peer);
      case 'announcement': return emit('onAnnouncement', f.swarmId, { fileId: f.fileId, manifest: f.manifest, from: f.from });
      case 'signal': return emit('onSignal', f.from, f.payload);
      case 'share-code': return settle(pendingCodes, f.swarmId, ok(f.code));
      case 'code-resolved': return settle(pendingResolves, f.code, ok(f.swarmId));
      case 'error': return onErrorFrame(f);
      default: { const never: never = f; return never; }
    }
  }

  function onErrorFrame(f: Extract<ServerFrame, { type: 'error' }>): void {
    const error: SignalError = { code: f.code, message: f.message, ...(f.ref !== undefined ? { ref: f.ref } : {}) };
    if (f.ref === 'share-code') pendingCodes.shift()?.settle(err(error));
    else if (f.ref === 'resolve-code') pendingResolves.shift()?.settle(err(error));
    emit('onError', error);
  }

  function settle<T>(queue: Pending<T>[], key: string, result: Result<T, SignalError>): void {
    const i = queue.findIndex((p) => p.key === key);
    if (i >= 0) queue.splice(i, 1)[0]!.settle(result);
  }

  function failPending(error: SignalError): void {
    for (const p of pendingCodes.splice(0)) p.settle(err(error));
    for (const p of pendingResolves.splice(0)) p.settle(err(error));
  }

  function request<T>(queue: Pending<T>[], key: string, body: ClientFrameBody): Promise<Result<T, SignalError>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(err({ code: 'ERR_NO_SUCH_PEER', message: 'no answer from the server' })), REQUEST_TIMEOUT_MS);
      const entry: Pending<T> = { key, settle: done };
      function done(r: Result<T, SignalError>) {
        clearTimeout(timer);
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        resolve(r);
      }
      queue.push(entry);
      if (!send(body)) done(err({ code: 'ERR_NO_SUCH_PEER', message: 'not connected to the signaling server' }));
    });
  }

  connect();
  return {
    get status() { return status; },
    get peerId() { return peerId; },
    get iceServers() { return iceServers; },
    subscribe(h) {
      handlers.add(h);
      return () => void handlers.delete(h);
    },
    join(swarmId) {
      if (closed || swarms.has(swarmId)) return;
      swarms.add(swarmId);
      send({ type: 'join', swarmId });
    },
    leave(swarmId) {
      if (closed || !swarms.delete(swarmId)) return;
      for (const [key, a] of announcements) if (a.swarmId === swarmId) announcements.delete(key);
      send({ type: 'leave', swarmId });
    },
    announce(swarmId, fileId, manifest) {
      if (closed) return;
      announcements.set(`${swarmId}:${fileId}`, { swarmId, fileId, manifest });
      send({ type: 'announce', swarmId, fileId, manifest });
    },
    signal: (to, payload) => !closed && send({ type: 'signal', to, payload }),
    setNickname(name) {
      nickname = name;
      send({ type: 'nickname', nickname: name });
    },
    shareCode: (swarmId) => request(pendingCodes, swarmId, { type: 'share-code', swarmId }),
    resolveCode(code) {
      const key = code.trim().toUpperCase();
      return request(pendingResolves, key, { type: 'resolve-code', code: key });
    },
    joinedSwarms: () => [...swarms],
    close() {
      if (closed) return;
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const ws = socket;
      socket = null;
      ws?.close(1000, 'closed by page');
      failPending({ code: 'ERR_NO_SUCH_PEER', message: 'signaling client closed' });
      setStatus('closed');
      handlers.clear();
    },
  };
}
