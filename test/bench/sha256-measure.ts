import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { createSHA256 } from 'hash-wasm';

// SHA-256 throughput on piece-sized buffers. Browser-safe (no Node APIs): the Chromium benchmark can
// import measureSha256 and sha256Candidates() into a page and get the same JSON lines as Node.

export interface Sha256Candidate {
  name: string;
  /** Hashes one piece; the digest is returned so the work cannot be optimised away. */
  hash(piece: Uint8Array<ArrayBuffer>): Promise<Uint8Array> | Uint8Array;
}

export interface Sha256Figure {
  name: string;
  MBps: number;
  pieceBytes: number;
  pieces: number;
}

/** hash-wasm (what shared/sha256.ts uses), @noble/hashes, and WebCrypto where it exists (secure contexts). */
export async function sha256Candidates(): Promise<Sha256Candidate[]> {
  const wasm = await createSHA256();
  const candidates: Sha256Candidate[] = [
    { name: 'hash-wasm', hash: (piece) => { wasm.init(); wasm.update(piece); return wasm.digest('binary'); } },
    { name: '@noble/hashes', hash: (piece) => nobleSha256(piece) },
  ];
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    candidates.push({ name: 'webcrypto', hash: async (piece) => new Uint8Array(await subtle.digest('SHA-256', piece)) });
  }
  return candidates;
}

/** Deterministic filler, so every candidate hashes the same bytes. */
export function pieceBuffer(bytes: number): Uint8Array<ArrayBuffer> {
  const piece = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) piece[i] = (i * 2654435761) >>> 24;
  return piece;
}

/** Best of `rounds` runs of `pieces` hashes (after one warm-up run): MB/s in 10^6 bytes per second. */
export async function measureSha256(
  candidate: Sha256Candidate,
  opts: { pieceBytes?: number; pieces?: number; rounds?: number; now?: () => number } = {},
): Promise<Sha256Figure> {
  const { pieceBytes = 1 << 20, pieces = 64, rounds = 5, now = () => performance.now() } = opts;
  const piece = pieceBuffer(pieceBytes);
  let bestMs = Infinity;
  for (let round = 0; round <= rounds; round++) {
    const start = now();
    for (let i = 0; i < pieces; i++) await candidate.hash(piece);
    const ms = now() - start;
    if (round > 0) bestMs = Math.min(bestMs, ms);
  }
  const MBps = Math.round(((pieceBytes * pieces) / 1e6 / (bestMs / 1000)) * 10) / 10;
  return { name: candidate.name, MBps, pieceBytes, pieces };
}
