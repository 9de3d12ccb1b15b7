import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { FILE_ID_BYTES, isHexId, isSwarmId, type FileId, type SwarmId } from '../shared/ids.ts';
import { checkManifest, computeFileId, type Manifest } from '../shared/manifest.ts';
import { outputPathFor } from './output-paths.ts';

// What `get` keeps in the output folder (.tabswarm-get.json) to resume after Ctrl-C: the swarms it joined and,
// per file, its manifest and where it is written. The pieces themselves are re-checked against the manifest.

export const GET_STATE_FILE = '.tabswarm-get.json';

export interface GetState {
  swarms: SwarmId[];
  files: Array<{ swarmId: SwarmId; fileId: FileId; manifest: Manifest; target: string }>;
}

const StateSchema = v.object({
  swarms: v.array(v.string()),
  files: v.array(v.object({ swarmId: v.string(), fileId: v.string(), manifest: v.unknown(), target: v.string() })),
});

/** The saved state; entries that fail their checks (edited by hand, or pointing outside the folder) are dropped. */
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
    const inside = path.resolve(root, f.target);
    if (!isSwarmId(f.swarmId) || !isHexId(f.fileId, FILE_ID_BYTES) || !manifest.ok || (await computeFileId(manifest.value)) !== f.fileId) continue;
    if (!inside.startsWith(root + path.sep) || inside !== outputPathFor(root, path.relative(root, inside).split(path.sep).join('/'))) continue;
    files.push({ swarmId: f.swarmId, fileId: f.fileId, manifest: manifest.value, target: f.target });
  }
  return { swarms: parsed.output.swarms.filter(isSwarmId), files };
}

/** Writes the state atomically: a temporary file renamed over it. */
export async function saveGetState(root: string, state: GetState): Promise<void> {
  const file = path.join(root, GET_STATE_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
}
