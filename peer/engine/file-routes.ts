import { isComplete } from '../../shared/bitfield.ts';
import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import { verifyManifest, type Manifest } from '../../shared/manifest.ts';
import { setPreferredSource } from '../../shared/piece-picker.ts';
import { addAnnouncement, type FileEntry } from '../../shared/routing-table.ts';
import { adoptStoredFile, fillAll } from './download-side.ts';
import type { EngineContext } from './engine-context.ts';
import { isRemoved, type FileInfo, type RouteEntry } from './engine-state.ts';
import { sendBitfields } from './peer-session.ts';
import { milestone } from '../milestones.ts';
import { createRateMeter } from './rates.ts';

// Routes enter the table from three places: our own seeding, announcements (from the server's replay
// or broadcast), and the profile's records on reload. Each starts from the pieces already stored.

export interface RouteSource {
  swarmId: SwarmId;
  fileId: FileId;
  manifest: Manifest;
  seeded: boolean;
}

type Ctx = Pick<EngineContext, 'state' | 'store' | 'now' | 'send' | 'changed' | 'uploads' | 'sha256'>;

/**
 * Routes for announcements from outside, each accepted only if its manifest hashes to its fileId. Manifests are
 * hashed in parallel but routes are added in the order heard, so a store that gives a name to the first of two
 * files announced under it (the terminal peer's) sees the swarm's announcement order, not the hashing order.
 * The announcer (`from`, stamped by the server) is the file's origin: its picker asks it first (preferOrigin).
 */
export function createAnnouncedRoutes(ctx: Ctx): (swarmId: SwarmId, fileId: FileId, manifest: unknown, from: PeerId) => void {
  let previous: Promise<unknown> = Promise.resolve();
  return (swarmId, fileId, manifest, from) => {
    const known = ctx.state.table.swarms.get(swarmId)?.get(fileId);
    if (known) return preferOrigin(ctx, known, from);
    const verified = verifyManifest(fileId, manifest);
    const turn = previous.then(() => verified).catch(() => null); // one failure never stalls the ones after it
    previous = turn;
    void turn.then(async (v) => {
      if (v === null || !v.ok) return void ctx.state.counters.badMessages++;
      const entry = await addRoute(ctx, { swarmId, fileId, manifest: v.value, seeded: false });
      if (entry) preferOrigin(ctx, entry, from);
    });
  };
}

/**
 * The first announcer of a file we download is asked first, others for what it refuses (setPreferredSource): on a
 * classroom's Wi-Fi the teacher's wired laptop sends a byte with half the airtime a student's does.
 */
function preferOrigin(ctx: Ctx, entry: FileEntry, from: PeerId): void {
  if (entry.picker.preferred === null && from !== ctx.state.selfId && !isComplete(entry.picker.had)) setPreferredSource(entry.picker, from);
}

/** Adds a route (idempotent), marks the stored pieces as had, tells the peers on it, starts fetching. */
export async function addRoute(ctx: Ctx, src: RouteSource): Promise<RouteEntry | null> {
  if (!ctx.state.table.swarms.has(src.swarmId)) return null; // left the swarm meanwhile
  // A removed file stays removed, whoever announces it; sharing it again from this tab brings it back.
  if (src.seeded) ctx.state.removed.get(src.swarmId)?.delete(src.fileId);
  else if (isRemoved(ctx.state, src.swarmId, src.fileId)) return null;
  const record = { swarmId: src.swarmId, fileId: src.fileId, manifest: src.manifest, origin: 'downloaded' } as const;
  if (!src.seeded && ctx.store.admit !== undefined && !(await ctx.store.admit(record))) return null;
  const stored = src.seeded ? 'all' : await ctx.store.storedPieces(src.fileId);
  if (!ctx.state.table.swarms.has(src.swarmId) || (!src.seeded && isRemoved(ctx.state, src.swarmId, src.fileId))) return null;
  const known = ctx.state.table.swarms.get(src.swarmId)?.get(src.fileId);
  const downloading = ctx.state.files.get(src.fileId);
  const adopt = src.seeded && downloading !== undefined && !downloading.seeded; // seeds the bytes it was fetching
  if (known) {
    if (adopt) adoptStoredFile(ctx, downloading);
    return known;
  }
  const entry = addAnnouncement(ctx.state.table, src, stored);
  milestone('route');
  const file = fileInfoFor(ctx, src, stored === 'all' ? 0 : stored.length);
  if (adopt) adoptStoredFile(ctx, file);
  if (isComplete(entry.picker.had) && file.state !== 'error') file.state = 'complete';
  await ctx.store.saveFile({ swarmId: src.swarmId, fileId: src.fileId, manifest: src.manifest, origin: file.seeded ? 'seeded' : 'downloaded' })
    .catch(() => undefined); // resume records are best effort: the pieces themselves are what counts
  for (const peer of ctx.state.peers.values()) sendBitfields(ctx, peer);
  fillAll(ctx);
  ctx.changed();
  return entry;
}

function fileInfoFor(ctx: Pick<EngineContext, 'state' | 'now'>, src: RouteSource, resumed: number): FileInfo {
  const existing = ctx.state.files.get(src.fileId);
  if (existing) {
    existing.seeded ||= src.seeded;
    return existing;
  }
  ctx.state.counters.piecesResumed += resumed;
  const file: FileInfo = {
    fileId: src.fileId, manifest: src.manifest, buffers: new Map(), state: 'announced', seeded: src.seeded,
    verifying: new Set(), resumed, fetched: 0, meter: createRateMeter(ctx.now), sources: new Map(), servedTo: new Map(),
  };
  ctx.state.files.set(src.fileId, file);
  return file;
}
