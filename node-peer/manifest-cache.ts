import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { newSwarmId, type SwarmId } from '../shared/ids.ts';
import { checkManifest, computeFileId, pieceLengthFor } from '../shared/manifest.ts';
import type { HashedFile } from './hash-file.ts';

// Hashing a multi-GB folder takes a while: its manifests are kept by absolute path, size and mtime, so a
// restart announces at once. The swarm id of a set of shared paths is kept too, so the join link survives.

const CACHE_VERSION = 1;

const CacheSchema = v.object({
  version: v.literal(CACHE_VERSION),
  files: v.record(v.string(), v.object({ size: v.number(), mtimeMs: v.number(), fileId: v.string(), manifest: v.unknown() })),
  swarms: v.record(v.string(), v.string()),
});
type CacheData = v.InferOutput<typeof CacheSchema>;

export interface FileStamp {
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

export interface ManifestCache {
  /** The cached manifest, only if path, size, mtime and name still match and it still hashes to its fileId. */
  lookup(stamp: FileStamp, name: string): Promise<HashedFile | null>;
  remember(stamp: FileStamp, file: HashedFile): void;
  /** The swarm these paths were shared in last time, or a new one (remembered). */
  swarmFor(absolutePaths: string[]): SwarmId;
  /** Writes the cache (atomically: a temporary file renamed over it; 0600). */
  save(): Promise<void>;
}

/** $TABSWARM_CACHE_DIR, else $XDG_CACHE_HOME/tabswarm, else ~/.cache/tabswarm. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['TABSWARM_CACHE_DIR'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(homedir(), '.cache'), 'tabswarm');
}

async function readCache(file: string): Promise<CacheData> {
  const empty: CacheData = { version: CACHE_VERSION, files: {}, swarms: {} };
  try {
    const parsed = v.safeParse(CacheSchema, JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.output : empty;
  } catch {
    return empty; // missing or unreadable: hash again
  }
}

export async function openManifestCache(dir = defaultCacheDir()): Promise<ManifestCache> {
  const file = path.join(dir, 'manifests.json');
  const data = await readCache(file);
  return {
    async lookup(stamp, name) {
      const hit = data.files[stamp.absolutePath];
      if (hit === undefined || hit.size !== stamp.size || hit.mtimeMs !== stamp.mtimeMs) return null;
      const checked = checkManifest(hit.manifest);
      if (!checked.ok || checked.value.name !== name || checked.value.pieceLength !== pieceLengthFor(stamp.size)) return null;
      if ((await computeFileId(checked.value)) !== hit.fileId) return null;
      return { fileId: hit.fileId, manifest: checked.value };
    },
    remember(stamp, hashed) {
      data.files[stamp.absolutePath] = { size: stamp.size, mtimeMs: stamp.mtimeMs, fileId: hashed.fileId, manifest: hashed.manifest };
    },
    swarmFor(absolutePaths) {
      const key = [...absolutePaths].sort().join('\n');
      const known = data.swarms[key];
      if (known !== undefined && /^[0-9a-f]{32}$/.test(known)) return known as SwarmId;
      const swarmId = newSwarmId();
      data.swarms[key] = swarmId;
      return swarmId;
    },
    async save() {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      await rm(tmp, { force: true }); // a leftover of a crashed run with this pid: the create below makes a new file
      await writeFile(tmp, JSON.stringify(data), { flag: 'wx', mode: 0o600 }); // it holds swarm ids: the keys to rooms
      await rename(tmp, file);
    },
  };
}
