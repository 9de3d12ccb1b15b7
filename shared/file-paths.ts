// A file's name comes from a peer's manifest: untrusted. Split on '/', it names the file's place in a folder
// (`lab9/ex1/data.csv`); these helpers reduce it to safe segments (no absolute paths, no `..`, no control or
// reserved characters, no empty or dot-only segments), so the page's tree, a saved zip's entries and the files
// `tabswarm get` writes carry the same names, and none can leave the folder it is saved into.

const UNSAFE_CHARS = /[\u0000-\u001f\u007f<>:"|?*\\]/g;
const MAX_SEGMENT_LENGTH = 200;

/** The '/'-separated name as safe path segments; 'file' when nothing usable is left. */
export function safeSegments(name: string): string[] {
  const segments = name.split('/')
    .map((s) => s.replace(UNSAFE_CHARS, '_').trim().slice(0, MAX_SEGMENT_LENGTH))
    .filter((s) => s !== '' && !/^\.+$/.test(s));
  return segments.length > 0 ? segments : ['file'];
}

/** `lab.iso` + `-3f2a` → `lab-3f2a.iso`: tells apart two different files that share a name. */
export function withSuffix(segment: string, suffix: string): string {
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? `${segment.slice(0, dot)}${suffix}${segment.slice(dot)}` : `${segment}${suffix}`;
}

/** The suffix a file gets when its path is taken: the first 8 hex digits of its fileId. */
export const fileIdSuffix = (fileId: string): string => `-${fileId.slice(0, 8)}`;

const byPathThenId = (a: { path: string; fileId: string }, b: { path: string; fileId: string }): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0;

/**
 * One safe, distinct '/'-joined path per fileId. A path another file already took, or that a folder of another
 * file uses (`a/b` beside `a/b/c`), gets the fileId suffix on its last segment, as `tabswarm get` does on disk.
 * The order of `files` does not matter: the first by (path, fileId) keeps its name.
 */
export function uniqueFilePaths(files: readonly { fileId: string; name: string }[]): Map<string, string> {
  const wanted = files.map((f) => ({ fileId: f.fileId, segments: safeSegments(f.name), path: safeSegments(f.name).join('/') }))
    .sort(byPathThenId);
  const folders = new Set<string>();
  for (const w of wanted) for (let i = 1; i < w.segments.length; i++) folders.add(w.segments.slice(0, i).join('/'));
  const taken = new Set<string>();
  const paths = new Map<string, string>();
  for (const w of wanted) {
    if (paths.has(w.fileId)) continue; // the same file listed twice
    let path = w.path;
    if (taken.has(path) || folders.has(path)) {
      const last = w.segments.length - 1;
      path = [...w.segments.slice(0, last), withSuffix(w.segments[last]!, fileIdSuffix(w.fileId))].join('/');
    }
    taken.add(path);
    paths.set(w.fileId, path);
  }
  return paths;
}
