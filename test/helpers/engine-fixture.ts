import type { LinkHandlers } from '../../peer/contracts.ts';
import { createSwarmEngine, type SwarmEngine } from '../../peer/engine/swarm-engine.ts';
import { createSubscribers, type Subscribers } from '../../peer/subscribers.ts';
import type { EngineParams, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import type { PeerId } from '../../shared/ids.ts';
import { sha256Hex, type Sha256Hex } from '../../shared/sha256.ts';
import { createFakeHub, type FakeHub } from './fake-signaling.ts';
import { createMemoryLinkPair, type MemoryLink } from './memory-link.ts';
import { createMemoryStore, type MemoryStore } from './memory-store.ts';

// Several engines in one process: a fake signaling hub, in-memory stores, links piped in memory.

export interface TestPeer {
  peerId: PeerId;
  engine: SwarmEngine;
  store: MemoryStore;
  /** What a link manager would tell the engine: emit onLink / onLinkClosed. */
  links: Subscribers<LinkHandlers>;
  /** Links of this peer, by remote peerId. */
  linkTo: Map<PeerId, MemoryLink>;
}

export interface EngineFixture {
  hub: FakeHub;
  /** `sha256`: the engine's hasher, as a runtime passes it (absent: the engine's default, WebCrypto). */
  peer(name: string, opts?: { store?: MemoryStore; params?: Partial<EngineParams>; sha256?: Sha256Hex }): Promise<TestPeer>;
  connect(a: TestPeer, b: TestPeer): void;
  disconnect(a: TestPeer, b: TestPeer): void;
  closeAll(): void;
}

/**
 * Engine knobs for tests: the smallest pieces a manifest allows (64 KiB) in 16 KiB blocks, so a file of a few MiB
 * has many pieces to share, resume, corrupt and refetch.
 */
export const SMALL_PIECES = { blockSize: 16 * 1024, windowPerPeer: 8, smallestPieceLength: 64 * 1024 } as const satisfies Partial<EngineParams>;

/** Random bytes of any length (crypto.getRandomValues fills at most 64 KiB per call). */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) globalThis.crypto.getRandomValues(data.subarray(at, Math.min(length, at + 65536)));
  return data;
}

/** SHA-256 (hex) of a Blob's bytes: a downloaded file equals its original when the two match. */
export const blobSha256 = async (blob: Blob): Promise<string> => sha256Hex(new Uint8Array(await blob.arrayBuffer()));

/** A File of random bytes, as a person would seed it. */
export const randomFile = (length: number, name: string): File =>
  new File([randomBytes(length)], name, { type: 'application/octet-stream' });

export const peerIdFor = (name: string): PeerId => name.padEnd(32, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 32);

export function createEngineFixture(): EngineFixture {
  const hub = createFakeHub();
  const peers: TestPeer[] = [];
  return {
    hub,
    async peer(name, opts = {}) {
      const peerId = peerIdFor(name);
      const store = opts.store ?? createMemoryStore();
      const links = createSubscribers<LinkHandlers>();
      const engine = createSwarmEngine({
        signaling: hub.client(peerId), links, store, joinLink: (s) => `http://test/#swarm=${s}`, secureContext: true,
        ...(opts.params ? { params: opts.params } : {}), ...(opts.sha256 ? { sha256: opts.sha256 } : {}),
      });
      await engine.start();
      await until(() => engine.snapshot().peerId === peerId);
      const peer = { peerId, engine, store, links, linkTo: new Map() };
      peers.push(peer);
      return peer;
    },
    connect(a, b) {
      const [ab, ba] = createMemoryLinkPair(a.peerId, b.peerId);
      a.linkTo.set(b.peerId, ab);
      b.linkTo.set(a.peerId, ba);
      ab.onStateChange = (s) => s === 'closed' && a.links.emit('onLinkClosed', b.peerId);
      ba.onStateChange = (s) => s === 'closed' && b.links.emit('onLinkClosed', a.peerId);
      a.links.emit('onLink', ab);
      b.links.emit('onLink', ba);
    },
    disconnect(a, b) {
      a.linkTo.get(b.peerId)?.close();
    },
    closeAll() {
      for (const p of peers) {
        for (const link of p.linkTo.values()) link.close();
        p.engine.close();
      }
    },
  };
}

/** Polls a condition on later macrotasks; fails after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function fileOf(snap: TabswarmSnapshot, fileId: string) {
  for (const s of snap.swarms) for (const f of s.files) if (f.fileId === fileId) return f;
  return undefined;
}
