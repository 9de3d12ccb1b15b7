import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pieceSize, type Manifest } from '../shared/manifest.ts';
import { StorageFailure } from '../peer/contracts.ts';
import { nodeSha256Hex } from './sha256.ts';

// The downloader's disk operations, each one that never replaces, truncates or follows anything it did not
// make: folders are made one segment at a time and a symlink or file in the way is refused; a finished file
// is moved into place with link(2), which fails rather than replace a path that exists.

/** The result of putting a file into place: 'taken' means something is at that path now (not ours). */
export type Placed = 'placed' | 'taken';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export function writeFailure(e: unknown, name: string, outDir: string): StorageFailure {
  const code = errno(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StorageFailure('ERR_STORAGE_QUOTA',
      `the disk is full: ${name} could not be written into ${outDir}. Free some space and run the same command again; verified pieces are kept.`);
  }
  return new StorageFailure('ERR_STORAGE_WRITE', e instanceof StorageFailure ? e.message : `could not write ${name} into ${outDir}: ${code ?? String(e)}`);
}

/** Bytes free for this user on the output folder's disk; Infinity where the platform cannot say. */
export async function freeBytes(root: string): Promise<number> {
  try {
    const fs = await statfs(root);
    return fs.bavail * fs.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Makes `relative`'s folders inside `root`, one segment at a time; a symlink or a file in the way is refused. */
export async function makeFolders(root: string, relativeDir: string): Promise<void> {
  let at = root;
  for (const segment of relativeDir === '' ? [] : relativeDir.split('/')) {
    at = path.join(at, segment);
    await mkdir(at).catch((e: unknown) => {
      if (errno(e) !== 'EEXIST') throw e;
    });
    const st = await lstat(at);
    if (!st.isDirectory()) {
      throw new StorageFailure('ERR_STORAGE_WRITE', `${path.relative(root, at)} is ${st.isSymbolicLink() ? 'a symlink' : 'a file'}, not a folder made for this download`);
    }
  }
}

/** Moves the finished temporary `from` to `to`, never over anything already at `to`. */
export async function placeFile(from: string, to: string): Promise<Placed> {
  try {
    await link(from, to);
  } catch (e) {
    const code = errno(e);
    if (code === 'EEXIST') return 'taken';
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw e;
    // A disk without hard links (FAT, exFAT): claim the name with an exclusive create, then move over our own claim.
    if ((await createEmpty(to)) === 'taken') return 'taken';
    await rename(from, to);
    return 'placed';
  }
  await unlink(from);
  return 'placed';
}

/** Creates an empty file at `to` only if nothing is there (a 0-byte file never truncates an existing one). */
export async function createEmpty(to: string): Promise<Placed> {
  try {
    await (await open(to, 'wx', 0o644)).close();
    return 'placed';
  } catch (e) {
    if (errno(e) === 'EEXIST') return 'taken';
    throw e;
  }
}

/** The downloader's own temporary file: read and written, created if missing, never through a symlink. */
export const openPart = (file: string): Promise<FileHandle> =>
  open(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);

/** The pieces of the regular file at `file` (not a symlink) that match their manifest hash. */
export async function verifiedOnDisk(file: string, manifest: Manifest): Promise<number[]> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return [];
  }
  try {
    if (!(await handle.stat()).isFile()) return [];
    const good: number[] = [];
    const buffer = new Uint8Array(manifest.pieceLength);
    for (let index = 0; index < manifest.pieceHashes.length; index++) {
      const length = pieceSize(manifest, index);
      const { bytesRead } = await handle.read(buffer, 0, length, index * manifest.pieceLength);
      if (bytesRead !== length) break; // the file ends here: nothing further was written
      if (nodeSha256Hex(buffer.subarray(0, length)) === manifest.pieceHashes[index]) good.push(index);
    }
    return good;
  } finally {
    await handle.close();
  }
}

/** Whether the regular file at `file` is exactly the manifest's file: its size and every piece. */
export async function isExactly(file: string, manifest: Manifest): Promise<boolean> {
  const st = await lstat(file).catch(() => null);
  if (st === null || !st.isFile() || st.size !== manifest.size) return false;
  return (await verifiedOnDisk(file, manifest)).length === manifest.pieceHashes.length;
}
