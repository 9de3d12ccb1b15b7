import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { predictLength } from 'client-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipBlob } from '../../client/save/zip-blob.ts';

// The page's zip (client/save/zip-blob.ts) read back by Info-ZIP's unzip: names and bytes exact.

describe('zip blob', () => {
  let dir = '';
  beforeAll(async () => void (dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-zip-'))));
  afterAll(async () => void (dir && (await rm(dir, { recursive: true, force: true }))));

  const files = {
    'lab9/ex1/data.csv': randomBytes(3 * 1024 * 1024 + 17), // several chunks, the last one short
    'lab9/README.md': Buffer.from('# Lab 9\n'),
    'lab9/ex2/empty.txt': Buffer.alloc(0),
    'lab9/ex2/ünïcode name.txt': Buffer.from('names are UTF-8\n'),
  };

  async function written(name: string, blob: Blob): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, new Uint8Array(await blob.arrayBuffer()));
    return file;
  }

  it('zip blob: unzip lists every path and returns every byte; the length is what client-zip predicts', async () => {
    const seen: number[] = [];
    const entries = Object.entries(files).map(([p, bytes]) => ({ path: p, blob: new Blob([bytes]) }));
    const zip = await zipBlob(entries, (done) => seen.push(done));
    const total = Object.values(files).reduce((s, b) => s + b.length, 0);
    expect(seen.at(-1)).toBe(total);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(BigInt(zip.size)).toBe(predictLength(entries.map((e) => ({ name: e.path, size: e.blob.size }))));
    const file = await written('lab9.zip', zip);
    expect(execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(Object.keys(files).sort());
    execFileSync('unzip', ['-tq', file]); // every CRC-32 checks out
    for (const [p, bytes] of Object.entries(files)) {
      expect(Buffer.compare(execFileSync('unzip', ['-p', file, p], { maxBuffer: 64 * 1024 * 1024 }), bytes), p).toBe(0);
    }
  });

  it('zip blob: an empty selection is the 22-byte end record alone', async () => {
    expect((await zipBlob([])).size).toBe(22);
  });
});
