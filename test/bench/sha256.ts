import { createHash } from 'node:crypto';
import { measureSha256, sha256Candidates, type Sha256Candidate } from './sha256-measure.ts';

// `npx tsx test/bench/sha256.ts [pieces] [rounds]`: SHA-256 of 1 MiB pieces in Node, one JSON line per
// implementation: hash-wasm, @noble/hashes, WebCrypto (Node has crypto.subtle) and node:crypto as reference.

const pieces = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 5);

const nodeCrypto: Sha256Candidate = { name: 'node:crypto', hash: (piece) => createHash('sha256').update(piece).digest() };

for (const candidate of [...(await sha256Candidates()), nodeCrypto]) {
  const figure = await measureSha256(candidate, { pieces, rounds });
  console.log(JSON.stringify({ ...figure, runtime: `node ${process.version}` }));
}
