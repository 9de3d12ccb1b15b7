import { CodedFailure, type ErrorCode } from '../shared/errors.ts';
import type { FileId, PeerId, SwarmId } from '../shared/ids.ts';
import type { Manifest } from '../shared/manifest.ts';
import type { Route } from '../shared/wire-messages.ts';

// The seams between the peer and each runtime's adapters: the engine depends on these, not on simple-peer,
// IndexedDB or files on disk.

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface LinkPath {
  /** true when the selected candidate pair goes through a TURN relay; null until known. */
  relayed: boolean | null;
  rttMs: number | null;
  localCandidateType: string | null;
  remoteCandidateType: string | null;
}

/** One WebRTC connection to one remote peer; carries every route the two share. */
export interface PeerLink {
  readonly remotePeerId: PeerId;
  readonly state: LinkState;
  /**
   * Queues one binary frame. Resolves once the frame is handed to the data channel and the channel's
   * buffered amount is back under the backpressure threshold; rejects with code ERR_PEER_CLOSED. The link is
   * done with `frame` once the promise settles (a data channel copies it on send): the caller may reuse it.
   */
  send(frame: Uint8Array): Promise<void>;
  /** Bytes handed to the channel and not yet sent: callers use it to decide whether to send more now. */
  bufferedAmount(): number;
  /**
   * Largest frame send() accepts: the channel's negotiated max message size, capped by MAX_WIRE_FRAME_BYTES.
   * Optional so in-memory test links need not implement it; absent means MAX_WIRE_FRAME_BYTES.
   */
  maxMessageSize?(): number;
  path(): Promise<LinkPath>;
  onMessage: ((frame: Uint8Array) => void) | null;
  onStateChange: ((state: LinkState) => void) | null;
  /** Idempotent. */
  close(reason?: string): void;
  /** Closes the link and has whoever builds links keep this peer away for a while (then for good). */
  closeForAbuse?(reason: string): void;
}

/**
 * A downloaded piece checked and stored in one call (off the main thread): `bytes` is the piece, handed back
 * (its buffer may have been transferred to a worker and back); `failed` means nothing was stored.
 */
export type CheckedPut =
  | { result: 'stored' | 'corrupt'; bytes: Uint8Array }
  | { result: 'failed'; error: StorageFailure };

/** Verified pieces of every file this peer has (a tab: its profile database; Node: files on disk). */
export interface PieceStore {
  /**
   * Resolves only once the write has committed; only then may the piece be counted as had. The store keeps no
   * reference to `bytes` after that unless it recycles them itself (the warm cache does: pieceBuffer).
   */
  putPiece(fileId: FileId, index: number, bytes: Uint8Array): Promise<void>;
  /**
   * Optional: a buffer of `length` bytes to assemble a piece being downloaded in, perhaps one the store let go of,
   * with stale content: the caller writes every byte before it reads any. Absent: `new Uint8Array(length)`.
   */
  pieceBuffer?(length: number): Uint8Array;
  /**
   * Optional: SHA-256 of the piece against `expectedHash` and, only when it matches, putPiece; where the store
   * can do both on another thread. The caller must use the returned bytes: the ones it passed may be detached.
   */
  checkAndPut?(fileId: FileId, index: number, bytes: Uint8Array, expectedHash: string): Promise<CheckedPut>;
  /** Bytes [offset, offset + length) of a stored piece, or null when the piece is not stored. */
  readBlock(fileId: FileId, index: number, offset: number, length: number): Promise<Uint8Array | null>;
  /** Indices of the stored pieces of a file. */
  storedPieces(fileId: FileId): Promise<number[]>;
  /** The whole file as a Blob assembled from stored piece Blobs (not held in JS memory). */
  fileBlob(fileId: FileId, pieceCount: number, mimeType: string): Promise<Blob>;
  close(): void;
}

export type FileOrigin = 'seeded' | 'downloaded';

export interface FileRecord {
  swarmId: SwarmId;
  fileId: FileId;
  manifest: Manifest;
  origin: FileOrigin;
}

export type StorageFailureCode = Extract<ErrorCode, 'ERR_STORAGE_QUOTA' | 'ERR_STORAGE_WRITE' | 'ERR_PIECE_MISSING'>;

/** A write that did not commit (nothing of it is stored or counted), or a piece missing on read. */
export class StorageFailure extends CodedFailure {
  declare readonly code: StorageFailureCode;
  constructor(code: StorageFailureCode, message: string) {
    super(code, message);
    this.name = 'StorageFailure';
  }
}

/**
 * The PieceStore the engine uses, plus the records a reload resumes from. Each removal is one transaction:
 * interrupted, it leaves the store as it was; committed, records and pieces are gone together.
 */
export interface ProfileStore extends PieceStore {
  /**
   * Whether to take a file announced by others (or resumed) at all: a store with rules of its own (the Node
   * downloader: names, ceilings, free space) says no before anything is fetched. Absent: every file is taken.
   */
  admit?(record: FileRecord): Promise<boolean>;
  saveSwarm(swarmId: SwarmId): Promise<void>;
  listSwarms(): Promise<SwarmId[]>;
  /** Also forgets that the route was removed: the file is shared here again. */
  saveFile(record: FileRecord): Promise<void>;
  listFiles(): Promise<FileRecord[]>;
  /** Deletes the file's records in every swarm and all its pieces, and remembers its routes as removed. */
  forgetFile(fileId: FileId): Promise<void>;
  /** Routes forgotten with forgetFile, until their swarm is left. */
  listRemoved(): Promise<Route[]>;
  /** Deletes the swarm, its records, its removed routes, and the pieces of files no other swarm lists. */
  leaveSwarm(swarmId: SwarmId): Promise<void>;
  /** Deletes everything in this profile. */
  clear(): Promise<void>;
  /** Bytes of stored pieces per file, summed from the stored Blobs themselves. */
  usage(): Promise<Map<FileId, number>>;
}

export interface LinkHandlers {
  /** Once per link, when it first connects; the engine sends its hello from here. */
  onLink(link: PeerLink): void;
  /** A link that was passed to onLink has closed. */
  onLinkClosed(peerId: PeerId): void;
}

/** Where the engine hears of links: the link manager, or links piped in memory in tests. */
export interface LinkSource {
  /** Adds handlers (any subset); returns a function that removes them. */
  subscribe(handlers: Partial<LinkHandlers>): () => void;
}
