import type { FileId, PeerId, SwarmId } from './ids.ts';
import type { Manifest } from './manifest.ts';
import { createPiecePicker, layoutOf, markHadLocally, onPeerGone, type PickerOptions, type PiecePicker } from './piece-picker.ts';
import { err, ok, type Result } from './result.ts';
import type { Route } from './wire-messages.ts';

// Routing: every piece-related message names its swarm and file; the table maps that route to the file's
// state, so pieces arriving from many peers over one connection each reach the file they belong to.
// swarm → files → {manifest, picker (missing/requested/had, peers' availability)};
// plus which swarms each connected peer shares with us. Unknown routes are returned and counted, never thrown.
//
// Usage (the engine):
//   const table = createRoutingTable({ rng: Math.random });
//   joinSwarm(table, swarmId);
//   const entry = addAnnouncement(table, { swarmId, fileId, manifest }, storedPieceIndices); // manifest verified
//   setPeerSwarms(table, peerId, hello.swarms);                // who shares what with whom
//   for (const f of filesSharedWith(table, peerId)) send(peerId, bitfieldMsg(f));
//   const r = route(table, msg.swarmId, msg.fileId, peerId);   // on every have/bitfield/block/request
//   if (!r.ok) return log(r.error.reason);                     // counted in table.unknownRoutes
//   onBlock(r.value.picker, peerId, span);                     // piece-picker.ts does the rest
//   forgetPeer(table, peerId);                                  // its link closed

/** The state of one route: one file in one swarm. */
export interface FileEntry {
  readonly route: Route;
  readonly manifest: Manifest;
  /** Download side: which pieces are missing, requested (from whom, since when), had (from whom). */
  readonly picker: PiecePicker;
}

export type UnknownRouteReason =
  | 'unknown-swarm' // we have not joined that swarm
  | 'unknown-file' // no announcement for that file in that swarm
  | 'not-shared'; // the peer did not declare that swarm in its hello

export interface UnknownRoute {
  reason: UnknownRouteReason;
  swarmId: SwarmId;
  fileId: FileId;
}

export interface Announcement {
  swarmId: SwarmId;
  fileId: FileId;
  /** Already checked with verifyManifest(fileId, manifest). */
  manifest: Manifest;
}

export type PickerDefaults = Partial<PickerOptions> & Pick<PickerOptions, 'rng'>;

export interface RoutingTable {
  /** Swarms we joined, each with its announced files. */
  readonly swarms: Map<SwarmId, Map<FileId, FileEntry>>;
  /** Swarms each connected peer declared in its hello (only those we joined count as shared). */
  readonly peerSwarms: Map<PeerId, Set<SwarmId>>;
  /** Messages whose route did not resolve, per reason. */
  readonly unknownRoutes: Record<UnknownRouteReason, number>;
  /** Options of every file's picker. */
  readonly pickerOptions: PickerDefaults;
}

export function createRoutingTable(pickerOptions: PickerDefaults): RoutingTable {
  return {
    swarms: new Map(),
    peerSwarms: new Map(),
    unknownRoutes: { 'unknown-swarm': 0, 'unknown-file': 0, 'not-shared': 0 },
    pickerOptions,
  };
}

export function joinSwarm(table: RoutingTable, swarmId: SwarmId): void {
  if (!table.swarms.has(swarmId)) table.swarms.set(swarmId, new Map());
}

/** Forgets a swarm and its files; returns the entries removed (their pickers are discarded). */
export function leaveSwarm(table: RoutingTable, swarmId: SwarmId): FileEntry[] {
  const files = table.swarms.get(swarmId);
  table.swarms.delete(swarmId);
  return files ? [...files.values()] : [];
}

/**
 * Adds a file announced in a swarm (joining the swarm if needed). Idempotent: a known route returns its
 * entry. `had`: pieces already stored locally ('all' when seeding our own file).
 */
export function addAnnouncement(table: RoutingTable, a: Announcement, had: Iterable<number> | 'all' = []): FileEntry {
  joinSwarm(table, a.swarmId);
  const files = table.swarms.get(a.swarmId)!;
  const known = files.get(a.fileId);
  if (known) return known;
  const picker = createPiecePicker(layoutOf(a.manifest), table.pickerOptions);
  const indices = had === 'all' ? a.manifest.pieceHashes.keys() : had;
  for (const piece of indices) markHadLocally(picker, piece);
  const entry: FileEntry = { route: { swarmId: a.swarmId, fileId: a.fileId }, manifest: a.manifest, picker };
  files.set(a.fileId, entry);
  return entry;
}

/** Forgets one route (the file was removed here); returns its entry, or null when it was not known. */
export function removeAnnouncement(table: RoutingTable, swarmId: SwarmId, fileId: FileId): FileEntry | null {
  const files = table.swarms.get(swarmId);
  const entry = files?.get(fileId);
  if (!files || !entry) return null;
  files.delete(fileId);
  return entry;
}

/**
 * The file a message belongs to. With `fromPeer`, the peer must also share the swarm with us: a peer never
 * reaches a route of a swarm it did not declare. Failures are counted in `table.unknownRoutes`.
 */
export function route(table: RoutingTable, swarmId: SwarmId, fileId: FileId, fromPeer?: PeerId): Result<FileEntry, UnknownRoute> {
  const entry = table.swarms.get(swarmId)?.get(fileId);
  if (entry && (fromPeer === undefined || sharesSwarm(table, fromPeer, swarmId))) return ok(entry);
  const reason: UnknownRouteReason = !table.swarms.has(swarmId) ? 'unknown-swarm' : !entry ? 'unknown-file' : 'not-shared';
  table.unknownRoutes[reason]++;
  return err({ reason, swarmId, fileId });
}

/**
 * Records the swarms a peer declared (its hello). Routes of swarms it no longer declares forget it,
 * so their pickers stop asking it for pieces.
 */
export function setPeerSwarms(table: RoutingTable, peerId: PeerId, swarms: readonly SwarmId[]): void {
  const before = table.peerSwarms.get(peerId);
  const after = new Set(swarms);
  for (const swarmId of before ?? []) {
    if (after.has(swarmId)) continue;
    for (const entry of table.swarms.get(swarmId)?.values() ?? []) onPeerGone(entry.picker, peerId);
  }
  table.peerSwarms.set(peerId, after);
}

export const sharesSwarm = (table: RoutingTable, peerId: PeerId, swarmId: SwarmId): boolean =>
  table.swarms.has(swarmId) && (table.peerSwarms.get(peerId)?.has(swarmId) ?? false);

/** Swarms we joined that the peer declared too. */
export function sharedSwarms(table: RoutingTable, peerId: PeerId): SwarmId[] {
  return [...(table.peerSwarms.get(peerId) ?? [])].filter((s) => table.swarms.has(s));
}

/** Every route the peer may use with us: send it our bitfields, ask it for pieces. */
export function filesSharedWith(table: RoutingTable, peerId: PeerId): FileEntry[] {
  return sharedSwarms(table, peerId).flatMap((s) => [...table.swarms.get(s)!.values()]);
}

/** The peer's link closed: it leaves every route (its requests are free again) and its membership is dropped. */
export function forgetPeer(table: RoutingTable, peerId: PeerId): void {
  for (const files of table.swarms.values()) for (const entry of files.values()) onPeerGone(entry.picker, peerId);
  table.peerSwarms.delete(peerId);
}
