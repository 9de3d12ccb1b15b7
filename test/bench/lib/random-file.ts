import { randomFillSync } from 'node:crypto';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A file of random bytes on disk, for pages that take a file from a person (Playwright's setInputFiles(path)).
// In-page alternative: pages/test-file.ts makeTestFile(size) builds a File inside the tab.

export interface RandomFile { path: string; sizeBytes: number; remove(): Promise<void> }

const CHUNK = 1024 * 1024;

export async function writeRandomFile(sizeBytes: number, name = 'bench.bin'): Promise<RandomFile> {
  const dir = await mkdtemp(join(tmpdir(), 'tabswarm-bench-'));
  const path = join(dir, name);
  const file = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(CHUNK);
    for (let at = 0; at < sizeBytes; at += CHUNK) {
      const length = Math.min(CHUNK, sizeBytes - at);
      randomFillSync(chunk, 0, length);
      await file.write(chunk, 0, length);
    }
  } finally {
    await file.close();
  }
  return { path, sizeBytes, remove: () => rm(dir, { recursive: true, force: true }) };
}
