import { newSwarmId, type FileId, type PeerId, type SwarmId } from '../../shared/ids.ts';
import { DEFAULT_BLOCK_LENGTH, DEFAULT_MAX_REQUESTS_PER_PEER, DEFAULT_REQUEST_TIMEOUT_MS } from '../../shared/limits.ts';
import { SMALLEST_CHOSEN_PIECE_LENGTH } from '../../shared/manifest.ts';
import { sha256Hex, type Sha256Hex } from '../../shared/sha256.ts';
import { createRoutingTable, forgetPeer, joinSwarm as joinTable, leaveSwarm } from '../../shared/routing-table.ts';
import { createUploadQueue } from '../../shared/upload-queue.ts';
import type { LinkSource, ProfileStore } from '../contracts.ts';
import type { SignalingClient } from '../signaling/client.ts';
import type { EngineParams, SeedingSnapshot, ServerState, TabswarmSnapshot } from '../snapshot-types.ts';
import { dropOrphanBuffers, expireRequests, fillAll } from './download-side.ts';
import type { EngineContext } from './engine-context.ts';
import { emptyCounters, markRemoved, type EngineState, type RouteEntry } from './engine-state.ts';
import { addRoute } from './file-routes.ts';
import { clearProfile, leaveSwarmHere, removeFileHere } from './removal.ts';
import { isQuotaFailure, quotaAdvice, storageUsage, type StorageUsage } from './storage-use.ts';
import { subscribeMembership } from './membership.ts';
import { openSession, sendFrame, sendMessage } from './peer-session.ts';
import { seedBlob } from './seeding.ts';
import { buildSnapshot } from './snapshot.ts';
import { createStageClock } from './stage-clock.ts';
import { createUploadHandler } from './upload-handler.ts';
import { createChangeNotifier } from './change-notifier.ts';

// Wires the signaling client, the link manager, the routing table, the download side, the upload
// handler and the piece store into one peer. Everything the page and window.tabswarm need goes through here.

/** Each default and its reason: shared/limits.ts (block, window) and shared/manifest.ts (piece length). */
export const DEFAULT_PARAMS: EngineParams = {
  blockSize: DEFAULT_BLOCK_LENGTH, windowPerPeer: DEFAULT_MAX_REQUESTS_PER_PEER, smallestPieceLength: SMALLEST_CHOSEN_PIECE_LENGTH,
  seedOnce: true, uplinkBytesPerSecond: null,
};
/** Request timeouts are checked this often. */
const EXPIRE_EVERY_MS = 1000;
/** Candidate-pair stats (relayed, RTT) are read this often. */
const PATH_EVERY_MS = 3000;

export interface SwarmEngineDeps {
  signaling: SignalingClient;
  links: LinkSource;
  store: ProfileStore;
  params?: Partial<EngineParams>;
  joinLink: (swarmId: SwarmId) => string;
  secureContext: boolean;
  now?: () => number;
  rng?: () => number;
  /** The runtime's SHA-256 where it has a faster one than WebCrypto's (Node: node-peer/sha256.ts). */
  sha256?: Sha256Hex;
}

export interface SwarmEngine {
  /** Loads the profile's swarms and files (reload resume) and joins the swarms. */
  start(): Promise<void>;
  createSwarm(): Promise<SwarmId>;
  joinSwarm(swarmId: SwarmId): Promise<void>;
  seed(swarmId: SwarmId, blobs: Blob[]): Promise<FileId[]>;
  snapshot(): TabswarmSnapshot;
  /** The stored file as a Blob of stored piece Blobs; rejects unless complete. */
  fileBlob(fileId: FileId): Promise<Blob>;
  /** Stops sharing or downloading a file, deletes its pieces and tells its peers; resolves with the bytes freed. */
  removeFile(fileId: FileId): Promise<number>;
  /** Leaves a swarm and deletes the files no other swarm lists; resolves with the bytes freed. */
  leaveSwarm(swarmId: SwarmId): Promise<number>;
  /** Leaves every swarm and empties this tab's profile; resolves with the bytes freed. */
  clear(): Promise<number>;
  /** What this tab's profile holds, counted from the stored pieces themselves. */
  storageUsage(): Promise<StorageUsage>;
  setNickname(name: string): void;
  onChange(cb: () => void): () => void;
  /** When a request or block last crossed the link to this peer, either way (the link manager's give-way). */
  lastUsed(peerId: PeerId): number | undefined;
  close(): void;
}

