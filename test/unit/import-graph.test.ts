import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

// The layering a newcomer can rely on, read from the sources' own import lines: no import circles inside a part,
// and no part reaching into another's runtime (the start command, not the server, wires the Node peer).

const ROOT = path.resolve(import.meta.dirname, '../..');
const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

function sourcesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')));
}

/** file → the repo files it imports (relative imports only), type-only imports included: a circle of types is still a circle to read. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(file), (m[1] ?? m[2])!)));
}

function circles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((to) => files.includes(to))]));
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') return void found.push([...trail.slice(trail.indexOf(file)), file]);
    state.set(file, 'open');
    for (const to of graph.get(file) ?? []) walk(to, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) walk(file, []);
  return found;
}

test('import graph: no circles in the signaling server or the shared protocol', () => {
  for (const part of ['signaling-server', 'shared']) expect(circles(sourcesUnder(part)), part).toEqual([]);
});

test('import graph: the signaling server imports only itself and shared/ (the start command wires the Node peer)', () => {
  const outside = sourcesUnder('signaling-server').flatMap((file) => importsOf(file).map((to) => `${file} -> ${to}`))
    .filter((edge) => !/ -> (signaling-server|shared)\//.test(edge));
  expect(outside).toEqual([]);
});

test('import graph: no circles in the runtime-agnostic peer (engine, links, signaling client)', () => {
  expect(circles(sourcesUnder('peer'))).toEqual([]);
});

test('import graph: what students and teachers run imports no test code (the tests build their own page entry)', () => {
  const product = ['shared', 'peer', 'client', 'node-peer', 'signaling-server', 'simulator'].flatMap(sourcesUnder);
  const intoTests = product.flatMap((file) => importsOf(file).filter((to) => to.startsWith('test/')).map((to) => `${file} → ${to}`));
  expect(intoTests).toEqual([]);
});
