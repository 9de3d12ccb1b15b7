import { createHash } from 'node:crypto';
import { constants, openAsBlob } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileId, SwarmId } from '../shared/ids.ts';
import { pieceSize } from '../shared/manifest.ts';
import { StorageFailure, type FileRecord, type ProfileStore } from '../peer/contracts.ts';
import type { Route } from '../shared/wire-messages.ts';
import { loadGetState, saveGetState, type GetState } from './get-state.ts';
import { fileIdSuffix } from '../shared/file-paths.ts';
import { outputPathFor } from './output-paths.ts';

// The downloader's store: each file is written piece by piece, at its offset, into `<name>.part` inside the
// output folder, and renamed to `<name>` once every piece is in. A piece counts only once written; after a
// restart (Ctrl-C, crash) every piece already on disk is hashed again and kept only if it matches.

interface Entry {
  record: FileRecord;
  /** The finished file's path; `${target}.part` until then. */
  target: string;
  had: Set<number>;
  /** The check of what is already on disk, run once per process. */
  checked: Promise<void> | null;
  handle: Promise<FileHandle> | null;
  complete: boolean;
}

const partOf = (target: string): string => `${target}.part`;
const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

function writeFailure(e: unknown, name: string, outDir: string): StorageFailure {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StorageFailure('ERR_STORAGE_QUOTA',
      `the disk is full: ${name} could not be written into ${outDir}. Free some space and run the same command again; verified pieces are kept.`);
  }
  return new StorageFailure('ERR_STORAGE_WRITE', `could not write ${name} into ${outDir}: ${code ?? String(e)}`);
}

/** Hashes the pieces already in the file at `file` and returns those that match their manifest hash. */
async function verifiedOnDisk(file: string, record: FileRecord): Promise<number[]> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { manifest } = record;
    const good: number[] = [];
    const buffer = new Uint8Array(manifest.pieceLength);
    for (let index = 0; index < manifest.pieceHashes.length; index++) {
      const length = pieceSize(manifest, index);
      const { bytesRead } = await handle.read(buffer, 0, length, index * manifest.pieceLength);
      if (bytesRead !== length) break; // the file ends here: nothing further was written
      if (createHash('sha256').update(buffer.subarray(0, length)).digest('hex') === manifest.pieceHashes[index]) good.push(index);
    }
    return good;
  } finally {
    await handle.close();
  }
}

export interface GetStore extends ProfileStore {
  /** Where a file ends up once complete (null: not known to this store). */
  targetOf(fileId: FileId): string | null;
  /** Resolves once every record and file this store was asked to write is on disk. */
  settled(): Promise<void>;
}

