import { bitfieldToBytes, createBitfield, setBit } from '../../shared/bitfield.ts';
import {
  createPiecePicker, onBlock, onPeerBitfield, onPieceVerified, type PickerOptions, type PiecePicker,
} from '../../shared/piece-picker.ts';
import type { BlockSpan } from '../../shared/wire-messages.ts';
import { seededRng } from '../../shared/seeded-rng.ts';

export { seededRng };

// Small layouts and fake peers for the picker, routing and upload tests.

export const BLOCK = 16;

/** A file of `pieceCount` pieces of `blocksPerPiece` 16-byte blocks (the last piece may be cut to `fileSize`). */
export function makePicker(
  pieceCount: number, blocksPerPiece: number, options: Partial<PickerOptions> = {}, fileSize?: number,
): PiecePicker {
  const pieceLength = BLOCK * blocksPerPiece;
  return createPiecePicker(
    { pieceCount, pieceLength, fileSize: fileSize ?? pieceCount * pieceLength },
    { blockLength: BLOCK, maxInFlightBytesPerPeer: 64 * BLOCK, maxRequestsPerPeer: 64, rng: seededRng(1), ...options },
  );
}

export function bitsOf(pieceCount: number, pieces: Iterable<number>): Uint8Array {
  const bf = createBitfield(pieceCount);
  for (const piece of pieces) setBit(bf, piece);
  return bitfieldToBytes(bf);
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

export function announce(p: PiecePicker, peerId: string, pieces: Iterable<number>): void {
  const r = onPeerBitfield(p, peerId, bitsOf(p.layout.pieceCount, pieces));
  if (!r.ok) throw new Error(`fixture bitfield refused: ${r.error}`);
}

/** Delivers a block and, if that completes its piece, verifies it as the engine would after a good hash. */
export function deliver(p: PiecePicker, peerId: string, span: BlockSpan): ReturnType<typeof onBlock> {
  const outcome = onBlock(p, peerId, span);
  if (outcome.accepted && outcome.pieceComplete) onPieceVerified(p, span.piece);
  return outcome;
}

export const piecesOf = (spans: readonly BlockSpan[]): number[] => [...new Set(spans.map((s) => s.piece))].sort((a, b) => a - b);
