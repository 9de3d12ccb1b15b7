import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadResumeKey } from '../../signaling-server/resume-key.ts';

// The resume key signs every peer's resume secret: a key another local user planted or can read forges them.

let root: string;
beforeEach(() => void (root = mkdtempSync(path.join(tmpdir(), 'tabswarm-state-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));
const planted = Buffer.alloc(32, 7);

describe('resume key', () => {
  it('resume key: created 0600 in a 0700 directory, and the same key comes back after a restart', () => {
    const dir = path.join(root, 'state', 'tabswarm');
    const first = loadResumeKey(dir);
    expect(first.problem).toBeNull();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'resume-key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadResumeKey(dir).key)).toEqual(Buffer.from(first.key));
  });

  it('resume key: a key other users could plant or read is not used', () => {
    const cases: [string, (dir: string, file: string) => void][] = [
      ['file readable by others', (_dir, file) => writeFileSync(file, planted, { mode: 0o644 })],
      ['directory open to others', (dir, file) => { writeFileSync(file, planted, { mode: 0o600 }); chmodSync(dir, 0o777); }],
      ['symlink to a planted file', (_dir, file) => {
        writeFileSync(path.join(root, 'planted'), planted, { mode: 0o600 });
        symlinkSync(path.join(root, 'planted'), file);
      }],
      ...(process.getuid?.() === 0 ? [['file of another user', (_dir: string, file: string) => {
        writeFileSync(file, planted, { mode: 0o600 });
        chownSync(file, 65534, 65534);
      }] as [string, (dir: string, file: string) => void]] : []),
    ];
    for (const [what, plant] of cases) {
      const dir = path.join(root, what.replaceAll(' ', '-'));
      mkdirSync(dir, { mode: 0o700 });
      const file = path.join(dir, 'resume-key');
      plant(dir, file);
      const loaded = loadResumeKey(dir);
      expect(loaded.problem, what).not.toBeNull();
      expect(Buffer.from(loaded.key).equals(planted), what).toBe(false);
      expect(readFileSync(file).equals(planted), `${what}: left as found`).toBe(true);
    }
  });
});
