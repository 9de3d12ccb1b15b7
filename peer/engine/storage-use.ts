import { getBit, type Bitfield } from '../../shared/bitfield.ts';
import type { FileId } from '../../shared/ids.ts';
import { pieceSize, type Manifest } from '../../shared/manifest.ts';
import type { ProfileStore } from '../contracts.ts';
import { routesOf, type EngineState, type FileInfo, type RouteEntry } from './engine-state.ts';

// What this tab's files take in its store, by the engine's own count (a piece is had only once its write
// committed), and what to tell a person whose storage is full.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as people read them on a download bar. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** Bytes of the pieces marked in `had`. */
export function bytesOf(manifest: Manifest, had: Bitfield): number {
  let bytes = 0;
  for (let piece = 0; piece < manifest.pieceHashes.length; piece++) if (getBit(had, piece)) bytes += pieceSize(manifest, piece);
  return bytes;
}

/** Bytes of a route's stored pieces. */
export const entryBytes = (entry: RouteEntry): number => bytesOf(entry.manifest, entry.picker.had);

/** Bytes of a file's stored pieces (every route of a file shares one set of pieces). */
export function storedBytes(state: EngineState, file: FileInfo): number {
  const entry = routesOf(state, file.fileId)[0];
  return entry === undefined ? 0 : entryBytes(entry);
}

/** The store's coded failure for a full storage (piece-store.ts), recognised without importing IndexedDB code. */
export const isQuotaFailure = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 'ERR_STORAGE_QUOTA';

/** How many files a quota message names: the largest few are what frees the most. */
const FILES_NAMED = 3;

/** A full-storage message that names the files whose removal frees the most, largest first. */
export function quotaAdvice(state: EngineState, what: string): string {
  const largest = [...state.files.values()]
    .map((f) => ({ name: f.manifest.name, bytes: storedBytes(state, f) }))
    .filter((f) => f.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, FILES_NAMED);
  const head = `This browser's storage for tabswarm is full: ${what} could not be stored.`;
  if (largest.length === 0) return `${head} Free disk space, or remove what closed tabs left behind (Storage).`;
  const names = largest.map((f) => `${f.name} (${formatBytes(f.bytes)})`).join(', ');
  return `${head} Remove files to make room: ${names}.`;
}

export interface StorageUsage {
  /** Bytes of stored pieces per file this tab lists. */
  files: { fileId: FileId; name: string; bytes: number }[];
  /** Pieces of files no longer listed (a write that landed after its file was removed; swept on the next start). */
  unlistedBytes: number;
  totalBytes: number;
}

/** The store's own count of what each file takes, named from the engine's files. */
export async function storageUsage(state: EngineState, store: Pick<ProfileStore, 'usage'>): Promise<StorageUsage> {
  const usage: StorageUsage = { files: [], unlistedBytes: 0, totalBytes: 0 };
  for (const [fileId, bytes] of await store.usage()) {
    const file = state.files.get(fileId);
    if (file) usage.files.push({ fileId, name: file.manifest.name, bytes });
    else usage.unlistedBytes += bytes;
    usage.totalBytes += bytes;
  }
  usage.files.sort((a, b) => b.bytes - a.bytes);
  return usage;
}
