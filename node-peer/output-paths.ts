import path from 'node:path';
import { safeSegments, withSuffix } from '../shared/file-paths.ts';

// A file's name comes from a peer's manifest: untrusted. It becomes a path inside the output folder and nowhere
// else, through the same safe segments the page's tree and saved zips use (shared/file-paths.ts).

/** Where a file named `name` goes inside `outDir`; throws if the result would leave it (it cannot, by design). */
export function outputPathFor(outDir: string, name: string, suffix = ''): string {
  const root = path.resolve(outDir);
  const segments = safeSegments(name);
  const last = segments.length - 1;
  if (suffix !== '') segments[last] = withSuffix(segments[last]!, suffix);
  const full = path.join(root, ...segments);
  if (!full.startsWith(root + path.sep)) throw new Error(`refusing to write outside ${root}: ${name}`);
  return full;
}
