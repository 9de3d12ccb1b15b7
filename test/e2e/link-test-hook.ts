import type { PeerId } from '../../shared/ids.ts';
import { createStreamingSha256, type StreamingSha256 } from '../../shared/sha256.ts';
import type { LinkPath, PeerLink } from '../../peer/contracts.ts';
import type { LinkManager } from '../../peer/links/link-manager.ts';

// TEST HOOK, not an API: lets test/e2e/links.test.ts push random frames through PeerLink. Only in pages built
// with `--mode e2e` (test/e2e/harness.ts), installed only with ?linkTestHook; it counts its own marked frames and hands every other frame on to the engine.

export const LINK_TEST_HOOK_NAME = '__tabswarmLinkTestHook';
/** Test frame: <mark=0xee><seq:u32><random bytes>. 0xee is no wire version, so engine frames pass through untouched. */
const TEST_FRAME_MARK = 0xee;

interface Received {
  bytes: number;
  frames: number;
  firstAt: number | null;
  lastAt: number | null;
  hasher: StreamingSha256 | null;
  early: Uint8Array[]; // frames that came before the hasher was ready
}

export interface SendReport { bytes: number; frames: number; sha256: string; startedAt: number; endedAt: number }
export interface ReceiveReport { bytes: number; frames: number; firstAt: number | null; lastAt: number | null }

export interface LinkTestHook {
  linkedPeers(): PeerId[];
  sendRandom(peerId: PeerId, totalBytes: number, frameBytes: number): Promise<SendReport>;
  received(peerId: PeerId): ReceiveReport | null;
  /** SHA-256 of everything received from that peer since the previous call (null while the hasher loads). */
  receivedSha256(peerId: PeerId): string | null;
  path(peerId: PeerId): Promise<LinkPath | null>;
  maxMessageSize(peerId: PeerId): number | null;
}

/** Random bytes for frames: getRandomValues fills at most 64 KiB per call. */
function randomPool(bytes: number): Uint8Array {
  const pool = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(pool.subarray(at, Math.min(bytes, at + 65536)));
  return pool;
}

function startHash(rx: Received): void {
  rx.hasher = null;
  void createStreamingSha256().then((h) => {
    for (const frame of rx.early.splice(0)) h.update(frame);
    rx.hasher = h;
  });
}

/** SHA-256 of what arrived since the previous digest; starts the next one. */
function takeDigest(rx: Received | undefined): string | null {
  const digest = rx?.hasher?.digestHex() ?? null;
  if (digest !== null) startHash(rx!);
  return digest;
}

function watch(link: PeerLink, received: Map<PeerId, Received>): void {
  const rx: Received = { bytes: 0, frames: 0, firstAt: null, lastAt: null, hasher: null, early: [] };
  received.set(link.remotePeerId, rx);
  startHash(rx);
  const engineOnMessage = link.onMessage; // set by the engine's onLink, which runs first
  link.onMessage = (frame) => {
    if (frame[0] !== TEST_FRAME_MARK) return engineOnMessage?.(frame);
    rx.firstAt ??= Date.now();
    rx.lastAt = Date.now();
    rx.bytes += frame.byteLength;
    rx.frames++;
    if (rx.hasher === null) rx.early.push(frame.slice());
    else rx.hasher.update(frame);
  };
}

async function sendRandom(link: PeerLink, totalBytes: number, frameBytes: number): Promise<SendReport> {
  const pool = randomPool(1 << 20);
  const hasher = await createStreamingSha256();
  const startedAt = Date.now();
  let sent = 0;
  let frames = 0;
  while (sent < totalBytes) {
    const size = Math.min(frameBytes, totalBytes - sent);
    const start = Math.floor(Math.random() * (pool.length - size));
    const frame = pool.slice(start, start + size);
    frame[0] = TEST_FRAME_MARK;
    new DataView(frame.buffer).setUint32(1, frames);
    hasher.update(frame);
    await link.send(frame);
    sent += size;
    frames++;
  }
  return { bytes: sent, frames, sha256: hasher.digestHex(), startedAt, endedAt: Date.now() };
}

export function installLinkTestHook(manager: LinkManager): void {
  const received = new Map<PeerId, Received>();
  manager.subscribe({ onLink: (link) => watch(link, received) }); // after the engine's: it wraps its onMessage
  const linkTo = (peerId: PeerId) => {
    const link = manager.get(peerId);
    if (link === undefined) throw new Error(`no link to ${peerId}`);
    return link;
  };
  const hook: LinkTestHook = {
    linkedPeers: () => manager.links().filter((l) => l.state === 'connected').map((l) => l.remotePeerId),
    sendRandom: (peerId, totalBytes, frameBytes) => sendRandom(linkTo(peerId), totalBytes, frameBytes),
    received(peerId) {
      const rx = received.get(peerId);
      return rx === undefined ? null : { bytes: rx.bytes, frames: rx.frames, firstAt: rx.firstAt, lastAt: rx.lastAt };
    },
    receivedSha256: (peerId) => takeDigest(received.get(peerId)),
    path: async (peerId) => manager.get(peerId)?.path() ?? null,
    maxMessageSize: (peerId) => manager.get(peerId)?.maxMessageSize?.() ?? null,
  };
  Object.assign(globalThis, { [LINK_TEST_HOOK_NAME]: hook });
}
