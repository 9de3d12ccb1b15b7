import { createSHA256 } from 'hash-wasm';
import { bytesToHex } from './ids.ts';

// hash-wasm runs everywhere: http://<LAN IP> pages have no crypto.subtle, Node has no DOM.
type Hasher = Awaited<ReturnType<typeof createSHA256>>;

const pool: Hasher[] = [];

function digestWith(hasher: Hasher, bytes: Uint8Array): string {
  try {
    hasher.init();
    hasher.update(bytes);
    return bytesToHex(hasher.digest('binary'));
  } finally {
    pool.push(hasher);
  }
}

// WebCrypto exists only in secure contexts (localhost, https) and Node; there it is ~4.5× faster than
// hash-wasm on 1 MiB pieces (test/bench/sha256.ts), so it is the fast path wherever it exists.
const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;

/**
 * A SHA-256 as lowercase hex, at once or later: what the engine verifies pieces with. A runtime may bring a faster
 * one (Node's node:crypto hashes the bytes where they are; WebCrypto's digest first copies them).
 */
export type Sha256Hex = (bytes: Uint8Array) => string | Promise<string>;

/** SHA-256 of one buffer, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (subtle) return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
  return sha256HexWasm(bytes);
}

/** The hash-wasm path, used where WebCrypto is missing (plain-http LAN pages); hashes at once when a hasher is pooled. */
export function sha256HexWasm(bytes: Uint8Array): Promise<string> {
  const hasher = pool.pop();
  return hasher !== undefined ? Promise.resolve(digestWith(hasher, bytes)) : createSHA256().then((h) => digestWith(h, bytes));
}

/** An incremental hasher, for hashing a stream of chunks without holding them. */
export interface StreamingSha256 {
  update(bytes: Uint8Array): void;
  digestHex(): string;
}

export async function createStreamingSha256(): Promise<StreamingSha256> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => void hasher.update(bytes),
    digestHex: () => bytesToHex(hasher.digest('binary')),
  };
}
