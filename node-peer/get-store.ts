import { openAsBlob } from 'node:fs';
import { lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FileId, SwarmId } from '../shared/ids.ts';
import { SIZES } from '../shared/limits.ts';
import { pieceSize } from '../shared/manifest.ts';
import { StorageFailure, type FileRecord, type ProfileStore } from '../peer/contracts.ts';
import type { Route } from '../shared/wire-messages.ts';
import { freeBytes, isExactly, writeFailure } from './get-disk.ts';
import { createPlacement, type Entry } from './get-placement.ts';
import { DEFAULT_RULES, nameRules, type GetRules, type Refusal } from './get-rules.ts';
import { loadGetState, saveGetState, type GetState } from './get-state.ts';
import { outputPathFor } from './output-paths.ts';
import { formatBytes } from './terminal.ts';
import { createTargetBook } from './target-book.ts';
import { createVerifiedPieces } from './verified-pieces.ts';

// The downloader's store. A file is admitted (get-rules.ts: name, ceiling, free space) and given its own path
// at once (target-book.ts), written piece by piece into its part and moved into place once every piece is in,
// never over anything (get-placement.ts). A finished file is the person's: if it no longer verifies on a later
// run, it is left as it is and the swarm's version goes beside it. Pieces are served
// only as read back and verified. After a restart every piece on disk is hashed again and kept only if it matches.

/** Verified pieces read back from disk, kept for the next requests (as the sharer's, share-store.ts). */
const SERVED_CACHE_BYTES = 16 * SIZES.MiB;

export interface SkippedFile extends Refusal {
  fileId: FileId;
  name: string;
}

export interface GetStore extends ProfileStore {
  admit(record: FileRecord): Promise<boolean>;
  /** Where a file ends up once complete (null: not taken by this store). */
  targetOf(fileId: FileId): string | null;
  /** Files announced and not taken, with the reason. */
  skipped(): SkippedFile[];
  /** Resolves once every record and file this store was asked to write is on disk. */
  settled(): Promise<void>;
}

export interface GetStoreOptions {
  rules?: Partial<GetRules>;
  /** Told of what the person should know: a file of theirs kept, a finished file that stopped being served. */
  onNotice?: (line: string) => void;
  /** Told when an announced file is left out (the engine does not report files it never took). */
  onSkipped?: (file: SkippedFile) => void;
}

