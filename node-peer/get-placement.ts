import { lstat, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileId } from '../shared/ids.ts';
import type { FileRecord } from '../peer/contracts.ts';
import { createEmpty, isExactly, makeFolders, openPart, placeFile, verifiedOnDisk } from './get-disk.ts';
import { STORE_PREFIX } from './get-rules.ts';
import type { GetState } from './get-state.ts';
import { outputPathFor } from './output-paths.ts';
import type { TargetBook } from './target-book.ts';

// Where a downloaded file lives on disk: its part in `.tabswarm-get.parts/<fileId>.part` while pieces arrive,
// its target once whole, moved there never over anything. A file of the person's found at the target is left
// as it is and the swarm's version goes beside it, under a name the target book gives.

/** A file the downloader's store took (get-store.ts). */
export interface Entry {
  record: FileRecord;
  segments: string[];
  /** Where the finished file goes, relative to the output folder ('/'-separated), held in the target book. */
  target: string;
  had: Set<number>;
  /** The check of what is already on disk, run once per process. */
  checked: Promise<void> | null;
  handle: Promise<FileHandle> | null;
  /** Bytes of it on disk when it was admitted, and written since: what it no longer needs of the free space. */
  onDisk: number;
  finishing: Promise<void> | null;
  complete: boolean;
}

export interface Placement {
  partPath(fileId: FileId): string;
  partOf(entry: Entry): string;
  fullPath(entry: Entry): string;
  /** Marks the pieces already on disk as had (once per process); a finished file that still matches is complete. */
  check(entry: Entry): Promise<void>;
  /** Moves the finished file into place (once); a path taken meanwhile (by the person) gets another, suffixed one. */
  finish(entry: Entry): Promise<void>;
  /** The part's open handle, opened on the first write. */
  handleFor(entry: Entry): Promise<FileHandle>;
}

export interface PlacementDeps {
  root: string;
  book: TargetBook;
  state: GetState;
  persist: () => Promise<void>;
  notice: (line: string) => void;
  /** The file is whole at its target now: pieces served from its part are stale. */
  onPlaced: (fileId: FileId) => void;
}

export function createPlacement({ root, book, state, persist, notice, onPlaced }: PlacementDeps): Placement {
  const parts = path.join(root, `${STORE_PREFIX}.parts`);
  const partPath = (fileId: FileId): string => path.join(parts, `${fileId}.part`);
  const partOf = (entry: Entry): string => partPath(entry.record.fileId);
  const fullPath = (entry: Entry): string => outputPathFor(root, entry.target.split('/'));

  /** A file of the person's is at the entry's path: it is left alone and the swarm's version goes beside it. */
  async function moveAside(entry: Entry, why: string): Promise<void> {
    const mine = entry.target;
    entry.target = book.reserve(entry.record.fileId, entry.segments, new Set([mine]));
    for (const f of state.files) if (f.fileId === entry.record.fileId) f.target = entry.target;
    await persist();
    notice(`kept ${mine}: ${why}; it is yours and stays as it is. The swarm's version goes to ${entry.target}`);
  }

  async function check(entry: Entry): Promise<void> {
    const { manifest } = entry.record;
    const part = await lstat(partOf(entry)).then((s) => s.isFile(), () => false);
    if (!part) {
      const at = await lstat(fullPath(entry)).catch(() => null);
      if (at !== null && (await isExactly(fullPath(entry), manifest))) {
        for (let i = 0; i < manifest.pieceHashes.length; i++) entry.had.add(i);
        entry.complete = true;
        return;
      }
      if (at !== null) await moveAside(entry, 'it no longer matches the swarm\'s file (edited since it was downloaded?)');
    }
    for (const i of part ? await verifiedOnDisk(partOf(entry), manifest) : []) entry.had.add(i);
    if (entry.had.size !== manifest.pieceHashes.length || manifest.size === 0) return;
    // Not placeable now (a symlink put in the way): the last piece is fetched again, and its write reports why.
    await finish(entry).catch(() => entry.had.delete(manifest.pieceHashes.length - 1));
  }

  const finish = (entry: Entry): Promise<void> => (entry.finishing ??= placeFinished(entry).catch((e: unknown) => {
    entry.finishing = null; // a later piece write tries again
    throw e;
  }));

  async function placeFinished(entry: Entry): Promise<void> {
    const handle = entry.handle;
    entry.handle = null;
    if (handle) await (await handle).close();
    for (;;) {
      await makeFolders(root, entry.target.split('/').slice(0, -1).join('/'));
      const placed = entry.record.manifest.size === 0 ? await createEmpty(fullPath(entry)) : await placeFile(partOf(entry), fullPath(entry));
      if (placed === 'placed') break;
      if (entry.record.manifest.size === 0 && (await isExactly(fullPath(entry), entry.record.manifest))) break; // an empty file already
      await moveAside(entry, 'a file of that name appeared there during the download');
    }
    entry.complete = true;
    onPlaced(entry.record.fileId);
  }

  function handleFor(entry: Entry): Promise<FileHandle> {
    entry.handle ??= mkdir(parts, { recursive: true, mode: 0o700 }).then(() => openPart(partOf(entry)));
    return entry.handle;
  }

  return { partPath, partOf, fullPath, check, finish, handleFor };
}
