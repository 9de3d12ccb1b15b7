import type { FileId } from '../../shared/ids.ts';
import { buildFileTree, filesUnder, folderAt } from '../../shared/file-tree.ts';
import type { SwarmSnapshot } from '../../peer/snapshot-types.ts';

// What "Save all" / "Save folder" saves: the complete files of a swarm (or of one folder of its tree), each
// under its tree path, and the zip's name. A folder saves as its own zip, as a desktop's "compress" does:
// `lab9/ex1` → `ex1.zip` holding `ex1/…`. Files still downloading are left out and named.

export interface SaveSelection {
  /** The zip's file name, or the folder's name for "Save into a folder…". */
  name: string;
  /** Complete files: their fileId and path in the zip (or below the folder picked). */
  entries: { fileId: FileId; path: string; size: number }[];
  /** Paths of the files in the selection that are not complete yet (not saved). */
  left: string[];
}

/** The swarm's short name, for a zip of files that share no one top folder. */
const swarmName = (swarm: SwarmSnapshot): string => `tabswarm-${swarm.swarmId.slice(0, 8)}`;

/** Throws a message for people when the folder is unknown or holds nothing complete yet. */
export function selectForSave(swarm: SwarmSnapshot, folder = ''): SaveSelection {
  const root = buildFileTree(swarm.files);
  const chosen = folderAt(root, folder);
  if (chosen === null) throw new Error(`no folder ${folder} in this swarm`);
  const parent = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/') + 1) : '';
  const leaves = filesUnder(chosen);
  const complete = leaves.filter((l) => l.file.state === 'complete');
  if (complete.length === 0) throw new Error(leaves.length === 0 ? 'no files to save' : 'no file here is complete yet');
  const single = folder === '' && root.files.length === 0 && root.folders.length === 1 ? root.folders[0]!.name : null;
  return {
    name: folder !== '' ? chosen.name : (single ?? swarmName(swarm)),
    entries: complete.map((l) => ({ fileId: l.file.fileId, path: l.path.slice(parent.length), size: l.file.size })),
    left: leaves.filter((l) => l.file.state !== 'complete').map((l) => l.path),
  };
}
