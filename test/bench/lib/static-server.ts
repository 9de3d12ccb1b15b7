import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import { transform } from 'esbuild';

// A tiny static server for bench pages on 127.0.0.1:0 (or another loopback address). Mounts map a URL prefix to a folder.
// `.ts` files are transpiled on request (esbuild, which tsx already brings), so pages are plain TS modules.
// `/page/<name>` answers an empty HTML page that imports `/test/bench/pages/<name>.ts` (mount '/' at the repo).

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

export type Mounts = Record<string, string>;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.ts': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

function pageHtml(name: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${name}</title>` +
    `<script type="module">import * as m from '/test/bench/pages/${name}.ts'; globalThis.benchPage = m; ` +
    `document.title = 'ready';</script>`;
}

function resolveMounted(mounts: Mounts, urlPath: string): string | null {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!urlPath.startsWith(prefix)) continue;
    const root = resolve(dir);
    const file = resolve(root, normalize(decodeURIComponent(urlPath.slice(prefix.length))).replace(/^([/\\])+/, ''));
    if (file === root || file.startsWith(root + sep)) return file;
  }
  return null;
}

async function body(file: string): Promise<Buffer | string> {
  const bytes = await readFile(file);
  if (extname(file) !== '.ts') return bytes;
  const out = await transform(bytes.toString('utf8'), { loader: 'ts', format: 'esm', target: 'es2022' });
  return out.code;
}

/** host: any 127.0.0.0/8 address; each is its own origin (own storage), and still a secure context. */
export async function startStaticServer(mounts: Mounts, host = '127.0.0.1'): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    const page = /^\/page\/([\w-]+)$/.exec(urlPath);
    if (page?.[1] !== undefined) {
      res.writeHead(200, { 'content-type': MIME['.html'] }).end(pageHtml(page[1]));
      return;
    }
    const file = resolveMounted(mounts, urlPath);
    if (file === null) { res.writeHead(404).end(); return; }
    body(file).then(
      (data) => res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(data),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server: no port');
  return {
    origin: `http://${host}:${address.port}`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
