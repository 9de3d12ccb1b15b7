import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamingSha256, sha256Hex, sha256HexWasm } from '../../shared/sha256.ts';

const nodeSha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('sha256', () => {
  it('sha256: the WebCrypto fast path and the hash-wasm path (plain-http pages) agree with node:crypto', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (bytes) => {
        const expected = nodeSha256(bytes);
        expect(await sha256Hex(bytes)).toBe(expected);
        expect(await sha256HexWasm(bytes)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('sha256: a streamed hash of chunks equals the hash of their concatenation', async () => {
    const whole = new Uint8Array(3 * 65536 + 17).map((_, i) => (i * 31) & 255);
    const hasher = await createStreamingSha256();
    for (let at = 0; at < whole.length; at += 65536) hasher.update(whole.subarray(at, at + 65536));
    expect(hasher.digestHex()).toBe(nodeSha256(whole));
  });

  it('sha256: concurrent hashes on the pooled wasm hashers do not mix', async () => {
    const inputs = Array.from({ length: 16 }, (_, i) => new Uint8Array(10_000 + i).fill(i));
    const hashes = await Promise.all(inputs.map((b) => sha256HexWasm(b)));
    expect(hashes).toEqual(inputs.map(nodeSha256));
  });
});
