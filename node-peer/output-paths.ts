import path from 'node:path';

// A file's name comes from a peer's manifest: untrusted. It becomes a path inside the output folder and
// nowhere else: no absolute paths, no `..`, no control characters, no empty or dot-only segments.

const UNSAFE_CHARS = /[\u0000-\u001f\u007f<>:"|?*\\]/g;
const MAX_SEGMENT_LENGTH = 200;

/** The '/'-separated name as safe path segments; 'file' when nothing usable is left. */
export function safeSegments(name: string): string[] {
  const segments = name.split('/')
    .map((s) => s.replace(UNSAFE_CHARS, '_').trim().slice(0, MAX_SEGMENT_LENGTH))
    .filter((s) => s !== '' && !/^\.+$/.test(s));
  return segments.length > 0 ? segments : ['file'];
}

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

/** `lab.iso` + `-3f2a` → `lab-3f2a.iso`: tells apart two different files that share a name. */
function withSuffix(segment: string, suffix: string): string {
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? `${segment.slice(0, dot)}${suffix}${segment.slice(dot)}` : `${segment}${suffix}`;
}
