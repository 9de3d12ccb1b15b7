import type { FileId, SwarmId } from '../../shared/ids.ts';
import { leaveSwarm as leaveTable, removeAnnouncement } from '../../shared/routing-table.ts';
import { fillAll } from './download-side.ts';
import type { EngineContext } from './engine-context.ts';
import { markRemoved, peersOnRoute, routesOf, type FileInfo, type RouteEntry } from './engine-state.ts';
import { sendHello } from './peer-session.ts';
import { entryBytes, storedBytes } from './storage-use.ts';

// Removing what this tab holds: one file (every route of it), one swarm, or everything. The engine's state
// goes first, so nothing more is requested, served or stored, and the peers hear at once: 'drop' for a file
// (they forget us as a source on its routes), our next hello for a swarm (they forget us on all its routes).
// Then the store deletes records and pieces in one transaction: interrupted, nothing is half gone.

/** Pieces being hashed and written when a file is removed land (or fail) within this long. */
const WRITES_SETTLE_MS = 10_000;

/** Takes one route out of the engine: peers on it are told, requests queued on it are forgotten. */
function dropRoute(ctx: EngineContext, entry: RouteEntry): void {
  const { swarmId, fileId } = entry.route;
  for (const peer of peersOnRoute(ctx.state, entry)) ctx.send(peer, { type: 'drop', swarmId, fileId });
  removeAnnouncement(ctx.state.table, swarmId, fileId);
  ctx.uploads.dropRoute(entry);
  for (const peer of ctx.state.peers.values()) {
    for (const routes of [peer.bitfieldsSent, peer.bitfieldsReceived, peer.dropped]) routes.delete(entry);
  }
}

/** Writes of the file's verified pieces that started before it was removed: its deletion comes after them. */
async function writesSettled(file: FileInfo): Promise<void> {
  if (file.verifying.size === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const givenUp = new Promise<void>((resolve) => void (timer = setTimeout(resolve, WRITES_SETTLE_MS)));
  await Promise.race([Promise.allSettled(file.verifying), givenUp]);
  clearTimeout(timer);
}

/** Removes a file from every swarm it is in; resolves with the bytes freed. */
export async function removeFileHere(ctx: EngineContext, fileId: FileId): Promise<number> {
  const file = ctx.state.files.get(fileId);
  if (!file) return 0;
  const freed = storedBytes(ctx.state, file);
  for (const entry of routesOf(ctx.state, fileId)) {
    markRemoved(ctx.state, entry.route.swarmId, fileId);
    dropRoute(ctx, entry);
  }
  ctx.state.files.delete(fileId);
  await writesSettled(file);
  await ctx.store.forgetFile(fileId);
  afterFreeing(ctx);
  return freed;
}

/** Leaves a swarm; the files no other swarm lists are deleted. Resolves with the bytes freed. */
export async function leaveSwarmHere(ctx: EngineContext, swarmId: SwarmId): Promise<number> {
  const { state } = ctx;
  if (!state.table.swarms.has(swarmId)) return 0;
  ctx.leaveOnServer(swarmId);
  state.left.add(swarmId);
  state.members.delete(swarmId);
  for (const peer of state.peers.values()) sendHello(ctx, peer); // declares the swarm no more
  const orphaned: FileInfo[] = [];
  let freed = 0;
  for (const entry of leaveTable(state.table, swarmId)) {
    ctx.uploads.dropRoute(entry);
    const file = state.files.get(entry.route.fileId);
    if (!file || routesOf(state, file.fileId).length > 0) continue;
    freed += entryBytes(entry);
    state.files.delete(file.fileId);
    orphaned.push(file);
  }
  state.removed.delete(swarmId);
  await Promise.all(orphaned.map(writesSettled));
  await ctx.store.leaveSwarm(swarmId);
  afterFreeing(ctx);
  return freed;
}

/** Leaves every swarm and empties the profile. Resolves with the bytes freed. */
export async function clearProfile(ctx: EngineContext): Promise<number> {
  let freed = 0;
  for (const swarmId of [...ctx.state.table.swarms.keys()]) freed += await leaveSwarmHere(ctx, swarmId);
  await ctx.store.clear();
  return freed;
}

/** Downloads stopped by a full storage go on once something was removed. */
function afterFreeing(ctx: EngineContext): void {
  for (const file of ctx.state.files.values()) {
    if (!file.blockedByQuota) continue;
    file.blockedByQuota = false;
    file.state = 'downloading';
    delete file.error;
  }
  fillAll(ctx);
  ctx.changed();
}
