import { createHash } from 'node:crypto';

// The Node peer's SHA-256: node:crypto hashes the bytes where they lie, on this thread (~0.7 ms per MiB), where
// WebCrypto's digest first copies each piece into memory of its own and hashes it on the thread pool
// (docs/performance.md: a third of the engine's CPU per MiB in Node went to that copy).

export const nodeSha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
