import { countSet, getBit, isComplete } from '../../shared/bitfield.ts';
import type { PeerId } from '../../shared/ids.ts';
import { sharedSwarms } from '../../shared/routing-table.ts';
import type {
  FileSnapshot, PeerSnapshot, PieceSource, SeedingSnapshot, ServerState, SwarmSnapshot, TabswarmSnapshot,
} from '../snapshot-types.ts';
import type { EngineState, RouteEntry } from './engine-state.ts';
import { etaSeconds } from './rates.ts';
import { entryBytes } from './storage-use.ts';

// Builds the JSON-safe snapshot the page and the tests read. O(pieces) per file: call it per frame.

export interface SnapshotInputs {
  state: EngineState;
  server: ServerState;
  secureContext: boolean;
  joinLink: (swarmId: string) => string;
  queuedBy: (peerId: PeerId) => number;
  seeding: SeedingSnapshot[];
}

export function buildSnapshot(inp: SnapshotInputs): TabswarmSnapshot {
  const { state } = inp;
  const swarms: SwarmSnapshot[] = [];
  for (const [swarmId, files] of state.table.swarms) {
    swarms.push({
      swarmId,
      link: inp.joinLink(swarmId),
      members: [...(state.members.get(swarmId) ?? [])],
      files: [...files.values()].map((entry) => fileSnapshot(state, entry)),
    });
  }
  return {
    peerId: state.selfId,
    nickname: state.nickname,
    server: inp.server,
    secureContext: inp.secureContext,
    swarms,
    peers: [...state.peers.values()].map((p) => peerSnapshot(inp, p.peerId)),
    seeding: inp.seeding,
    counters: { ...state.counters, stageMs: { ...state.counters.stageMs } },
    params: { ...state.params },
  };
}

function fileSnapshot(state: EngineState, entry: RouteEntry): FileSnapshot {
  const file = state.files.get(entry.route.fileId)!;
  const picker = entry.picker;
  const had = countSet(picker.had);
  const pieceSources: PieceSource[] = [];
  const inFlight: number[] = [];
  const awaitingVerification: number[] = [];
  for (let piece = 0; piece < picker.layout.pieceCount; piece++) {
    const source = getBit(picker.had, piece) ? picker.sources[piece] ?? 'local' : null;
    pieceSources.push(source === 'local' ? 'self' : source);
    const active = picker.active.get(piece);
    if (active) inFlight.push(piece);
    if (active?.verifying) awaitingVerification.push(piece);
  }
  const bytesLeft = Math.max(0, file.manifest.size - had * file.manifest.pieceLength);
  const rate = file.meter.bytesPerSecond();
  // Every piece is in; the last ones are being hashed and written.
  const allIn = file.state === 'downloading' && file.verifying.size > 0 && had + file.verifying.size >= picker.layout.pieceCount;
  return {
    fileId: file.fileId,
    swarmId: entry.route.swarmId,
    name: file.manifest.name,
    size: file.manifest.size,
    mimeType: file.manifest.mimeType,
    pieceLength: file.manifest.pieceLength,
    pieceCount: picker.layout.pieceCount,
    piecesHad: had,
    storedBytes: entryBytes(entry),
    piecesResumed: file.resumed,
    piecesFetched: file.fetched,
    piecesRequested: inFlight.length,
    state: allIn ? 'verifying' : file.state,
    ...(file.error !== undefined ? { error: file.error } : {}),
    bytesPerSecond: rate,
    etaSeconds: file.state === 'downloading' ? etaSeconds(bytesLeft, rate) : null,
    sources: Object.fromEntries(file.sources),
    pieceSources,
    inFlight,
    awaitingVerification,
    servedTo: Object.fromEntries(file.servedTo),
    seeded: file.seeded,
    holders: [...picker.peers.entries()].filter(([, p]) => countSet(p.have) > 0).map(([id]) => id),
    completeAt: [...picker.peers.entries()].filter(([, p]) => isComplete(p.have)).map(([id]) => id),
  };
}

function peerSnapshot(inp: SnapshotInputs, peerId: PeerId): PeerSnapshot {
  const { state } = inp;
  const peer = state.peers.get(peerId)!;
  let requestsInFlight = 0;
  let banned = false;
  for (const files of state.table.swarms.values()) {
    for (const entry of files.values()) {
      requestsInFlight += entry.picker.peers.get(peerId)?.requests.size ?? 0;
      banned ||= entry.picker.banned.has(peerId);
    }
  }
  return {
    peerId,
    nickname: state.nicknames.get(peerId) ?? '',
    linkState: peer.link.state,
    relayed: peer.relayed,
    rttMs: peer.rttMs,
    swarms: sharedSwarms(state.table, peerId),
    upBytesPerSecond: peer.up.bytesPerSecond(),
    downBytesPerSecond: peer.down.bytesPerSecond(),
    bytesSent: peer.up.total(),
    bytesReceived: peer.down.total(),
    piecesSentTo: peer.piecesSentTo,
    piecesReceivedFrom: peer.piecesReceivedFrom,
    requestsInFlight,
    peerRequestsQueued: inp.queuedBy(peerId),
    faults: { ...peer.faults },
    banned,
  };
}
