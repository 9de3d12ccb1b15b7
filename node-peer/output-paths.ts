import path from 'node:path';
import { err, ok, type Result } from '../shared/result.ts';

// A file's name comes from a peer's manifest: untrusted. It becomes a relative path inside the output folder
// and nowhere else: no absolute paths, no `..`, no control characters, no empty or dot-only segments, each
// segment short enough for the disk (counted in UTF-8 bytes, as the disk counts), NFC-normalised.

/** Controls, characters Windows forbids, and bidi and zero-width characters that disguise a name (`\u202etxt.exe`). */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f<>:"|?*\\\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
/** ext4, APFS, NTFS and exFAT all cap one name at 255 bytes (NTFS: 255 UTF-16 units, never fewer bytes). */
export const MAX_SEGMENT_BYTES = 255;
/** Kept free in every segment for the suffix that tells two files apart (`-3f2a9c01`, `-folder-2`). */
const SUFFIX_ROOM = 24;
/** A whole relative path: macOS's PATH_MAX is 1024 bytes, so a longer name could not be written there. */
export const MAX_PATH_BYTES = 1024;
/** An extension this long or shorter is kept when a long name is cut. */
const MAX_KEPT_EXTENSION_BYTES = 16;

const bytesOf = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` (whole code points) that fits in `max` UTF-8 bytes. */
function cutToBytes(s: string, max: number): string {
  let out = '';
  let used = 0;
  for (const ch of s) {
    used += bytesOf(ch);
    if (used > max) break;
    out += ch;
  }
  return out;
}

/** A segment cut to fit the disk's name limit (with room for a suffix), keeping a short extension. */
function fitSegment(segment: string): string {
  const max = MAX_SEGMENT_BYTES - SUFFIX_ROOM;
  if (bytesOf(segment) <= max) return segment;
  const dot = segment.lastIndexOf('.');
  const ext = dot > 0 && bytesOf(segment.slice(dot)) <= MAX_KEPT_EXTENSION_BYTES ? segment.slice(dot) : '';
  return cutToBytes(segment.slice(0, segment.length - ext.length), max - bytesOf(ext)) + ext;
}

/** The '/'-separated name as safe path segments, or why it cannot be written (too long a path). */
export function safeSegments(name: string): Result<string[], string> {
  const segments = name.normalize('NFC').split('/')
    .map((s) => fitSegment(s.replace(UNSAFE_CHARS, '_').trim().replace(/[. ]+$/, ''))) // Windows drops trailing dots
    .filter((s) => s !== '');
  const safe = segments.length > 0 ? segments : ['file'];
  if (bytesOf(safe.join('/')) > MAX_PATH_BYTES) return err(`its name is longer than ${MAX_PATH_BYTES} bytes`);
  return ok(safe);
}

/** A segment starting with a dot: `.git`, `.vscode`, `.bashrc`, hidden by convention and read by tools. */
export const isHiddenPath = (segments: readonly string[]): boolean => segments.some((s) => s.startsWith('.'));

/** The key two names share when a case- or normalisation-insensitive disk (macOS, Windows) sees one file. */
export const foldName = (relative: string): string => relative.normalize('NFC').toUpperCase().toLowerCase();

/** `lab.iso` + `-3f2a` → `lab-3f2a.iso`: tells apart two different files that share a name. */
export function withSuffix(segment: string, suffix: string): string {
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? `${segment.slice(0, dot)}${suffix}${segment.slice(dot)}` : `${segment}${suffix}`;
}

/** The absolute path of safe segments inside `root`; throws if it would leave it (it cannot, by design). */
export function outputPathFor(root: string, segments: readonly string[]): string {
  const full = path.join(root, ...segments);
  if (!full.startsWith(root + path.sep)) throw new Error(`refusing to write outside ${root}: ${segments.join('/')}`);
  return full;
}
