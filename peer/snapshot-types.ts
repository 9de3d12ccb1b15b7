import type { PeerFaultCode } from '../shared/errors.ts';
import type { FileId, PeerId, SwarmId } from '../shared/ids.ts';
import type { LinkState } from './contracts.ts';
import type { Stage } from './engine/stage-clock.ts';

// What `window.tabswarm.snapshot()` returns: plain JSON-safe data, rebuilt on every call.
// The UI (issue 5) and the e2e tests read only this.

export type FileState = 'announced' | 'downloading' | 'verifying' | 'complete' | 'error';

export type ServerState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Where a piece came from: a peerId, 'self' for pieces this tab seeded or had stored, null when missing. */
export type PieceSource = PeerId | 'self' | null;

export interface FileSnapshot {
  fileId: FileId;
  swarmId: SwarmId;
  name: string;
  size: number;
  mimeType: string;
  pieceLength: number;
  pieceCount: number;
  piecesHad: number;
  /** Bytes of its verified pieces in this tab's store (the engine's count: what removing it frees). */
  storedBytes: number;
  /** Pieces that were already in this tab's store when the page loaded (resumed, not fetched). */
  piecesResumed: number;
  /** Pieces fetched from peers (verified, stored) since the page loaded. */
  piecesFetched: number;
  /** Pieces requested from some peer right now (in flight). */
  piecesRequested: number;
  state: FileState;
  error?: string;
  /** Verified payload bytes per second over the last few seconds. */
  bytesPerSecond: number;
  /** null when not downloading or the rate is zero. */
  etaSeconds: number | null;
  /** Pieces received (and verified) from each peer. */
  sources: { [peerId: string]: number };
  /** One entry per piece, for a piece map. */
  pieceSources: PieceSource[];
  /** Indices of pieces in flight, for a piece map. */
  inFlight: number[];
  /** Indices of in-flight pieces whose blocks have all arrived: being hashed and written (a subset of inFlight). */
  awaitingVerification: number[];
  /** Pieces of this file served to each peer. */
  servedTo: { [peerId: string]: number };
  /** true when this tab created the manifest (seeded the file). */
  seeded: boolean;
  /** Peer ids that announced this file or told us (bitfield/have) they hold pieces of it. */
  holders: PeerId[];
  /** Linked peers whose bitfield says they have every piece (the Node sharer's live line counts them). */
  completeAt: PeerId[];
}

export interface SwarmSnapshot {
  swarmId: SwarmId;
  /** The join link (page URL with the swarm id in the fragment). */
  link: string;
  /** Peers the server listed as members of this swarm (not including this tab). */
  members: PeerId[];
  files: FileSnapshot[];
}

export interface PeerSnapshot {
  peerId: PeerId;
  nickname: string;
  linkState: LinkState;
  /** null until the candidate pair is known. */
  relayed: boolean | null;
  rttMs: number | null;
  /** Swarms this tab and the peer share. */
  swarms: SwarmId[];
  upBytesPerSecond: number;
  downBytesPerSecond: number;
  bytesSent: number;
  bytesReceived: number;
  piecesSentTo: number;
  piecesReceivedFrom: number;
  /** Requests we have outstanding with this peer. */
  requestsInFlight: number;
  /** Requests this peer has queued with us. */
  peerRequestsQueued: number;
  /** Faults charged to this peer by code (ERR_UNREQUESTED blocks, ERR_PIECE_HASH strikes, ERR_BANNED). */
  faults: Partial<Record<PeerFaultCode, number>>;
  /** Banned on at least one of our routes (it sent bad pieces of that file). */
  banned: boolean;
}

/** Counters for proving behaviour (e.g. nothing re-fetched after a reload) and for diagnostics. */
export interface EngineCounters {
  /** Block requests sent to peers. */
  requestsSent: number;
  /** Block bytes received (payload). */
  blockBytesReceived: number;
  /** Pieces received, verified and committed to the store. */
  piecesVerified: number;
  /** Pieces received whose hash did not match (thrown away, fetched again). */
  piecesCorrupt: number;
  /** Pieces found in the store at start (resumed, not fetched). */
  piecesResumed: number;
  /** Peer frames that failed to decode or route, dropped. */
  badMessages: number;
  /** Blocks nobody asked for, or for a piece already had. */
  unrequestedBlocks: number;
  /** Requests we rejected. */
  rejectsSent: number;
  /** Rejects we got. */
  rejectsReceived: number;
  /** Times we told a peer its requests wait for one of our upload slots. */
  slotWaitsSent: number;
  /** Block bytes sent to peers. */
  blockBytesSent: number;
  /** Piece writes that did not commit (quota, IndexedDB failure). */
  storeErrors: number;
  /** performance.now() (ms since the page's navigation start) when the first fetched piece was verified; 0 before. */
  firstPieceAtMs: number;
  /** Main-thread ms by stage of the download path (peer/engine/stage-clock.ts). */
  stageMs: Record<Stage, number>;
}

export interface EngineParams {
  /** Bytes per block request (one data-channel message plus a header). */
  blockSize: number;
  /** Max block requests outstanding per peer (the receiver's window). */
  windowPerPeer: number;
  /** Smallest piece length a file we seed gets (a power of two; larger files get larger pieces). */
  smallestPieceLength: number;
  /** As a file's initial seeder, hand each piece to one peer while our uplink is busy (shared/seed-once.ts). */
  seedOnce: boolean;
  /**
   * Bytes per second our uplink carries, if known (a sharer told its link's speed): refusals (slots, seed-once)
   * only while it is full (shared/link-load.ts). null: unknown (a tab), counted full.
   */
  uplinkBytesPerSecond: number | null;
}

/** A local file being seeded: hashed into a manifest, then copied into the store. */
export interface SeedingSnapshot {
  name: string;
  phase: 'hashing' | 'storing';
  doneBytes: number;
  totalBytes: number;
}

export interface TabswarmSnapshot {
  peerId: PeerId | null;
  nickname: string;
  server: ServerState;
  /** false on http://<LAN IP>: no crypto.subtle, persist(), clipboard, service workers. */
  secureContext: boolean;
  swarms: SwarmSnapshot[];
  peers: PeerSnapshot[];
  seeding: SeedingSnapshot[];
  counters: EngineCounters;
  params: EngineParams;
}
