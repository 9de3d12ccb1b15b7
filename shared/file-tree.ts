import { uniqueFilePaths } from './file-paths.ts';

// A swarm's files as folders: each file sits at its safe path (shared/file-paths.ts: the names `tabswarm get`
// writes and a saved zip holds), folders first, then files, each in natural order (ex2 before ex10). Pure
// data: the page builds it when the set of files changes and sums progress per folder on every render.
//
//   const tree = buildFileTree(files);          // files: anything with fileId and name (a FileSnapshot)
//   const totals = folderTotals(tree.folders[0]!, (f) => snapshotOf(f));
//   for (const leaf of filesUnder(folder)) …   // what "Save folder" saves, with leaf.path as the zip entry

export interface TreeFile<F> {
  /** The file's safe, distinct path: `lab9/ex1/data.csv`. */
  path: string;
  /** The last segment of the path. */
  name: string;
  file: F;
}

export interface TreeFolder<F> {
  /** '/'-joined path; '' for the root. */
  path: string;
  /** The last segment of the path; '' for the root. */
  name: string;
  /** 0 for the root's own folders. */
  depth: number;
  folders: TreeFolder<F>[];
  files: TreeFile<F>[];
}

/** What a folder's totals need of a file. */
export interface FileProgress {
  size: number;
  /** Verified bytes held (a FileSnapshot's storedBytes). */
  bytesHad: number;
  complete: boolean;
}

export interface FolderTotals {
  files: number;
  complete: number;
  bytes: number;
  bytesHad: number;
}

const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

function emptyFolder<F>(path: string, name: string, depth: number): TreeFolder<F> {
  return { path, name, depth, folders: [], files: [] };
}

function sortFolder<F>(folder: TreeFolder<F>): void {
  folder.folders.sort((a, b) => natural(a.name, b.name));
  folder.files.sort((a, b) => natural(a.name, b.name));
  for (const child of folder.folders) sortFolder(child);
}

/** The root folder holding every file, once each (a fileId listed twice counts once). */
export function buildFileTree<F extends { fileId: string; name: string }>(files: readonly F[]): TreeFolder<F> {
  const root = emptyFolder<F>('', '', -1);
  const paths = uniqueFilePaths(files);
  const byPath = new Map<string, TreeFolder<F>>([['', root]]);
  const placed = new Set<string>();
  for (const file of files) {
    if (placed.has(file.fileId)) continue;
    placed.add(file.fileId);
    const path = paths.get(file.fileId)!;
    const segments = path.split('/');
    let folder = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const folderPath = segments.slice(0, i + 1).join('/');
      let next = byPath.get(folderPath);
      if (next === undefined) {
        next = emptyFolder<F>(folderPath, segments[i]!, i);
        byPath.set(folderPath, next);
        folder.folders.push(next);
      }
      folder = next;
    }
    folder.files.push({ path, name: segments[segments.length - 1]!, file });
  }
  sortFolder(root);
  return root;
}

/** Every file in the folder and below it, in tree order. */
export function filesUnder<F>(folder: TreeFolder<F>): TreeFile<F>[] {
  return [...folder.folders.flatMap((f) => filesUnder(f)), ...folder.files];
}

/** Every folder below this one (not itself), parents before children. */
export function foldersUnder<F>(folder: TreeFolder<F>): TreeFolder<F>[] {
  return folder.folders.flatMap((f) => [f, ...foldersUnder(f)]);
}

/** Sizes and progress summed over the folder and everything below it. */
export function folderTotals<F>(folder: TreeFolder<F>, progressOf: (file: F) => FileProgress): FolderTotals {
  const totals: FolderTotals = { files: 0, complete: 0, bytes: 0, bytesHad: 0 };
  for (const { file } of filesUnder(folder)) {
    const p = progressOf(file);
    totals.files++;
    totals.bytes += p.size;
    totals.bytesHad += Math.min(p.size, p.bytesHad);
    if (p.complete) totals.complete++;
  }
  return totals;
}

/** The folder at `path` ('' for the root), or null. */
export function folderAt<F>(root: TreeFolder<F>, path: string): TreeFolder<F> | null {
  if (path === '') return root;
  let folder: TreeFolder<F> | undefined = root;
  for (const segment of path.split('/')) {
    folder = folder.folders.find((f) => f.name === segment);
    if (folder === undefined) return null;
  }
  return folder;
}
