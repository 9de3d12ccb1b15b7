import type { Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_ANNOUNCEMENTS_PER_SWARM, MAX_FILE_NAME_LENGTH, MAX_FILE_SIZE } from '../shared/limits.ts';
import type { FileStamp, ManifestCache } from './manifest-cache.ts';
import { hashFile, type HashedFile } from './hash-file.ts';

// What `share <paths…>` shares: each file given, and every regular file under each folder given (names are
// paths relative to the folder's parent: `lab9/ex1.py`). Dot files and dot folders (.git) are left out.

export interface SharedFile extends HashedFile {
  absolutePath: string;
}

interface FoundFile extends FileStamp {
  name: string;
}

/** A path the user gave that cannot be shared; the message says which and why. */
export class ShareInputError extends Error {
  override readonly name = 'ShareInputError';
}

async function statOrFail(p: string): Promise<Stats> {
  try {
    return await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ShareInputError(code === 'ENOENT' ? `no such file or folder: ${p}` : `cannot read ${p}: ${code ?? String(e)}`);
  }
}

async function walk(dir: string, prefix: string, out: FoundFile[]): Promise<void> {
  const entries = [];
  for await (const entry of await opendir(dir)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const name = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) await walk(full, name, out);
    else if (entry.isFile()) out.push(await found(full, name));
  }
}

async function found(absolutePath: string, name: string): Promise<FoundFile> {
  const s = await statOrFail(absolutePath);
  if (name.length > MAX_FILE_NAME_LENGTH) throw new ShareInputError(`name longer than ${MAX_FILE_NAME_LENGTH} characters: ${name}`);
  if (s.size > MAX_FILE_SIZE) throw new ShareInputError(`${absolutePath} is larger than the ${MAX_FILE_SIZE} bytes a file may have`);
  return { absolutePath, name, size: s.size, mtimeMs: s.mtimeMs };
}

/** Every file to share, in a stable order; throws ShareInputError for a missing path or too many files. */
export async function findSharedFiles(paths: string[]): Promise<FoundFile[]> {
  if (paths.length === 0) throw new ShareInputError('nothing to share: give at least one file or folder');
  const files: FoundFile[] = [];
  for (const given of paths) {
    const absolute = path.resolve(given);
    const s = await statOrFail(given);
    if (s.isDirectory()) await walk(absolute, path.basename(absolute), files);
    else if (s.isFile()) files.push(await found(absolute, path.basename(absolute)));
    else throw new ShareInputError(`not a file or folder: ${given}`);
  }
  if (files.length === 0) throw new ShareInputError(`no files to share in ${paths.join(', ')} (dot files are left out)`);
  if (files.length > MAX_ANNOUNCEMENTS_PER_SWARM) {
    throw new ShareInputError(`${files.length} files: a swarm holds at most ${MAX_ANNOUNCEMENTS_PER_SWARM} (share a zip of the folder)`);
  }
  return files;
}

export interface HashProgress {
  name: string;
  hashedBytes: number;
  totalBytes: number;
  cached: boolean;
}

/** Manifests for every file: from the cache when path, size and mtime match, else hashed (streamed). */
export async function hashSharedFiles(
  files: FoundFile[], cache: ManifestCache, onProgress: (p: HashProgress) => void = () => {},
): Promise<SharedFile[]> {
  const out: SharedFile[] = [];
  for (const f of files) {
    const cached = await cache.lookup(f, f.name);
    if (cached) {
      onProgress({ name: f.name, hashedBytes: f.size, totalBytes: f.size, cached: true });
      out.push({ ...cached, absolutePath: f.absolutePath });
      continue;
    }
    const hashed = await hashFile(f.absolutePath, {
      name: f.name, size: f.size,
      onBytes: (n) => n < f.size && onProgress({ name: f.name, hashedBytes: n, totalBytes: f.size, cached: false }),
    });
    const after = await statOrFail(f.absolutePath);
    if (after.mtimeMs !== f.mtimeMs || after.size !== f.size) {
      throw new ShareInputError(`${f.absolutePath} changed while it was hashed: share it again once it is written`);
    }
    onProgress({ name: f.name, hashedBytes: f.size, totalBytes: f.size, cached: false });
    cache.remember(f, hashed);
    out.push({ ...hashed, absolutePath: f.absolutePath });
  }
  await cache.save().catch(() => undefined); // a read-only cache dir only costs a rehash next time
  return out;
}
