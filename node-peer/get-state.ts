import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { FILE_ID_BYTES, isHexId, isSwarmId, type FileId, type SwarmId } from '../shared/ids.ts';
import { checkManifest, computeFileId, type Manifest } from '../shared/manifest.ts';
import { STORE_PREFIX } from './get-rules.ts';
import { checkedSegments, foldName } from './output-paths.ts';

// What `get` keeps in the output folder (.tabswarm-get.json, 0600: it holds swarm ids, the keys to the rooms) to
// resume after Ctrl-C: the swarms it joined and, per file, its manifest and the path it chose. The file is data
// from disk, not trusted: a path it names is used only if it is a safe path the file's own name could have been
// given, and a file found there counts as ours only if every byte of it verifies (get-store.ts).

export const GET_STATE_FILE = `${STORE_PREFIX}.json`;
const GET_STATE_TEMP = `${STORE_PREFIX}.json.tmp`;

export interface GetState {
  swarms: SwarmId[];
  files: Array<{ swarmId: SwarmId; fileId: FileId; manifest: Manifest; target: string }>;
}

const StateSchema = v.object({
  swarms: v.array(v.string()),
  files: v.array(v.object({ swarmId: v.string(), fileId: v.string(), manifest: v.unknown(), target: v.string() })),
});

/** Whether `target` is a path get-store could have chosen for a file named `name` (folders and name suffixed
 * or not), so a crafted record cannot point at `.git/config`. */
export function isTargetFor(target: string, name: string, fileId: FileId): boolean {
  const safe = checkedSegments(target);
  const own = checkedSegments(name);
  if (!safe.ok || !own.ok || safe.value.join('/') !== target || safe.value.length !== own.value.length) return false;
  if (foldName(safe.value[0]!).startsWith(STORE_PREFIX)) return false;
  const folder = (s: string) => new RegExp(`^${escape(s)}(-folder(-\\d+)?)?$`);
  const file = (s: string) => {
    const dot = s.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [s.slice(0, dot), s.slice(dot)] : [s, ''];
    return new RegExp(`^${escape(stem)}(-${fileId.slice(0, 8)}(-\\d+)?)?${escape(ext)}$`);
  };
  return safe.value.every((s, i) => (i === safe.value.length - 1 ? file(own.value[i]!) : folder(own.value[i]!)).test(s));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The saved state; entries that fail their checks (edited by hand, or naming a path not theirs) are dropped. */
export async function loadGetState(root: string): Promise<GetState> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(root, GET_STATE_FILE), 'utf8'));
  } catch {
    return { swarms: [], files: [] };
  }
  const parsed = v.safeParse(StateSchema, raw);
  if (!parsed.success) return { swarms: [], files: [] };
  const files: GetState['files'] = [];
  for (const f of parsed.output.files) {
    const manifest = checkManifest(f.manifest);
    if (!isSwarmId(f.swarmId) || !isHexId(f.fileId, FILE_ID_BYTES) || !manifest.ok || (await computeFileId(manifest.value)) !== f.fileId) continue;
    if (!isTargetFor(f.target, manifest.value.name, f.fileId)) continue;
    files.push({ swarmId: f.swarmId, fileId: f.fileId, manifest: manifest.value, target: f.target });
  }
  return { swarms: parsed.output.swarms.filter(isSwarmId), files };
}

/** Writes the state atomically and privately: a new 0600 temporary file renamed over it. */
export async function saveGetState(root: string, state: GetState): Promise<void> {
  const temp = path.join(root, GET_STATE_TEMP);
  await rm(temp, { force: true }); // a leftover of a crash: exclusive create below must make a new file
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state));
  } finally {
    await handle.close();
  }
  await rename(temp, path.join(root, GET_STATE_FILE));
}
