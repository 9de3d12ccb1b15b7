// Identifiers travel as lowercase hex in JSON and in memory, as raw bytes on the binary wire.

/** 16 random bytes: unguessable, so knowing it is what lets a tab join (like a magnet link). */
export type SwarmId = string;
/** 16 random bytes, chosen by the tab, kept across reconnects with a resume secret. */
export type PeerId = string;
/** SHA-256 of the manifest's canonical bytes: 32 bytes. */
export type FileId = string;

export const SWARM_ID_BYTES = 16;
export const PEER_ID_BYTES = 16;
export const FILE_ID_BYTES = 32;

const HEX_DIGITS = '0123456789abcdef';

/** Each byte's two hex digits: one string joined per byte, not two. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]!]!;
  return out;
}

export const isHexId = (value: unknown, bytes: number): value is string =>
  typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-f]+$/.test(value);

export const isSwarmId = (v: unknown): v is SwarmId => isHexId(v, SWARM_ID_BYTES);
export const isPeerId = (v: unknown): v is PeerId => isHexId(v, PEER_ID_BYTES);

/** crypto.getRandomValues exists in every context, secure or not, browser or Node. */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  return bytesToHex(buf);
}

export const newSwarmId = (): SwarmId => randomHex(SWARM_ID_BYTES);
export const newPeerId = (): PeerId => randomHex(PEER_ID_BYTES);
