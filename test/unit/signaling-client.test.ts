import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredIdentity } from '../../peer/signaling/client.ts';
import { createSignalingClient, type SignalingClient } from '../../peer/signaling/client.ts';
import { CLOSE_REPLACED } from '../../shared/signaling.ts';

// The signaling client against fake sockets and fake timers: reconnect with backoff, identity resume,
// replay of joins and announcements, code requests answered or failed.

const PEER = 'a'.repeat(32);
const SECRET = 'b'.repeat(64);
const SWARM = 'c'.repeat(32);
const OPEN = 1;

class FakeSocket {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  send(text: string) { this.sent.push(JSON.parse(text) as Record<string, unknown>); }
  close() { this.readyState = 3; }
  open() { this.readyState = OPEN; this.onopen?.(); }
  receive(frame: object) { this.onmessage?.({ data: JSON.stringify({ v: 1, ...frame }) }); }
  welcome() { this.receive({ type: 'welcome', peerId: PEER, resumeSecret: SECRET, resumed: false, iceServers: [] }); }
  drop(code = 1006) { this.readyState = 3; this.onclose?.({ code }); }
  types() { return this.sent.map((f) => f['type']); }
}

let sockets: FakeSocket[];
let saved: StoredIdentity | null;
let client: SignalingClient;

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', { OPEN });
  sockets = [];
  saved = null;
  client = createSignalingClient({
    url: 'ws://test/ws', random: () => 1,
    identity: { load: () => saved, save: (id) => void (saved = id) },
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    },
  });
});

afterEach(() => {
  client.close();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('signaling client', () => {
  it('signaling client: reconnects after the backoff, resumes its identity and replays joins and announcements', () => {
    sockets[0]!.open();
    sockets[0]!.welcome();
    expect(client.status).toBe('open');
    client.join(SWARM);
    sockets[0]!.drop();
    expect(client.status).toBe('connecting');
    vi.advanceTimersByTime(499); // first retry: full jitter over 500 ms, random() = 1
    expect(sockets.length).toBe(1);
    vi.advanceTimersByTime(1);
    sockets[1]!.open();
    expect(sockets[1]!.sent[0]).toMatchObject({ type: 'hello', peerId: PEER, resumeSecret: SECRET });
    sockets[1]!.welcome();
    expect(sockets[1]!.types()).toEqual(['hello', 'join']);
  });

  it('signaling client: the retry delay doubles while the server stays away', () => {
    sockets[0]!.drop();
    vi.advanceTimersByTime(500);
    sockets[1]!.drop();
    vi.advanceTimersByTime(999);
    expect(sockets.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(sockets.length).toBe(3);
  });

  it('signaling client: replaced by a duplicate tab, it forgets its identity and takes a fresh one', () => {
    sockets[0]!.open();
    sockets[0]!.welcome();
    expect(saved?.peerId).toBe(PEER);
    sockets[0]!.drop(CLOSE_REPLACED);
    expect(saved).toBeNull();
  });

  it('signaling client: a share-code request resolves with its answer, or fails with a code saying why', async () => {
    const failure = async (r: ReturnType<SignalingClient['shareCode']>) => {
      const settled = await r;
      return settled.ok ? null : settled.error.code;
    };
    expect(await failure(client.shareCode(SWARM))).toBe('ERR_SIGNALING_DISCONNECTED'); // socket not open yet
    sockets[0]!.open();
    sockets[0]!.welcome();
    const answered = client.shareCode(SWARM);
    sockets[0]!.receive({ type: 'share-code', swarmId: SWARM, code: 'K7MP2Q' });
    expect(await answered).toEqual({ ok: true, value: 'K7MP2Q' });
    const unanswered = client.shareCode(SWARM);
    vi.advanceTimersByTime(10_000);
    expect(await failure(unanswered)).toBe('ERR_SIGNALING_TIMEOUT');
    const lost = client.shareCode(SWARM);
    sockets[0]!.drop();
    expect(await failure(lost)).toBe('ERR_SIGNALING_DISCONNECTED');
    vi.advanceTimersByTime(500);
    sockets[1]!.open();
    sockets[1]!.welcome();
    const refused = client.resolveCode('QQQQQQ');
    sockets[1]!.receive({ type: 'error', code: 'ERR_UNKNOWN_CODE', message: 'no such code', ref: 'resolve-code' });
    expect(await failure(refused)).toBe('ERR_UNKNOWN_CODE');
    const closed = client.shareCode(SWARM);
    client.close();
    expect(await failure(closed)).toBe('ERR_SIGNALING_CLOSED');
  });

  it('signaling client: a frame that fails the schema is reported as an error, not thrown', () => {
    const errors: string[] = [];
    client.subscribe({ onError: (e) => errors.push(e.code) });
    sockets[0]!.open();
    sockets[0]!.onmessage?.({ data: '{"v":1,"type":"welcome"}' });
    expect(errors.length).toBe(1);
    expect(client.status).toBe('connecting');
  });

  it('signaling client: a join made before the socket opens goes right behind hello, without waiting for the welcome', () => {
    client.join(SWARM);
    sockets[0]!.open();
    expect(sockets[0]!.types()).toEqual(['hello', 'join']);
    sockets[0]!.welcome();
    expect(sockets[0]!.types()).toEqual(['hello', 'join']); // not sent twice
  });

  it('signaling client: created holding events, it delivers them in order only once released', () => {
    const held = createSignalingClient({
      url: 'ws://test/ws', identity: { load: () => null, save: () => undefined }, holdEvents: true,
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s as unknown as WebSocket;
      },
    });
    const seen: string[] = [];
    const early: string[] = [];
    held.subscribe({ onStatus: (s) => seen.push(`status:${s}`), onWelcome: ({ peerId }) => seen.push(`welcome:${peerId.slice(0, 4)}`) });
    held.subscribeUnheld({ onStatus: (s) => early.push(`status:${s}`), onWelcome: ({ peerId }) => early.push(`welcome:${peerId.slice(0, 4)}`) });
    const socket = sockets.at(-1)!;
    socket.open();
    socket.welcome();
    expect(held.peerId).toBe(PEER); // its own state is current…
    expect(seen).toEqual([]); // …but nothing was told yet, except to the unheld subscriber (the link manager)
    expect(early).toEqual(['status:open', 'welcome:aaaa']);
    held.releaseEvents();
    held.releaseEvents(); // idempotent
    expect(seen).toEqual(['status:open', 'welcome:aaaa']);
    held.close(); // later events are told as they come
    expect(seen).toEqual(['status:open', 'welcome:aaaa', 'status:closed']);
  });
});
