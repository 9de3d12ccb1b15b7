import { bytesToHex } from '../../shared/ids.ts';
import type { Rng } from './frames.ts';

// Seeded random and mutated signaling text frames (tab → server JSON) for parseClientFrame.

const int = (rng: Rng, below: number): number => Math.floor(rng() * below);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
const hex = (rng: Rng, bytes: number): string =>
  bytesToHex(Uint8Array.from({ length: bytes }, () => int(rng, 256)));

function manifest(rng: Rng): Record<string, unknown> {
  const pieces = int(rng, 4);
  return {
    name: 'f.bin', size: pieces * 65536, mimeType: 'application/octet-stream', pieceLength: 65536,
    pieceHashes: Array.from({ length: pieces }, () => hex(rng, 32)),
  };
}

function payload(rng: Rng): Record<string, unknown> {
  switch (int(rng, 3)) {
    case 0: return { type: pick(rng, ['offer', 'answer']), sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    case 1: return { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.77.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    default: return { type: 'renegotiate', renegotiate: true };
  }
}

/** A frame the schema accepts (before mutation). */
function validFrame(rng: Rng): Record<string, unknown> {
  const v = 1;
  switch (int(rng, 8)) {
    case 0: return { v, type: 'hello', peerId: hex(rng, 16), resumeSecret: hex(rng, 32), nickname: 'ada' };
    case 1: return { v, type: 'join', swarmId: hex(rng, 16) };
    case 2: return { v, type: 'leave', swarmId: hex(rng, 16) };
    case 3: return { v, type: 'announce', swarmId: hex(rng, 16), fileId: hex(rng, 32), manifest: manifest(rng) };
    case 4: return { v, type: 'signal', to: hex(rng, 16), payload: payload(rng) };
    case 5: return { v, type: 'nickname', nickname: 'grace' };
    case 6: return { v, type: 'share-code', swarmId: hex(rng, 16) };
    default: return { v, type: 'resolve-code', code: 'ABCDEF' };
  }
}

const HOSTILE_VALUES: readonly unknown[] = [
  null, true, 0, -1, 1e308, 1.5, '', 'x'.repeat(5000), [], [1, 2], {}, { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } }, '\u0000\u001f', 'AB'.repeat(16), 'ab'.repeat(64),
];

/** Replaces one field, at any depth, with a hostile value; or deletes it; or adds a stray key. */
function mutateValue(rng: Rng, obj: Record<string, unknown>, depth = 0): void {
  const keys = Object.keys(obj);
  const key = pick(rng, keys);
  const inner = obj[key];
  if (depth < 3 && inner !== null && typeof inner === 'object' && !Array.isArray(inner) && rng() < 0.5) {
    mutateValue(rng, inner as Record<string, unknown>, depth + 1);
    return;
  }
  const roll = int(rng, 3);
  if (roll === 0) delete obj[key];
  else if (roll === 1) obj[key] = pick(rng, HOSTILE_VALUES);
  else obj[pick(rng, ['__proto__', 'constructor', 'extra', 'type', 'v'])] = pick(rng, HOSTILE_VALUES);
}

function mutateText(rng: Rng, text: string): string {
  const at = int(rng, text.length + 1);
  switch (int(rng, 4)) {
    case 0: return text.slice(0, at);
    case 1: return text.slice(0, at) + pick(rng, ['"', '{', '}', ',', '\\', '\u0000', 'null', ']']) + text.slice(at);
    case 2: return text.slice(0, at) + text.slice(at + 1 + int(rng, 8));
    default: return text.replace('"v":1', pick(rng, ['"v":2', '"v":"1"', '"v":null', '']));
  }
}

/** The mix: 5% noise, 5% oversized, 20% valid, 40% field mutations, 30% text mutations. */
export function nextSignalingText(rng: Rng): string {
  const roll = rng();
  if (roll < 0.05) return pick(rng, ['', 'null', '[]', '"hello"', '1', '{', 'undefined', '{"type":"join"}']);
  if (roll < 0.1) return JSON.stringify({ v: 1, type: 'join', swarmId: 'a'.repeat(400 * 1024) });
  const frame = validFrame(rng);
  if (roll < 0.3) return JSON.stringify(frame);
  if (roll < 0.7) {
    mutateValue(rng, frame);
    return JSON.stringify(frame);
  }
  return mutateText(rng, JSON.stringify(frame));
}
