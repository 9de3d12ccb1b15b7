import path from 'node:path';
import { safeSegments } from '../shared/file-paths.ts';
import { err, ok, type Result } from '../shared/result.ts';

// A file's name comes from a peer's manifest: untrusted. It becomes a relative path inside the output folder
// and nowhere else, through the same safe segments the page's tree and saved zips use (shared/file-paths.ts:
// no absolute paths, no `..`, no control or bidi characters, 255 bytes per segment, NFC), here also bounded
// as a whole and compared as the disk compares names.

/** A whole relative path: macOS's PATH_MAX is 1024 bytes, so a longer name could not be written there. */
export const MAX_PATH_BYTES = 1024;

/** The safe segments of a name, or why it cannot be written (too long a path). */
export function checkedSegments(name: string): Result<string[], string> {
  const segments = safeSegments(name);
  if (Buffer.byteLength(segments.join('/'), 'utf8') > MAX_PATH_BYTES) return err(`its name is longer than ${MAX_PATH_BYTES} bytes`);
  return ok(segments);
}

/** A segment starting with a dot: `.git`, `.vscode`, `.bashrc`, hidden by convention and read by tools. */
export const isHiddenPath = (segments: readonly string[]): boolean => segments.some((s) => s.startsWith('.'));

/** The key two names share when a case- or normalisation-insensitive disk (macOS, Windows) sees one file. */
export const foldName = (relative: string): string => relative.normalize('NFC').toUpperCase().toLowerCase();

/** The absolute path of safe segments inside `root`; throws if it would leave it (it cannot, by design). */
export function outputPathFor(root: string, segments: readonly string[]): string {
  const full = path.join(root, ...segments);
  if (!full.startsWith(root + path.sep)) throw new Error(`refusing to write outside ${root}: ${segments.join('/')}`);
  return full;
}
