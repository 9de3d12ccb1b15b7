import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { FileId } from '../shared/ids.ts';
import { fileIdSuffix, withSuffix } from '../shared/file-paths.ts';
import { foldName } from './output-paths.ts';

// Which path each downloaded file gets. A name is chosen and held in one synchronous step (no await between
// the check and the hold), so two files announced at once never share a path. Names are compared case-folded
// and NFC-normalised, as macOS and Windows disks compare them. A path already on disk is never chosen: the
// file goes beside it under a suffixed name. A folder segment that is a file here (announced, or on disk) or a
// symlink gets a suffixed folder instead: nothing is written through a symlink.

export interface TargetBook {
  /** A free relative path ('/'-separated) for the file, now held for it; `avoid` names paths not to take. */
  reserve(fileId: FileId, segments: readonly string[], avoid?: ReadonlySet<string>): string;
  /** Holds a path recorded earlier (a resumed download) if no other file holds it; false otherwise. */
  hold(fileId: FileId, relative: string): boolean;
  release(fileId: FileId): void;
}

type OnDisk = 'none' | 'dir' | 'other';

function onDisk(root: string, relative: string): OnDisk {
  const st = lstatSync(path.join(root, ...relative.split('/')), { throwIfNoEntry: false });
  if (st === undefined) return 'none';
  return st.isDirectory() ? 'dir' : 'other'; // lstat: a symlink to a folder is 'other'
}

export function createTargetBook(root: string): TargetBook {
  const files = new Map<string, FileId>(); // folded path → the file holding it
  const heldBy = new Map<FileId, string>(); // file → its folded path
  const dirs = new Map<string, string>(); // folded announced folder path → the folder path chosen for it
  const dirsTaken = new Set<string>(); // folded chosen folder paths

  function folderFor(parent: string, segment: string): string {
    const key = foldName(parent === '' ? segment : `${parent}/${segment}`);
    const known = dirs.get(key);
    if (known !== undefined) return known;
    for (let n = 0; ; n++) {
      const name = n === 0 ? segment : `${segment}-folder${n === 1 ? '' : `-${n}`}`;
      const candidate = parent === '' ? name : `${parent}/${name}`;
      const folded = foldName(candidate);
      if (files.has(folded)) continue;
      if (!dirsTaken.has(folded) && onDisk(root, candidate) === 'other') continue;
      dirs.set(key, candidate);
      dirsTaken.add(folded);
      return candidate;
    }
  }

  const free = (relative: string, avoid: ReadonlySet<string>): boolean => {
    const folded = foldName(relative);
    return !files.has(folded) && !dirsTaken.has(folded) && !avoid.has(relative) && onDisk(root, relative) === 'none';
  };

  function take(fileId: FileId, relative: string): string {
    files.set(foldName(relative), fileId);
    heldBy.set(fileId, foldName(relative));
    return relative;
  }

  return {
    reserve(fileId, segments, avoid = new Set()) {
      this.release(fileId);
      let parent = '';
      for (const segment of segments.slice(0, -1)) parent = folderFor(parent, segment);
      const base = segments.at(-1)!;
      const at = (name: string): string => (parent === '' ? name : `${parent}/${name}`);
      const suffix = fileIdSuffix(fileId);
      for (let n = 0; ; n++) {
        const name = n === 0 ? base : withSuffix(base, n === 1 ? suffix : `${suffix}-${n}`);
        if (free(at(name), avoid)) return take(fileId, at(name));
      }
    },
    hold(fileId, relative) {
      const folded = foldName(relative);
      const holder = files.get(folded);
      if ((holder !== undefined && holder !== fileId) || dirsTaken.has(folded)) return false;
      const segments = relative.split('/');
      for (let i = 1; i < segments.length; i++) {
        const dir = segments.slice(0, i).join('/');
        if (files.has(foldName(dir)) || onDisk(root, dir) === 'other') return false; // a file or symlink there now
        dirsTaken.add(foldName(dir));
        if (!dirs.has(foldName(dir))) dirs.set(foldName(dir), dir);
      }
      this.release(fileId);
      take(fileId, relative);
      return true;
    },
    release(fileId) {
      const folded = heldBy.get(fileId);
      if (folded === undefined) return;
      heldBy.delete(fileId);
      files.delete(folded);
    },
  };
}