export function createSwarmEngine(deps: SwarmEngineDeps): SwarmEngine {
  const now = deps.now ?? Date.now;
  const params: EngineParams = { ...DEFAULT_PARAMS, ...deps.params };
  const counters = emptyCounters();
  const state: EngineState = {
    selfId: deps.signaling.peerId, nickname: '', members: new Map(), files: new Map(), peers: new Map(),
    nicknames: new Map(), counters, stages: createStageClock(counters.stageMs), params, removed: new Map(), left: new Set(),
    table: createRoutingTable({
      rng: deps.rng ?? Math.random, blockLength: params.blockSize, maxRequestsPerPeer: params.windowPerPeer,
      maxInFlightBytesPerPeer: params.windowPerPeer * params.blockSize, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    }),
  };
  const notifier = createChangeNotifier();
  /** Local files being hashed or stored, per seed job: two files may share a name. */
  const seedingNow = new Map<number, SeedingSnapshot>();
  let seedJobs = 0;
  const announced = new Set<RouteEntry>(); // routes we announced to the server
  let server: ServerState = deps.signaling.status === 'open' ? 'connected' : 'connecting';
  let closed = false;
  const ctx: EngineContext = {
    state, store: deps.store, now, sha256: deps.sha256 ?? sha256Hex, leaveOnServer: (swarmId) => deps.signaling.leave(swarmId),
    send: (peer, msg) => void sendMessage(peer, msg),
    changed: () => onChanged(),
    progressed: () => notifier.notify(),
    uploads: createUploadHandler({
      state, store: deps.store, queue: createUploadQueue(), send: sendMessage, sendFrame, changed: () => notifier.notify(),
    }),
  };

  function onChanged(): void {
    announceCompleted();
    notifier.notify();
  }

  /** A finished download is announced too, so the file outlives its seeder across a server restart. */
  function announceCompleted(): void {
    for (const [swarmId, files] of state.table.swarms) {
      for (const [fileId, entry] of files) {
        if (announced.has(entry) || state.files.get(fileId)?.state !== 'complete') continue;
        announced.add(entry);
        deps.signaling.announce(swarmId, fileId, entry.manifest);
      }
    }
  }

  function enterSwarm(swarmId: SwarmId): void {
    if (!state.members.has(swarmId)) state.members.set(swarmId, new Set());
    joinTable(state.table, swarmId);
    deps.signaling.join(swarmId);
  }

  const unsubscribe = subscribeMembership(ctx, deps.signaling, {
    changed: onChanged,
    adopt: (swarmId) => void engine.joinSwarm(swarmId),
    setServer: (next) => void (server = next),
  });

  // The page may listen to links too: the engine takes each link's onMessage, nothing else.
  const unsubscribeLinks = deps.links.subscribe({
    onLink(link) {
      if (closed) return;
      // A replacement link (the old one failed or was renegotiated from scratch): its session starts afresh.
      if (state.peers.has(link.remotePeerId)) endSession(link.remotePeerId);
      openSession(ctx, link);
      onChanged();
    },
    onLinkClosed(peerId) {
      // A late close of a replaced link must not end the session of its successor.
      if (state.peers.get(peerId)?.link.state === 'closed') endSession(peerId);
    },
  });

  function endSession(peerId: PeerId): void {
    const peer = state.peers.get(peerId);
    if (!peer) return;
    if (peer.link.onMessage !== null) peer.link.onMessage = null;
    state.peers.delete(peerId);
    forgetPeer(state.table, peerId);
    ctx.uploads.onPeerGone(peerId);
    dropOrphanBuffers(state);
    fillAll(ctx);
    onChanged();
  }

  const expireTimer = setInterval(() => {
    expireRequests(ctx);
    ctx.uploads.tick();
  }, EXPIRE_EVERY_MS);
  const pathTimer = setInterval(() => void readPaths(), PATH_EVERY_MS);
  async function readPaths(): Promise<void> {
    for (const peer of state.peers.values()) {
      const path = await peer.link.path().catch(() => null);
      if (path) Object.assign(peer, { relayed: path.relayed, rttMs: path.rttMs });
    }
  }

  async function seedOne(swarmId: SwarmId, blob: Blob): Promise<FileId> {
    const name = (blob as Blob & { name?: string }).name ?? 'file';
    const job = seedJobs++;
    try {
      const seeded = await seedBlob(deps.store, blob, (p) => {
        seedingNow.set(job, { name, ...p });
        notifier.notify();
      }, params.smallestPieceLength);
      const entry = await addRoute(ctx, { swarmId, fileId: seeded.fileId, manifest: seeded.manifest, seeded: true });
      if (entry !== null) announced.add(entry);
      deps.signaling.announce(swarmId, seeded.fileId, seeded.manifest);
      return seeded.fileId;
    } catch (e) {
      throw isQuotaFailure(e) ? new Error(quotaAdvice(state, name), { cause: e }) : e;
    } finally {
      seedingNow.delete(job);
      onChanged();
    }
  }

  /** Entries of routes no longer in the table are let go (a route that comes back is a new entry). */
  async function afterRemoval(removal: Promise<number>): Promise<number> {
    try {
      return await removal;
    } finally {
      for (const entry of [...announced]) {
        if (state.table.swarms.get(entry.route.swarmId)?.get(entry.route.fileId) !== entry) announced.delete(entry);
      }
      onChanged();
    }
  }

  const engine: SwarmEngine = {
    async start() {
      const [swarms, files, removed] = await Promise.all([deps.store.listSwarms(), deps.store.listFiles(), deps.store.listRemoved()]);
      for (const r of removed) markRemoved(state, r.swarmId, r.fileId);
      for (const swarmId of swarms) enterSwarm(swarmId);
      for (const f of files) {
        if (!state.table.swarms.has(f.swarmId)) continue;
        await addRoute(ctx, { swarmId: f.swarmId, fileId: f.fileId, manifest: f.manifest, seeded: f.origin === 'seeded' });
        if (f.origin === 'seeded') deps.signaling.announce(f.swarmId, f.fileId, f.manifest);
      }
      onChanged();
    },
    async createSwarm() {
      const swarmId = newSwarmId();
      await engine.joinSwarm(swarmId);
      return swarmId;
    },
    async joinSwarm(swarmId) {
      if (closed) return;
      state.left.delete(swarmId);
      enterSwarm(swarmId);
      await deps.store.saveSwarm(swarmId).catch(() => undefined);
      onChanged();
    },
    async seed(swarmId, blobs) {
      if (!state.table.swarms.has(swarmId)) await engine.joinSwarm(swarmId);
      const ids: FileId[] = [];
      for (const blob of blobs) ids.push(await seedOne(swarmId, blob));
      return ids;
    },
    snapshot: () => buildSnapshot({
      state, server, secureContext: deps.secureContext, joinLink: deps.joinLink, queuedBy: (p) => ctx.uploads.queued(p),
      seeding: [...seedingNow.values()],
    }),
    async fileBlob(fileId) {
      const file = state.files.get(fileId);
      if (!file || file.state !== 'complete') throw new Error('file is not complete');
      return deps.store.fileBlob(fileId, file.manifest.pieceHashes.length, file.manifest.mimeType);
    },
    removeFile: (fileId) => afterRemoval(removeFileHere(ctx, fileId)),
    leaveSwarm: (swarmId) => afterRemoval(leaveSwarmHere(ctx, swarmId)),
    clear: () => afterRemoval(clearProfile(ctx)),
    storageUsage: () => storageUsage(state, deps.store),
    setNickname(name) {
      state.nickname = name;
      deps.signaling.setNickname(name);
      onChanged();
    },
    onChange: (cb) => notifier.subscribe(cb),
    lastUsed: (peerId) => state.peers.get(peerId)?.lastUsedAt,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(expireTimer);
      clearInterval(pathTimer);
      unsubscribe();
      ctx.uploads.close();
      unsubscribeLinks();
      notifier.close();
      for (const swarmId of [...state.table.swarms.keys()]) leaveSwarm(state.table, swarmId);
    },
  };
  return engine;
}