export async function openGetStore(outDir: string, opts: GetStoreOptions = {}): Promise<GetStore> {
  const root = path.resolve(outDir);
  await mkdir(root, { recursive: true });
  const rules = { ...DEFAULT_RULES, ...opts.rules };
  const names = nameRules(rules);
  const notice = opts.onNotice ?? (() => {});
  const state: GetState = await loadGetState(root);
  const recorded = new Map(state.files.map((f) => [f.fileId, f]));
  const book = createTargetBook(root);
  const entries = new Map<FileId, Entry>();
  const skipped = new Map<FileId, SkippedFile>();
  const served = createVerifiedPieces({
    cacheBytes: SERVED_CACHE_BYTES, since: 'downloaded', noFollow: true,
    onBroken: (fileId, reason) => {
      const entry = entries.get(fileId);
      if (entry?.complete) notice(`stopped serving ${entry.target}: ${reason}. It is yours; the others are still served.`);
    },
  });
  let closed = false;
  const removed: Route[] = []; // routes removed in this run (a downloader is started for one swarm and its files)
  const pendingSaves = new Set<Promise<unknown>>(); // records (and empty files) being written
  let writes: Promise<void> = Promise.resolve(); // state writes, one after another
  const persist = (): Promise<void> => (writes = writes.catch(() => undefined).then(() => saveGetState(root, state)));
  const { partPath, partOf, fullPath, check, finish, handleFor } = createPlacement({
    root, book, state, persist, notice, onPlaced: (fileId) => served.forget(fileId),
  });

  function skip(record: FileRecord, refusal: Refusal): false {
    const file = { fileId: record.fileId, name: record.manifest.name, ...refusal };
    skipped.set(record.fileId, file);
    opts.onSkipped?.(file);
    if (recorded.delete(record.fileId)) { // taken by an earlier run, left out by this one's rules
      state.files = state.files.filter((f) => f.fileId !== record.fileId);
      track(persist().then(() => rm(partPath(record.fileId), { force: true })));
    }
    return false;
  }

  /** Bytes already on disk for a file an earlier run took: its part, or the finished file. */
  async function alreadyOnDisk(record: FileRecord): Promise<number> {
    const was = recorded.get(record.fileId);
    if (was === undefined) return 0;
    const part = await lstat(partPath(record.fileId)).catch(() => null);
    if (part !== null) return Math.min(record.manifest.size, part.blocks * 512);
    const done = await lstat(outputPathFor(root, was.target.split('/'))).catch(() => null);
    return done?.size === record.manifest.size ? done.size : 0;
  }

  /** Bytes the admitted files still need on disk. */
  const stillNeeded = (): number =>
    [...entries.values()].reduce((n, e) => n + (e.complete ? 0 : Math.max(0, e.record.manifest.size - e.onDisk)), 0);

  /** Admissions are decided one at a time in the order asked (the announcement order): the first announced of two
   * files with one name gets the name, whichever disk check finishes first. */
  let decisions: Promise<unknown> = Promise.resolve();

  function admit(record: FileRecord): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    if (entries.has(record.fileId)) return Promise.resolve(true);
    if (skipped.has(record.fileId)) return Promise.resolve(false);
    const judged = names.check(record.manifest.name);
    if (!judged.ok) return Promise.resolve(skip(record, judged.error));
    const segments = judged.value.segments;
    const looked = Promise.all([ // the disk is asked at once, for every file in parallel
      freeBytes(root), alreadyOnDisk(record), isExactly(outputPathFor(root, segments), record.manifest),
    ]);
    const decided = decisions.then(async () => decide(record, segments, ...(await looked)));
    decisions = decided.catch(() => undefined);
    return decided;
  }

  function decide(record: FileRecord, segments: string[], free: number, onDisk: number, sameThere: boolean): boolean {
    if (closed) return false;
    if (entries.has(record.fileId) || skipped.has(record.fileId)) return entries.has(record.fileId);
    const plain = segments.join('/');
    // Nothing is awaited here: the ceiling and the path are decided for one file at a time.
    const size = record.manifest.size;
    const total = [...entries.values()].reduce((n, e) => n + e.record.manifest.size, 0);
    if (total + size > rules.maxBytes) return skip(record, { reason: `over the ${formatBytes(rules.maxBytes)} ceiling: --max-size raises it`, failed: true });
    if (entries.size + 1 > rules.maxFiles) return skip(record, { reason: `more than ${rules.maxFiles} files: --max-files raises the ceiling`, failed: true });
    if (stillNeeded() + size - onDisk > free) {
      return skip(record, { reason: `not enough free space: ${formatBytes(size - onDisk)} more needed, ${formatBytes(free)} free in ${root}`, failed: true });
    }
    const was = recorded.get(record.fileId);
    // A file already there that is exactly the swarm's (its record lost) is taken as done: nothing is written to it.
    const target = was !== undefined && book.hold(record.fileId, was.target) ? was.target
      : sameThere && book.hold(record.fileId, plain) ? plain : book.reserve(record.fileId, segments);
    entries.set(record.fileId, { record, segments, target, had: new Set(), checked: null, handle: null,
      onDisk: target === plain && sameThere ? size : onDisk, finishing: null, complete: false,
    });
    state.files = state.files.filter((f) => f.fileId !== record.fileId);
    state.files.push({ swarmId: record.swarmId, fileId: record.fileId, manifest: record.manifest, target });
    track(persist());
    return true;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    pendingSaves.add(p);
    void p.catch(() => undefined).then(() => pendingSaves.delete(p));
    return p;
  }

  /** Drops records matching `drop` and the entries of `fileIds`, deleting their unfinished downloads. */
  async function forget(fileIds: FileId[], drop: (f: GetState['files'][number]) => boolean): Promise<void> {
    state.files = state.files.filter((f) => !drop(f));
    await persist();
    for (const fileId of fileIds) {
      const entry = entries.get(fileId);
      entries.delete(fileId);
      book.release(fileId);
      served.forget(fileId);
      if (entry === undefined || entry.complete) continue;
      await entry.handle?.then((h) => h.close()).catch(() => undefined);
      await rm(partOf(entry), { force: true });
    }
  }

  return {
    admit,
    async storedPieces(fileId) {
      const entry = entries.get(fileId);
      if (entry === undefined) return [];
      entry.checked ??= track(check(entry));
      await entry.checked;
      return [...entry.had];
    },
    async putPiece(fileId, index, bytes) {
      const entry = entries.get(fileId);
      if (closed || entry === undefined) throw new StorageFailure('ERR_STORAGE_WRITE', 'the download store is closed');
      if (entry.complete) return;
      try {
        if (!entry.had.has(index)) {
          const handle = await handleFor(entry);
          await handle.write(bytes, 0, bytes.byteLength, index * entry.record.manifest.pieceLength);
          entry.had.add(index);
          entry.onDisk += bytes.byteLength;
        }
        if (entry.had.size === entry.record.manifest.pieceHashes.length) await finish(entry);
      } catch (e) {
        throw writeFailure(e, entry.target, root);
      }
    },
    async readBlock(fileId, index, offset, length) {
      const entry = entries.get(fileId);
      if (closed || entry === undefined || !entry.had.has(index)) return null;
      const piece = await served.piece({ fileId, manifest: entry.record.manifest, path: entry.complete ? fullPath(entry) : partOf(entry) }, index);
      if (piece === null || offset < 0 || length < 0 || offset + length > piece.byteLength) return null;
      return piece.subarray(offset, offset + length);
    },
    async fileBlob(fileId) {
      const entry = entries.get(fileId);
      if (entry === undefined || !entry.complete) throw new StorageFailure('ERR_STORAGE_WRITE', 'file is not complete');
      return openAsBlob(fullPath(entry));
    },
    async saveFile(record) {
      if (!(await admit(record))) return;
      const entry = entries.get(record.fileId)!;
      if (record.manifest.pieceHashes.length > 0) return;
      entry.checked ??= Promise.resolve();
      await track(finish(entry)).catch((e: unknown) => {
        throw writeFailure(e, entry.target, root);
      });
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
    listFiles: async () => state.files.map((f) => ({ swarmId: f.swarmId, fileId: f.fileId, manifest: f.manifest, origin: 'downloaded' })),
    targetOf: (fileId) => {
      const entry = entries.get(fileId);
      return entry === undefined ? null : fullPath(entry);
    },
    skipped: () => [...skipped.values()],
    async settled() {
      await Promise.allSettled([writes, ...pendingSaves]);
    },
    close() {
      if (closed) return;
      closed = true;
      served.close();
      for (const e of entries.values()) void e.handle?.then((h) => h.close()).catch(() => undefined);
    },
  };
}