export async function openGetStore(outDir: string): Promise<GetStore> {
  const root = path.resolve(outDir);
  await mkdir(root, { recursive: true });
  const state: GetState = await loadGetState(root);
  const entries = new Map<FileId, Entry>();
  for (const f of state.files) {
    entries.set(f.fileId, { record: { ...f, origin: 'downloaded' }, target: path.join(root, f.target), had: new Set(), checked: null, handle: null, complete: false });
  }
  let closed = false;
  const removed: Route[] = []; // routes removed in this run (a downloader is started for one swarm and its files)
  const pendingSaves = new Set<Promise<void>>(); // records (and empty files) being written
  let writes: Promise<void> = Promise.resolve(); // state writes, one after another
  const persist = (): Promise<void> => (writes = writes.catch(() => undefined).then(() => saveGetState(root, state)));

  async function check(entry: Entry): Promise<void> {
    const done = await exists(entry.target) && !(await exists(partOf(entry.target)));
    const pieces = await verifiedOnDisk(done ? entry.target : partOf(entry.target), entry.record);
    for (const i of pieces) entry.had.add(i);
    if (entry.had.size === entry.record.manifest.pieceHashes.length) await finish(entry, done);
  }

  async function finish(entry: Entry, alreadyRenamed: boolean): Promise<void> {
    if (entry.complete) return;
    entry.complete = true;
    const handle = entry.handle;
    entry.handle = null;
    if (handle) await (await handle).close();
    if (entry.record.manifest.size === 0) await writeFile(entry.target, new Uint8Array(0));
    else if (!alreadyRenamed) await rename(partOf(entry.target), entry.target);
  }

  function handleFor(entry: Entry): Promise<FileHandle> {
    entry.handle ??= mkdir(path.dirname(entry.target), { recursive: true })
      .then(() => open(partOf(entry.target), constants.O_RDWR | constants.O_CREAT, 0o644));
    return entry.handle;
  }

  async function targetFor(record: FileRecord): Promise<string> {
    const taken = new Set([...entries.values()].map((e) => e.target));
    const plain = outputPathFor(root, record.manifest.name);
    if (!taken.has(plain) && !(await exists(plain)) && !(await exists(partOf(plain)))) return plain;
    return outputPathFor(root, record.manifest.name, fileIdSuffix(record.fileId));
  }

  async function saveRecord(record: FileRecord): Promise<void> {
    if (entries.has(record.fileId)) return;
    const target = await targetFor(record);
    const entry: Entry = { record, target, had: new Set(), checked: Promise.resolve(), handle: null, complete: false };
    entries.set(record.fileId, entry);
    state.files.push({ swarmId: record.swarmId, fileId: record.fileId, manifest: record.manifest, target: path.relative(root, target) });
    await persist();
    if (record.manifest.pieceHashes.length > 0) return;
    await finish(entry, false).catch((e: unknown) => {
      throw writeFailure(e, record.manifest.name, root);
    });
  }

  /** Drops records matching `drop` and the entries of `fileIds`, deleting their unfinished downloads. */
  async function forget(fileIds: FileId[], drop: (f: GetState['files'][number]) => boolean): Promise<void> {
    state.files = state.files.filter((f) => !drop(f));
    await persist();
    for (const fileId of fileIds) {
      const entry = entries.get(fileId);
      entries.delete(fileId);
      if (entry === undefined || entry.complete) continue;
      await entry.handle?.then((h) => h.close()).catch(() => undefined);
      await rm(partOf(entry.target), { force: true });
    }
  }

  return {
    async storedPieces(fileId) {
      const entry = entries.get(fileId);
      if (entry === undefined) return [];
      entry.checked ??= check(entry);
      await entry.checked;
      return [...entry.had];
    },
    async putPiece(fileId, index, bytes) {
      const entry = entries.get(fileId);
      if (closed || entry === undefined) throw new StorageFailure('ERR_STORAGE_WRITE', 'the download store is closed');
      if (entry.complete || entry.had.has(index)) return;
      const name = entry.record.manifest.name;
      try {
        const handle = await handleFor(entry);
        await handle.write(bytes, 0, bytes.byteLength, index * entry.record.manifest.pieceLength);
        entry.had.add(index);
        if (entry.had.size === entry.record.manifest.pieceHashes.length) await finish(entry, false);
      } catch (e) {
        throw writeFailure(e, name, root);
      }
    },
    async readBlock(fileId, index, offset, length) {
      const entry = entries.get(fileId);
      if (entry === undefined || !entry.had.has(index)) return null;
      const { manifest } = entry.record;
      if (offset < 0 || length < 0 || offset + length > pieceSize(manifest, index)) return null;
      const handle = entry.complete ? await open(entry.target, 'r') : await handleFor(entry);
      try {
        const bytes = new Uint8Array(length);
        const { bytesRead } = await handle.read(bytes, 0, length, index * manifest.pieceLength + offset);
        return bytesRead === length ? bytes : null;
      } finally {
        if (entry.complete) await handle.close();
      }
    },
    async fileBlob(fileId) {
      const entry = entries.get(fileId);
      if (entry === undefined || !entry.complete) throw new StorageFailure('ERR_STORAGE_WRITE', 'file is not complete');
      return openAsBlob(entry.target);
    },
    saveFile(record) {
      const saving = saveRecord(record);
      pendingSaves.add(saving);
      void saving.catch(() => undefined).then(() => pendingSaves.delete(saving));
      return saving;
    },
    // A finished file in the output folder is the person's own: only unfinished downloads (.part) are deleted.
    async forgetFile(fileId) {
      for (const f of state.files) if (f.fileId === fileId) removed.push({ swarmId: f.swarmId, fileId });
      await forget([fileId], (f) => f.fileId === fileId);
    },
    listRemoved: async () => [...removed],
    async leaveSwarm(swarmId) {
      state.swarms = state.swarms.filter((s) => s !== swarmId);
      removed.splice(0, removed.length, ...removed.filter((r) => r.swarmId !== swarmId));
      const listed = new Set(state.files.filter((f) => f.swarmId !== swarmId).map((f) => f.fileId));
      await forget([...entries.keys()].filter((id) => !listed.has(id)), (f) => f.swarmId === swarmId);
    },
    async clear() {
      state.swarms = [];
      removed.length = 0;
      await forget([...entries.keys()], () => true);
    },
    async usage() {
      const bytes = new Map<FileId, number>();
      for (const [fileId, e] of entries) {
        let n = 0;
        for (const i of e.had) n += pieceSize(e.record.manifest, i);
        if (n > 0) bytes.set(fileId, n);
      }
      return bytes;
    },
    async saveSwarm(swarmId: SwarmId) {
      if (state.swarms.includes(swarmId)) return;
      state.swarms.push(swarmId);
      await persist();
    },
    listSwarms: async () => [...state.swarms],
    listFiles: async () => [...entries.values()].map((e) => e.record),
    targetOf: (fileId) => entries.get(fileId)?.target ?? null,
    async settled() {
      await Promise.allSettled([writes, ...pendingSaves]);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const e of entries.values()) void e.handle?.then((h) => h.close()).catch(() => undefined);
    },
  };
}
