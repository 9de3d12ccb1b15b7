import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { err, type Result } from '../shared/result.ts';
import { MAX_WS_PAYLOAD_BYTES } from '../shared/limits.ts';
import {
  CLOSE_NO_HELLO, CLOSE_RATE_LIMIT, CLOSE_SERVER_FULL, CLOSE_TOO_LARGE, CLOSE_TOO_MANY_FROM_ADDRESS, CLOSE_UNFINISHED,
  parseClientFrame, type ClientFrame, type SignalError,
} from '../shared/signaling.ts';
import { addressKey } from './guards/addresses.ts';
import { checkLiveness, onPong } from './guards/liveness.ts';
import { createSocketRateLimiter } from './guards/rate-limit.ts';
import { setMaxMessageBytes } from './guards/ws-receiver.ts';
import { endSession, handleFrame } from './handlers.ts';
import { sendError, type Client, type Hub } from './hub.ts';

// One socket's life on the server: accepted or refused by its address, a hello first, then each frame rated,
// parsed and handled in order; answered, or closed for abuse; pinged by the heartbeat. server.ts wires it.

/** How long close() waits for sockets to finish their close handshake before cutting them. */
export const CLOSE_GRACE_MS = 1000;

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
export function closeSoon(socket: WebSocket, code: number, reason: string): void {
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

export function onConnection(hub: Hub, clients: Set<Client>, socket: WebSocket, req: IncomingMessage): void {
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
    host: req.headers.host, address, addressTag: hub.addressTagFor(address),
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
export function heartbeat(hub: Hub, clients: Set<Client>): void {
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
