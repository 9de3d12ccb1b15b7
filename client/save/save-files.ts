import type { FileId, SwarmId } from '../../shared/ids.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { selectForSave, type SaveSelection } from './save-selection.ts';
import { zipBlob, type ZipProgress } from './zip-blob.ts';

// Saving stored files out of the browser. One file: a Blob of its stored piece Blobs, handed to the browser as a
// download (no service worker is needed, so this works on http://<LAN IP>). Many: one store-only zip built
// the same way (zip-blob.ts), or, where File System Access exists (secure contexts: Chromium on localhost or
// https), the files written one by one, streamed, into a folder the user picks. docs/saving.md has the why.

export interface SaveOptions {
  /** A folder of the swarm's tree (`lab9/ex1`); '' or absent: the whole swarm. */
  folder?: string;
  /** Bytes read (zip) or written (folder) so far, of the total. */
  onProgress?: ZipProgress;
}

export interface SavedFiles {
  /** The zip's file name, or the folder's name inside the folder picked. */
  name: string;
  files: number;
  /** Bytes of the zip, or of the files written. */
  bytes: number;
  /** Files of the selection not complete yet, so not saved. */
  left: string[];
}

export interface SaveDeps {
  snapshot(): TabswarmSnapshot;
  fileBlob(fileId: FileId): Promise<Blob>;
}

/** The window's File System Access entry point; only in secure contexts, only in Chromium-based browsers. */
type DirectoryPicker = (opts?: { mode?: 'read' | 'readwrite'; id?: string }) => Promise<FileSystemDirectoryHandle>;

export const directoryPicker = (): DirectoryPicker | null => {
  const picker = (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  return typeof picker === 'function' ? picker.bind(globalThis) : null;
};

/** Lets the browser save a Blob under a file name; the object URL is revoked once the download started. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name, rel: 'noopener' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function selection(deps: SaveDeps, swarmId: SwarmId, folder: string | undefined): SaveSelection {
  const swarm = deps.snapshot().swarms.find((s) => s.swarmId === swarmId);
  if (swarm === undefined) throw new Error(`not in swarm ${swarmId}`);
  return selectForSave(swarm, folder);
}

/** Builds the zip of the swarm's (or folder's) complete files and hands it to the browser as a download. */
export async function saveZip(deps: SaveDeps, swarmId: SwarmId, opts: SaveOptions = {}): Promise<SavedFiles> {
  const sel = selection(deps, swarmId, opts.folder);
  const entries = [];
  for (const e of sel.entries) entries.push({ path: e.path, blob: await deps.fileBlob(e.fileId) });
  const zip = await zipBlob(entries, opts.onProgress);
  const name = `${sel.name}.zip`;
  saveBlob(zip, name);
  return { name, files: entries.length, bytes: zip.size, left: sel.left };
}

async function writeInto(dir: FileSystemDirectoryHandle, path: string, blob: Blob, wrote: (n: number) => void): Promise<void> {
  const segments = path.split('/');
  for (const segment of segments.slice(0, -1)) dir = await dir.getDirectoryHandle(segment, { create: true });
  const handle = await dir.getFileHandle(segments[segments.length - 1]!, { create: true });
  const writable = await handle.createWritable();
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      wrote(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  await blob.stream().pipeThrough(count).pipeTo(writable); // closes the writable: the file appears whole
}

/**
 * Asks for a folder (call it from a click: the picker needs one) and writes the files into it under their tree
 * paths, streamed from storage. Where the browser has no picker, rejects saying so.
 */
export async function saveToFolder(deps: SaveDeps, swarmId: SwarmId, opts: SaveOptions = {}): Promise<SavedFiles> {
  const picker = directoryPicker();
  if (picker === null) throw new Error('this browser cannot write into a folder here (File System Access needs https or localhost, and Chrome or Edge)');
  const sel = selection(deps, swarmId, opts.folder);
  const dir = await picker({ mode: 'readwrite', id: 'tabswarm-save' });
  const total = sel.entries.reduce((sum, e) => sum + e.size, 0);
  let done = 0;
  for (const e of sel.entries) {
    await writeInto(dir, e.path, await deps.fileBlob(e.fileId), (n) => opts.onProgress?.((done += n), total));
  }
  opts.onProgress?.(total, total);
  return { name: sel.name, files: sel.entries.length, bytes: total, left: sel.left };
}
