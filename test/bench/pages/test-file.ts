// Browser side: a test file of random bytes, made in the tab (random, so no compression or dedup can help).

const MAX_RANDOM_CHUNK = 65_536; // crypto.getRandomValues fills at most 64 KiB per call

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += MAX_RANDOM_CHUNK) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + MAX_RANDOM_CHUNK)));
  }
  return bytes;
}

/** A File of `sizeBytes` random bytes, built from 1 MiB parts so no single huge allocation is needed. */
export function makeTestFile(sizeBytes: number, name = 'bench.bin'): File {
  const part = 1024 * 1024;
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 0; at < sizeBytes; at += part) parts.push(randomBytes(Math.min(part, sizeBytes - at)));
  return new File(parts, name, { type: 'application/octet-stream' });
}

export const nowMs = (): number => performance.timeOrigin + performance.now();
