import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManifest, pieceSize, type Manifest } from '../../shared/manifest.ts';
import type { FileRecord } from '../../peer/contracts.ts';
import { openGetStore } from '../../node-peer/get-store.ts';
import { hashFile } from '../../node-peer/hash-file.ts';
import { openManifestCache } from '../../node-peer/manifest-cache.ts';
import { writeFailure } from '../../node-peer/get-disk.ts';
import { checkedSegments, outputPathFor } from '../../node-peer/output-paths.ts';
import { createShareStore } from '../../node-peer/share-store.ts';
import { findSharedFiles, hashSharedFiles, ShareInputError, type HashProgress, type SharedFile } from '../../node-peer/shared-files.ts';

// The Node peer's stores on real files: the sharer serves only bytes that still match the manifest, the
// downloader resumes from what is verified on disk, names from peers never leave the output folder.

const KiB = 1024;
let dir: string;
beforeEach(async () => void (dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-disk-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

const SWARM = 'ab'.repeat(16);

async function fileOnDisk(name: string, bytes: Uint8Array): Promise<SharedFile> {
  const absolutePath = path.join(dir, name);
  await writeFile(absolutePath, bytes);
  return { ...(await hashFile(absolutePath, { name, size: bytes.length })), absolutePath };
}

/** A copy as a plain Uint8Array (what the stores return), so equality compares bytes, not Buffer vs Uint8Array. */
const pieceOf = (bytes: Uint8Array, m: Manifest, i: number): Uint8Array =>
  new Uint8Array(bytes.subarray(i * m.pieceLength, i * m.pieceLength + pieceSize(m, i)));

describe('node hashing', () => {
  it('node hashing: a file on disk gets the very manifest and fileId a tab makes of the same bytes', async () => {
    for (const size of [0, 1, 64 * KiB + 1, 3 * 1024 * KiB + 5]) {
      const bytes = randomBytes(size);
      const fromDisk = await fileOnDisk(`f${size}.bin`, bytes);
      const inTab = await createManifest(new Blob([bytes]), { name: `f${size}.bin` });
      expect(fromDisk.manifest).toEqual(inTab.manifest);
      expect(fromDisk.fileId).toBe(inTab.fileId);
    }
  });
});

describe('shared files', () => {
  it('shared files: a restart takes manifests from the cache; a file touched since is hashed again; the swarm is kept', async () => {
    await mkdir(path.join(dir, 'lab9', 'data'), { recursive: true });
    await mkdir(path.join(dir, 'lab9', '.git'));
    await writeFile(path.join(dir, 'lab9', 'ex1.py'), 'print(1)\n');
    await writeFile(path.join(dir, 'lab9', 'data', 'set.csv'), randomBytes(100 * KiB));
    await writeFile(path.join(dir, 'lab9', '.git', 'HEAD'), 'ref');
    const cacheDir = path.join(dir, 'cache');
    const share = async () => {
      const seen: HashProgress[] = [];
      const cache = await openManifestCache(cacheDir);
      const files = await hashSharedFiles(await findSharedFiles([path.join(dir, 'lab9')]), cache, (p) => seen.push(p));
      const swarmId = cache.swarmFor([path.join(dir, 'lab9')]);
      await cache.save();
      return { files, swarmId, cached: seen.filter((p) => p.cached).map((p) => p.name) };
    };
    const first = await share();
    expect(first.files.map((f) => f.manifest.name)).toEqual(['lab9/data/set.csv', 'lab9/ex1.py']);
    expect(first.cached).toEqual([]);
    expect((await share()).cached).toEqual(['lab9/data/set.csv', 'lab9/ex1.py']);
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(dir, 'lab9', 'ex1.py'), later, later);
    const third = await share();
    expect(third.cached).toEqual(['lab9/data/set.csv']);
    expect(third.files.map((f) => f.fileId)).toEqual(first.files.map((f) => f.fileId));
    expect(third.swarmId).toBe(first.swarmId);
    expect((await stat(path.join(cacheDir, 'manifests.json'))).mode & 0o777).toBe(0o600); // it holds swarm ids
  });

  it('shared files: a path that does not exist is refused by name', async () => {
    await expect(findSharedFiles([path.join(dir, 'nope')])).rejects.toThrow(new ShareInputError(`no such file or folder: ${path.join(dir, 'nope')}`));
  });
});

describe('share store', () => {
  it('share store: a file changed on disk stops being served and is reported once; other files are still served', async () => {
    const bytesA = randomBytes(2 * 1024 * KiB);
    const bytesB = randomBytes(300 * KiB);
    const a = await fileOnDisk('a.bin', bytesA);
    const b = await fileOnDisk('b.bin', bytesB);
    const broken: string[] = [];
    const store = createShareStore({ swarmId: SWARM, files: [a, b], onBroken: (f, reason) => broken.push(`${f.manifest.name}: ${reason}`) });
    expect(await store.readBlock(a.fileId, 0, 0, 100)).toEqual(pieceOf(bytesA, a.manifest, 0).subarray(0, 100));

    const handle = await open(a.absolutePath, 'r+');
    await handle.write(new Uint8Array([1, 2, 3]), 0, 3, a.manifest.pieceLength * 5 + 10);
    await handle.close();
    expect(await store.readBlock(a.fileId, 5, 0, 100)).toBeNull();
    expect(await store.readBlock(a.fileId, 0, 0, 100)).toBeNull(); // the whole file, cached pieces too
    expect(broken).toEqual(['a.bin: it changed on disk since it was shared (piece 5 no longer matches)']);
    expect(await store.readBlock(b.fileId, 1, 0, 100)).toEqual(pieceOf(bytesB, b.manifest, 1).subarray(0, 100));
    store.close();
  });

  it('share store: a shared file deleted or truncated is reported as such', async () => {
    const a = await fileOnDisk('a.bin', randomBytes(200 * KiB));
    const b = await fileOnDisk('b.bin', randomBytes(200 * KiB));
    const broken: string[] = [];
    const store = createShareStore({ swarmId: SWARM, files: [a, b], onBroken: (f, reason) => broken.push(`${f.manifest.name}: ${reason}`) });
    await unlink(a.absolutePath);
    await writeFile(b.absolutePath, randomBytes(10 * KiB));
    expect(await store.readBlock(a.fileId, 0, 0, 10)).toBeNull();
    expect(await store.readBlock(b.fileId, 3, 0, 10)).toBeNull();
    expect(broken).toEqual(['a.bin: it was deleted or moved', 'b.bin: it is shorter than when it was shared (piece 3)']);
    store.close();
  });
});

describe('get store', () => {
  async function manifestOf(name: string, bytes: Uint8Array): Promise<FileRecord> {
    const { fileId, manifest } = await createManifest(new Blob([new Uint8Array(bytes)]), { name });
    return { swarmId: SWARM, fileId, manifest, origin: 'downloaded' };
  }

  it('get store: after a restart only the pieces that verify on disk count, and the last piece renames the file', async () => {
    const bytes = randomBytes(1024 * KiB + 77);
    const record = await manifestOf('lab/image.bin', bytes);
    const { manifest } = record;
    const first = await openGetStore(dir);
    await first.saveSwarm(SWARM);
    await first.saveFile(record);
    for (const i of [0, 3, 7, 15]) await first.putPiece(record.fileId, i, pieceOf(bytes, manifest, i));
    first.close();
    // A piece half-written when the process died: its bytes on disk do not match.
    const part = path.join(dir, '.tabswarm-get.parts', `${record.fileId}.part`);
    const handle = await open(part, 'r+');
    await handle.write(new Uint8Array(10), 0, 10, 7 * manifest.pieceLength);
    await handle.close();

    const second = await openGetStore(dir);
    expect(await second.listSwarms()).toEqual([SWARM]);
    expect((await second.listFiles()).map((f) => f.fileId)).toEqual([record.fileId]);
    expect(await second.admit(record)).toBe(true);
    expect((await second.storedPieces(record.fileId)).sort((x, y) => x - y)).toEqual([0, 3, 15]);
    for (let i = 0; i < manifest.pieceHashes.length; i++) await second.putPiece(record.fileId, i, pieceOf(bytes, manifest, i));
    expect(createHash('sha256').update(await readFile(path.join(dir, 'lab', 'image.bin'))).digest('hex'))
      .toBe(createHash('sha256').update(bytes).digest('hex'));
    await expect(stat(part)).rejects.toThrow();
    expect(await second.readBlock(record.fileId, 2, 5, 10)).toEqual(pieceOf(bytes, manifest, 2).subarray(5, 15));
    second.close();
  });

  it('get store: a full disk is a StorageFailure that says so and how to resume', async () => {
    // The kernel answers every write to /dev/full with ENOSPC: the very error a full disk gives the store.
    const full = await writeFile('/dev/full', new Uint8Array(16)).then(() => null, (e: unknown) => e);
    expect(full).toMatchObject({ code: 'ENOSPC' });
    expect(writeFailure(full, 'big.bin', dir)).toMatchObject({
      code: 'ERR_STORAGE_QUOTA', message: expect.stringMatching(/disk is full.*run the same command again/),
    });
  });

  it('get store: a file name from a peer never leads outside the output folder', () => {
    for (const name of ['../../etc/passwd', '/etc/passwd', 'a/../../b', '..', '', 'x\u0000y/..\\..\\z', '././.']) {
      const safe = checkedSegments(name);
      expect(safe.ok).toBe(true);
      const p = outputPathFor(dir, safe.ok ? safe.value : []);
      expect(p.startsWith(dir + path.sep), `${JSON.stringify(name)} → ${p}`).toBe(true);
    }
    expect(checkedSegments('lab9/ex1.py')).toEqual({ ok: true, value: ['lab9', 'ex1.py'] });
  });
});
