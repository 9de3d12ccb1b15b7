import type { FileId, PeerId, SwarmId } from './ids.ts';

// Peer ↔ peer messages over one data channel. Every piece-related message carries its route
// (swarmId + fileId): the IDs in the message, not the connection, say where a piece goes.
// Byte layouts live above each encoder in shared/codec/ (one module per message family).

export const WIRE_VERSION = 1;

export interface Route {
  swarmId: SwarmId;
  fileId: FileId;
}

/** A span of one piece: what a request asks for and a block carries. */
export interface BlockSpan {
  piece: number;
  offset: number;
  length: number;
}

export type RejectReason =
  | 'unknown-route' // we do not know this swarm/file, or do not share the swarm with the asker
  | 'not-had' // we do not have that piece (yet)
  | 'queue-full' // the asker has too many requests queued with us
  | 'bad-span' // offset/length outside the piece
  | 'banned'; // the asker was banned for this route

export type WireMsg =
  | { type: 'hello'; peerId: PeerId; version: number; swarms: SwarmId[] }
  | ({ type: 'bitfield'; bits: Uint8Array; pieceCount: number } & Route)
  | ({ type: 'have'; piece: number } & Route)
  /** We started fetching this piece (from someone): a hint, so peers prefer other pieces from a shared source. */
  | ({ type: 'fetching'; piece: number } & Route)
  | ({ type: 'request' } & Route & BlockSpan)
  | ({ type: 'block'; piece: number; offset: number; data: Uint8Array } & Route)
  | ({ type: 'cancel' } & Route & BlockSpan)
  | ({ type: 'reject'; reason: RejectReason } & Route & BlockSpan)
  /** We removed this file: forget us as a source on this route and send us nothing more on it. */
  | ({ type: 'drop' } & Route)
  /** Our upload slots: false = your requests wait for one (kept, not timed out); true = you are being served. */
  | ({ type: 'slot'; granted: boolean } & Route);

export type WireType = WireMsg['type'];
