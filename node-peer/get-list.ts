import type { SwarmId } from '../shared/ids.ts';
import { verifyManifest } from '../shared/manifest.ts';
import type { Announcement } from '../shared/signaling.ts';
import { parseJoinTarget } from '../peer/signaling/join-target.ts';
import type { SignalingClient } from '../peer/signaling/client.ts';
import { nameRules, type GetRules } from './get-rules.ts';
import { parseServerUrl, startNodeSignaling } from './node-peer.ts';
import { formatBytes, printable, whenOpen } from './terminal.ts';

// `get --list`: what a swarm holds, as a tree with sizes, and what `get` with the same --include / --exclude
// would leave out and why, before a byte is written. Only the signaling socket is opened: no links, no files.

export interface ListedFile {
  name: string;
  size: number;
  /** Why `get` would not take it; null: it would. */
  skip: string | null;
}

/** A join target that names no swarm (a mistyped or expired code). */
export class JoinTargetError extends Error {
  override readonly name = 'JoinTargetError';
}

/** The swarm a link, id or code names; throws JoinTargetError when it names none. */
export async function swarmOf(target: string, signaling: SignalingClient): Promise<SwarmId> {
  const swarmId = await parseJoinTarget(target, signaling);
  if (swarmId === null) throw new JoinTargetError(`${target} is not a join link, swarm id or current share code`);
  return swarmId;
}

/** The announcements the server lists for the swarm when we join it (subscribe before joining). */
export function announcedOnJoin(signaling: SignalingClient, swarmId: SwarmId): Promise<Announcement[]> {
  return new Promise((resolve) => {
    const unsubscribe = signaling.subscribe({
      onJoined: (joined, _members, announcements) => {
        if (joined !== swarmId) return;
        unsubscribe();
        resolve(announcements);
      },
    });
  });
}

export async function listSwarm(opts: { target: string; server: string; rules: Pick<GetRules, 'include' | 'exclude'> }): Promise<ListedFile[]> {
  const signaling = startNodeSignaling(parseServerUrl(opts.server));
  try {
    await whenOpen(signaling);
    const swarmId = await swarmOf(opts.target, signaling);
    const announced = announcedOnJoin(signaling, swarmId);
    signaling.join(swarmId);
    const rules = nameRules(opts.rules);
    const files: ListedFile[] = [];
    for (const a of await announced) {
      const manifest = await verifyManifest(a.fileId, a.manifest);
      if (!manifest.ok) continue; // the engine would drop it too
      const checked = rules.check(manifest.value.name);
      files.push({ name: manifest.value.name, size: manifest.value.size, skip: checked.ok ? null : checked.error.reason });
    }
    return files.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  } finally {
    signaling.close();
  }
}

/** The files as an indented tree, folders first-seen order, each file with its size and, if so, why it is skipped. */
export function formatTree(files: ListedFile[]): string[] {
  const lines: string[] = [];
  let open: string[] = [];
  for (const f of files) {
    const segments = f.name.split('/');
    const folders = segments.slice(0, -1);
    let same = 0;
    while (same < open.length && same < folders.length && open[same] === folders[same]) same++;
    for (let i = same; i < folders.length; i++) lines.push(`${'  '.repeat(i)}${printable(folders[i]!)}/`);
    open = folders;
    const label = `${'  '.repeat(folders.length)}${printable(segments.at(-1)!)}`;
    lines.push(`${label.padEnd(40)} ${formatBytes(f.size).padStart(9)}${f.skip === null ? '' : `   skipped: ${printable(f.skip)}`}`);
  }
  const taken = files.filter((f) => f.skip === null);
  lines.push(`${taken.length} of ${files.length} file(s) would be fetched, ${formatBytes(taken.reduce((n, f) => n + f.size, 0))}`);
  return lines;
}
