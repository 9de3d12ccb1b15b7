import { codedError } from '../../shared/errors.ts';
import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import type { Result } from '../../shared/result.ts';
import {
  CLOSE_REPLACED, encodeFrame, parseServerFrame, signalingUrl,
  type ClientFrameBody, type IceServer, type ServerFrame, type SignalPayload,
} from '../../shared/signaling.ts';
import { milestone } from '../milestones.ts';
import { dispatchServerFrame } from './dispatch.ts';
import type { Emit, SignalingHandlers, SignalingStatus } from './events.ts';
import { createReconnector } from './reconnect.ts';
import { createRequestBook, type RequestError } from './requests.ts';
import { createSubscribers } from '../subscribers.ts';

// Tab ↔ server signaling (shared/signaling.ts). Keeps the swarms this tab joined and its own announcements,
// so after the server goes away it reconnects (reconnect.ts: backoff with full jitter), resumes its
// peerId and replays both. Frames are routed by dispatch.ts to the handlers (events.ts); code requests wait in
// requests.ts.

/** The peer identity the signaling server issued, kept so a reload resumes the same peerId. */
export interface StoredIdentity {
  peerId: string;
  resumeSecret: string;
}

export { backoffDelay } from './reconnect.ts';

/** WebSocket.OPEN, spelled out: Node 20 has no global WebSocket (the Node peer passes `ws`'s). */
const SOCKET_OPEN = 1;

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
  shareCode(swarmId: SwarmId): Promise<Result<string, RequestError>>;
  resolveCode(code: string): Promise<Result<SwarmId, RequestError>>;
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
  /**
   * Connect now but hold every event until releaseEvents(): the page opens its socket while IndexedDB opens,
   * and the engine, subscribing once the store is open, still sees the welcome and joins in order.
   */
  holdEvents?: boolean;
}

/** The page's client: created holding events (see SignalingClientOptions.holdEvents). */
export interface HeldSignalingClient extends SignalingClient {
  /** Delivers the held events in order, then every later one as it comes. Idempotent. */
  releaseEvents(): void;
  /**
   * Subscribes handlers that hear every event as it comes, even while the others' are held: the link manager,
   * so WebRTC links are negotiated while the profile opens (the engine hears of them when it subscribes).
   */
  subscribeUnheld(handlers: Partial<SignalingHandlers>): () => void;
}

export function createSignalingClient(opts: SignalingClientOptions): HeldSignalingClient {
  const url = opts.url ?? signalingUrl(location);
  const createSocket = opts.createSocket ?? ((u: string) => new WebSocket(u));
  const handlers = createSubscribers<SignalingHandlers>();
  const unheld = createSubscribers<SignalingHandlers>();
  const swarms = new Set<SwarmId>(); // swarms to be in, replayed after every welcome
  const announcements = new Map<string, { swarmId: SwarmId; fileId: FileId; manifest: Manifest }>();
  const requests = createRequestBook((body) => send(body));
  const reconnect = createReconnector(() => connect(), opts.random ?? Math.random);
  let socket: WebSocket | null = null;
  let status: SignalingStatus = 'connecting';
  let peerId: PeerId | null = null;
  let iceServers: IceServer[] = [];
  let nickname = opts.nickname;
  let closed = false;

  let held: Array<() => void> | null = opts.holdEvents === true ? [] : null;

  const emit: Emit = (name, ...args) => {
    unheld.emit(name, ...args);
    const deliver = () => handlers.emit(name, ...args);
    if (held !== null) held.push(deliver);
    else deliver();
  };
  const sink = { emit, requests, onWelcome, onIceServers: (f: { iceServers: IceServer[] }) => void (iceServers = f.iceServers) };

  function setStatus(next: SignalingStatus): void {
    if (status === next) return;
    status = next;
    emit('onStatus', next);
  }

  /**
   * Every frame but hello goes after the socket's hello (sent first thing on open), and the server handles a
   * socket's frames in order: nothing needs to wait for the welcome.
   */
  function send(body: ClientFrameBody): boolean {
    if (socket === null || socket.readyState !== SOCKET_OPEN) return false;
    socket.send(encodeFrame(body));
    return true;
  }

  function connect(): void {
    if (closed) return;
    setStatus('connecting');
    const ws = createSocket(url);
    socket = ws;
    ws.onopen = () => {
      milestone('signaling-open');
      const id = opts.identity.load();
      send({ type: 'hello', ...(id ?? {}), ...(nickname !== undefined ? { nickname } : {}) });
      // Joins and announcements ride right behind hello: one round trip to the joined swarms, not two.
      for (const swarmId of swarms) send({ type: 'join', swarmId });
      for (const a of announcements.values()) send({ type: 'announce', ...a });
    };
    ws.onmessage = (e: MessageEvent) => {
      if (socket !== ws || typeof e.data !== 'string') return;
      const parsed = parseServerFrame(e.data);
      if (parsed.ok) dispatchServerFrame(parsed.value, sink);
      else emit('onError', parsed.error);
    };
    ws.onclose = (e: CloseEvent) => {
      if (socket === ws) onSocketGone(e.code);
    };
  }

  function onSocketGone(code: number): void {
    socket = null;
    requests.failAll(codedError('ERR_SIGNALING_DISCONNECTED', 'signaling connection lost'));
    if (closed) return;
    // Replaced: another tab (a duplicate) resumed our identity; take a fresh one instead of fighting over it.
    if (code === CLOSE_REPLACED) opts.identity.save(null);
    setStatus('connecting');
    reconnect.retryLater();
  }

  function onWelcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void {
    milestone('welcome');
    reconnect.succeeded();
    peerId = frame.peerId;
    iceServers = frame.iceServers;
    opts.identity.save({ peerId: frame.peerId, resumeSecret: frame.resumeSecret });
    setStatus('open');
    emit('onWelcome', { peerId: frame.peerId, resumed: frame.resumed, iceServers: frame.iceServers });
  }

  connect();
  return {
    get status() { return status; },
    get peerId() { return peerId; },
    get iceServers() { return iceServers; },
    subscribe: (h) => handlers.subscribe(h),
    subscribeUnheld: (h) => unheld.subscribe(h),
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
    shareCode: (swarmId) => requests.shareCode(swarmId),
    resolveCode: (code) => requests.resolveCode(code),
    joinedSwarms: () => [...swarms],
    releaseEvents() {
      const queued = held ?? [];
      held = null;
      for (const deliver of queued) deliver();
    },
    close() {
      if (closed) return;
      closed = true;
      reconnect.cancel();
      const ws = socket;
      socket = null;
      ws?.close(1000, 'closed by page');
      requests.failAll(codedError('ERR_SIGNALING_CLOSED', 'signaling client closed'));
      setStatus('closed');
      handlers.clear();
    },
  };
}
