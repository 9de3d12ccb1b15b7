import type { PeerFaultCode } from '../../shared/errors.ts';
import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import type { FileEntry as RouteEntry, RoutingTable } from '../../shared/routing-table.ts';
import type { PeerLink } from '../contracts.ts';
import type { EngineCounters, EngineParams, FileState } from '../snapshot-types.ts';
import type { RateMeter } from './rates.ts';
import { emptyStageMs, type StageClock } from './stage-clock.ts';

// The engine's plain state, shared by its parts (download side, upload handler, sessions, snapshot).
// Routes (swarmId, fileId) live in the shared routing table; a file announced in two swarms has two
// routes (two pickers) but one FileInfo and one set of stored pieces.

export type { RouteEntry };

export interface FileInfo {
  fileId: FileId;
  manifest: Manifest;
  /** Blocks of active pieces per route and piece, until the piece is verified. */
  buffers: Map<RouteEntry, Map<number, Uint8Array>>;
  state: FileState;
  error?: string;
  /** The storage was full: the download goes on once something was removed. */
  blockedByQuota?: boolean;
  /** This tab created the manifest. */
  seeded: boolean;
  /** Pieces being hashed and written now, each settling when its write committed or failed. */
  verifying: Set<Promise<void>>;
  /** Pieces found in the store when the file was added (a reload resumes from them). */
  resumed: number;
  /** Pieces fetched from peers, verified and stored since the page loaded. */
  fetched: number;
  /** Verified payload bytes, for speed and ETA. */
  meter: RateMeter;
  /** Pieces received (verified) from each peer. */
  sources: Map<PeerId, number>;
  /** Pieces served to each peer (counted on each piece's last block). */
  servedTo: Map<PeerId, number>;
}

export interface PeerEntry {
  peerId: PeerId;
  link: PeerLink;
  /** Routes we already sent our bitfield on. */
  bitfieldsSent: Set<RouteEntry>;
  /** Routes it sent us a bitfield on. */
  bitfieldsReceived: Set<RouteEntry>;
  /** Routes it dropped ('drop': it removed the file): nothing more goes to it on them until its next bitfield. */
  dropped: Set<RouteEntry>;
  /**
   * Swarms our last hello declared to it. We send nothing on a route whose swarm we have not declared:
   * the peer would drop it (not shared) or reject it and forget us on that route.
   */
  declared: Set<SwarmId>;
  /** Which of the routes we share with it asks first for the next free request slot: files take turns. */
  fillTurn: number;
  up: RateMeter;
  down: RateMeter;
  piecesSentTo: number;
  piecesReceivedFrom: number;
  relayed: boolean | null;
  rttMs: number | null;
  /** Last request we sent or queued, or block we got (ms): an idle link gives way to mates (link-policy.ts). */
  lastUsedAt: number | undefined;
  /** Bad frames it sent, not yet forgiven (debt), and when the debt was last updated. */
  badFrames: { debt: number; at: number };
  /** Faults charged to it, by code: blocks nobody asked it for, bad pieces it was proven to send, bans. */
  faults: Partial<Record<PeerFaultCode, number>>;
}

export interface EngineState {
  selfId: PeerId | null;
  nickname: string;
  table: RoutingTable;
  /** Members the server listed per joined swarm (this tab excluded). */
  members: Map<SwarmId, Set<PeerId>>;
  files: Map<FileId, FileInfo>;
  peers: Map<PeerId, PeerEntry>;
  /** Nicknames of every peer we heard of, from member lists and peer-updated. */
  nicknames: Map<PeerId, string>;
  counters: EngineCounters;
  /** Charges main-thread time to counters.stageMs. */
  stages: StageClock;
  params: EngineParams;
  /** Files the person removed here, per swarm: announcements of them are ignored. */
  removed: Map<SwarmId, Set<FileId>>;
  /** Swarms left since the page loaded: frames still in flight on them are dropped without blame. */
  left: Set<SwarmId>;
}

export function markRemoved(state: Pick<EngineState, 'removed'>, swarmId: SwarmId, fileId: FileId): void {
  const files = state.removed.get(swarmId) ?? state.removed.set(swarmId, new Set()).get(swarmId)!;
  files.add(fileId);
}

export const isRemoved = (state: Pick<EngineState, 'removed'>, swarmId: SwarmId, fileId: FileId): boolean =>
  state.removed.get(swarmId)?.has(fileId) ?? false;

/** Drops the routes of swarms outside `swarms` from a set of routes. */
export function forgetRoutesOutside(routes: Set<RouteEntry>, swarms: ReadonlySet<SwarmId>): void {
  for (const entry of [...routes]) if (!swarms.has(entry.route.swarmId)) routes.delete(entry);
}

export function emptyCounters(): EngineCounters {
  return {
    requestsSent: 0, blockBytesReceived: 0, piecesVerified: 0, piecesCorrupt: 0, piecesResumed: 0,
    badMessages: 0, unrequestedBlocks: 0, rejectsSent: 0, rejectsReceived: 0, slotWaitsSent: 0, blockBytesSent: 0, storeErrors: 0,
    firstPieceAtMs: 0, stageMs: emptyStageMs(),
  };
}

export function chargeFault(peer: PeerEntry | undefined, code: PeerFaultCode): void {
  if (peer) peer.faults[code] = (peer.faults[code] ?? 0) + 1;
}

/** Every route of a file (one per swarm it was announced in). */
export function routesOf(state: EngineState, fileId: FileId): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const files of state.table.swarms.values()) {
    const entry = files.get(fileId);
    if (entry) out.push(entry);
  }
  return out;
}

/** Connected peers that declared the route's swarm to us and to which we declared it too. */
export function peersOnRoute(state: EngineState, entry: RouteEntry): PeerEntry[] {
  const out: PeerEntry[] = [];
  for (const [peerId, swarms] of state.table.peerSwarms) {
    const peer = state.peers.get(peerId);
    if (peer?.declared.has(entry.route.swarmId) && swarms.has(entry.route.swarmId) && !peer.dropped.has(entry)) out.push(peer);
  }
  return out;
}

/** Routes both sides declared in their hellos: the only ones we send anything on to this peer (after each block). */
export function routesWithPeer(state: EngineState, peerId: PeerId): RouteEntry[] {
  const peer = state.peers.get(peerId);
  const out: RouteEntry[] = [];
  if (!peer) return out;
  for (const swarmId of state.table.peerSwarms.get(peerId) ?? []) {
    if (!peer.declared.has(swarmId)) continue;
    for (const entry of state.table.swarms.get(swarmId)?.values() ?? []) if (!peer.dropped.has(entry)) out.push(entry);
  }
  return out;
}
