import type { FileId, SwarmId } from '../shared/ids.ts';
import { safeSegments } from '../shared/file-paths.ts';
import { createStreamingSha256 } from '../shared/sha256.ts';
import type { SwarmEngine } from '../peer/engine/swarm-engine.ts';
import { parseJoinTarget, swarmInFragment, swarmLink } from '../peer/signaling/join-target.ts';
import type { SignalingClient } from '../peer/signaling/client.ts';
import type { TabswarmSnapshot } from '../peer/snapshot-types.ts';
import type { StorageUsage } from '../peer/engine/storage-use.ts';
import type { OrphanProfile, ProfileKeeper } from './storage/profile.ts';
import { saveBlob, saveToFolder, saveZip, type SaveOptions, type SavedFiles } from './save/save-files.ts';

// window.tabswarm: the automation API for students (DevTools) and tests. Documented in docs/api.md.

export interface TabswarmApi {
  createSwarm(): Promise<{ swarmId: SwarmId; link: string }>;
  /** A join link (…#swarm=<id>), a bare swarm id, or a 6-letter share code. */
  joinSwarm(linkOrId: string): Promise<SwarmId>;
  seed(swarmId: SwarmId, files: Blob[]): Promise<FileId[]>;
  snapshot(): TabswarmSnapshot;
  /** SHA-256 (hex) of the stored bytes of a complete file, streamed piece by piece. */
  sha256(fileId: FileId): Promise<string>;
  /** Downloads the complete file through the browser (a Blob of stored piece Blobs), under its base name. */
  save(fileId: FileId): Promise<void>;
  /** Downloads the swarm's complete files (or those under `opts.folder`) as one store-only zip keeping their paths. */
  saveZip(swarmId: SwarmId, opts?: SaveOptions): Promise<SavedFiles>;
  /** File System Access only (secure contexts), from a click: writes the files into a folder the user picks. */
  saveToFolder(swarmId: SwarmId, opts?: SaveOptions): Promise<SavedFiles>;
  setNickname(name: string): void;
  onChange(cb: (snapshot: TabswarmSnapshot) => void): () => void;
  /** Stops sharing or downloading the file, deletes its pieces, tells its peers. Resolves with the bytes freed. */
  remove(fileId: FileId): Promise<number>;
  /** Leaves the swarm; files no other swarm lists are deleted. Resolves with the bytes freed. */
  leave(swarmId: SwarmId): Promise<number>;
  /** Leaves every swarm, empties this tab's profile and deletes what closed tabs left. Resolves with the bytes freed. */
  clearAll(): Promise<number>;
  /** What this browser's tabswarm storage holds: this tab's files, closed tabs' profiles, the browser's figures. */
  storage(): Promise<StorageReport>;
}

export interface StorageReport extends StorageUsage {
  /** Profiles of closed tabs that no tab adopted yet (deleted after their grace period). */
  orphans: OrphanProfile[];
  /** navigator.storage.estimate() for the whole origin; null where it does not exist (e.g. http://<LAN IP>). */
  browser: { usage: number; quota: number } | null;
}

/** The part of the profile keeper (profile.ts) the API uses. */
export type Housekeeping = Pick<ProfileKeeper, 'orphans' | 'prune' | 'setBytes'>;

/** The swarm link of a swarm, on this page's own address. */
export const joinLinkFor = (swarmId: SwarmId, loc: { origin: string; pathname: string } = location): string =>
  swarmLink(loc, swarmId);

async function streamedSha256(blob: Blob): Promise<string> {
  const hasher = await createStreamingSha256();
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return hasher.digestHex();
    hasher.update(value);
  }
}

async function browserEstimate(): Promise<StorageReport['browser']> {
  if (typeof navigator.storage?.estimate !== 'function') return null;
  const { usage, quota } = await navigator.storage.estimate().catch(() => ({ usage: undefined, quota: undefined }));
  return usage === undefined || quota === undefined ? null : { usage, quota };
}

/** A swarm left must not be joined again by a reload of a page whose address still names it. */
function forgetFragment(swarmId: SwarmId): void {
  if (swarmInFragment(location.hash) === swarmId) history.replaceState(null, '', `${location.pathname}${location.search}`);
}

export function createTabswarmApi(
  engine: SwarmEngine, signaling: Pick<SignalingClient, 'resolveCode'>, housekeeping: Housekeeping,
): TabswarmApi {
  const nameOf = (fileId: FileId): string => {
    for (const s of engine.snapshot().swarms) for (const f of s.files) if (f.fileId === fileId) return safeSegments(f.name).at(-1)!;
    return 'download';
  };
  const saveDeps = { snapshot: () => engine.snapshot(), fileBlob: (id: FileId) => engine.fileBlob(id) };
  return {
    async createSwarm() {
      const swarmId = await engine.createSwarm();
      return { swarmId, link: joinLinkFor(swarmId) };
    },
    async joinSwarm(linkOrId) {
      const swarmId = await parseJoinTarget(linkOrId, signaling);
      if (swarmId === null) throw new Error('not a swarm link, swarm id or share code');
      await engine.joinSwarm(swarmId);
      return swarmId;
    },
    seed: (swarmId, files) => engine.seed(swarmId, [...files]),
    snapshot: () => engine.snapshot(),
    sha256: async (fileId) => streamedSha256(await engine.fileBlob(fileId)),
    save: async (fileId) => saveBlob(await engine.fileBlob(fileId), nameOf(fileId)),
    saveZip: (swarmId, opts) => saveZip(saveDeps, swarmId, opts),
    saveToFolder: (swarmId, opts) => saveToFolder(saveDeps, swarmId, opts),
    setNickname: (name) => engine.setNickname(name),
    onChange: (cb) => engine.onChange(() => cb(engine.snapshot())),
    remove: (fileId) => engine.removeFile(fileId),
    async leave(swarmId) {
      forgetFragment(swarmId);
      return engine.leaveSwarm(swarmId);
    },
    async clearAll() {
      const orphanBytes = (await housekeeping.orphans()).reduce((sum, o) => sum + o.bytes, 0);
      for (const s of engine.snapshot().swarms) forgetFragment(s.swarmId);
      const freed = await engine.clear();
      await housekeeping.prune({ all: true });
      housekeeping.setBytes(0);
      return freed + orphanBytes;
    },
    async storage() {
      const [usage, orphans, browser] = await Promise.all([engine.storageUsage(), housekeeping.orphans(), browserEstimate()]);
      housekeeping.setBytes(usage.totalBytes);
      return { ...usage, orphans, browser };
    },
  };
}

declare global {
  interface Window {
    tabswarm?: TabswarmApi;
  }
}
