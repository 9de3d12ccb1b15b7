import { countSet, getBit } from '../../shared/bitfield.ts';
import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import type { ActivePiece, PiecePicker, PieceSource } from '../../shared/piece-picker.ts';
import { blockKey } from '../../shared/piece-picker-state.ts';
import type { FileEntry, RoutingTable, UnknownRouteReason } from '../../shared/routing-table.ts';

// A read-only copy of the routing table for tests: plain JSON-able objects, detached from the live state.
// (The page builds its own view from the engine: peer/engine/snapshot.ts.)
//
// Usage:
//   const view = snapshotRoutingTable(table);
//   const file = view.swarms[swarmId]?.files[fileId];
//   progressBar.value = file.had / file.pieceCount;
//   file.pieces[7];            // { state: 'requested', from: ['ab…'], since: 1234, receivedBlocks: 3, blockCount: 16 }
//   file.sources;              // { 'ab…': 12, local: 4 }: pieces received from each peer
//   file.peers['ab…'];         // { pieces: 40, inFlightBytes: 2097152, strikes: 0, banned: false }
//   view.peers['ab…'];         // swarms we share with that peer
//   view.unknownRoutes;        // { 'unknown-swarm': 0, 'unknown-file': 2, 'not-shared': 1 }

export type PieceSnapshot =
  | { readonly state: 'missing' }
  | {
      readonly state: 'requested';
      /** Peers a block of it is requested from right now (may be empty between requests). */
      readonly from: readonly PeerId[];
      /** Oldest outstanding request, or when the piece was started if none is outstanding. */
      readonly since: number;
      readonly receivedBlocks: number;
      readonly blockCount: number;
    }
  | { readonly state: 'verifying' }
  | { readonly state: 'had'; readonly source: PieceSource };

export interface PeerOnRouteSnapshot {
  readonly pieces: number;
  readonly inFlightRequests: number;
  readonly inFlightBytes: number;
  readonly stalled: boolean;
  readonly strikes: number;
  readonly banned: boolean;
}

export interface FileSnapshot {
  readonly name: string;
  readonly size: number;
  readonly pieceCount: number;
  readonly had: number;
  readonly missing: number;
  /** Started and not yet complete (verifying pieces are counted apart). */
  readonly requested: number;
  readonly verifying: number;
  readonly pieces: readonly PieceSnapshot[];
  /** Pieces received from each peer ('local' for seeded or resumed ones). */
  readonly sources: Readonly<Record<string, number>>;
  readonly peers: Readonly<Record<PeerId, PeerOnRouteSnapshot>>;
}

export interface RoutingSnapshot {
  readonly swarms: Readonly<Record<SwarmId, { readonly files: Readonly<Record<FileId, FileSnapshot>> }>>;
  readonly peers: Readonly<Record<PeerId, readonly SwarmId[]>>;
  readonly unknownRoutes: Readonly<Record<UnknownRouteReason, number>>;
}

export function snapshotRoutingTable(table: RoutingTable): RoutingSnapshot {
  const swarms: Record<SwarmId, { files: Record<FileId, FileSnapshot> }> = {};
  for (const [swarmId, files] of table.swarms) {
    const snap: Record<FileId, FileSnapshot> = {};
    for (const [fileId, entry] of files) snap[fileId] = snapshotFile(entry);
    swarms[swarmId] = { files: snap };
  }
  const peers: Record<PeerId, SwarmId[]> = {};
  for (const [peerId, declared] of table.peerSwarms) peers[peerId] = [...declared].filter((s) => table.swarms.has(s));
  return { swarms, peers, unknownRoutes: { ...table.unknownRoutes } };
}

function snapshotFile(entry: FileEntry): FileSnapshot {
  const p = entry.picker;
  const pieces: PieceSnapshot[] = [];
  const sources: Record<string, number> = {};
  const counts = { had: 0, missing: 0, requested: 0, verifying: 0 };
  for (let piece = 0; piece < p.layout.pieceCount; piece++) {
    const s = pieceSnapshot(p, piece);
    pieces.push(s);
    counts[s.state]++;
    if (s.state === 'had') sources[s.source] = (sources[s.source] ?? 0) + 1;
  }
  return {
    name: entry.manifest.name, size: entry.manifest.size, pieceCount: p.layout.pieceCount,
    ...counts, pieces, sources, peers: peersOnRoute(p),
  };
}

function pieceSnapshot(p: PiecePicker, piece: number): PieceSnapshot {
  if (getBit(p.had, piece)) return { state: 'had', source: p.sources[piece] ?? 'local' };
  const a = p.active.get(piece);
  if (!a) return { state: 'missing' };
  if (a.verifying) return { state: 'verifying' };
  const { from, since } = requestsOf(p, piece, a);
  return { state: 'requested', from, since, receivedBlocks: a.receivedCount, blockCount: a.blockCount };
}

function requestsOf(p: PiecePicker, piece: number, a: ActivePiece): { from: PeerId[]; since: number } {
  const from = new Set<PeerId>();
  let since = Infinity;
  a.requestedBy.forEach((peers, block) => {
    for (const peerId of peers ?? []) {
      from.add(peerId);
      const req = p.peers.get(peerId)?.requests.get(blockKey(p, piece, block));
      if (req) since = Math.min(since, req.since);
    }
  });
  return { from: [...from], since: since === Infinity ? a.startedAt : since };
}

function peersOnRoute(p: PiecePicker): Record<PeerId, PeerOnRouteSnapshot> {
  const out: Record<PeerId, PeerOnRouteSnapshot> = {};
  const ids = new Set([...p.peers.keys(), ...p.strikes.keys(), ...p.banned]);
  for (const peerId of ids) {
    const peer = p.peers.get(peerId);
    out[peerId] = {
      pieces: peer ? countSet(peer.have) : 0,
      inFlightRequests: peer?.requests.size ?? 0,
      inFlightBytes: peer?.inFlightBytes ?? 0,
      stalled: peer?.stalled ?? false,
      strikes: p.strikes.get(peerId) ?? 0,
      banned: p.banned.has(peerId),
    };
  }
  return out;
}
