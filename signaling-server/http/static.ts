import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { setSecurityHeaders } from '../guards/web-security.ts';

// Serves the built page (dist/) and /healthz. Only GET/HEAD, only files inside the root.

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => void;

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** The file a URL path names inside `root`, or null for anything that decodes badly or escapes it. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const file = path.resolve(root, `.${decoded.endsWith('/') ? `${decoded}index.html` : decoded}`);
  return file.startsWith(root + path.sep) ? file : null;
}

async function serveFile(res: ServerResponse, file: string, headOnly: boolean): Promise<void> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) {
    const unbuilt = path.basename(file) === 'index.html' ? ': is the page built? run `npm run build`' : '';
    return reply(res, 404, `not found${unbuilt}`);
  }
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cache = file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, {
    'content-type': type, 'content-length': stat.size, 'cache-control': cache,
  });
  if (headOnly) return void res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export function createStaticHandler(staticDir: string, health: () => Record<string, unknown>): StaticHandler {
  const root = path.resolve(staticDir);
  return (req, res) => {
    setSecurityHeaders(res);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return reply(res, 405, 'method not allowed');
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (urlPath === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ ok: true, ...health() }));
    }
    const file = resolveStaticPath(root, urlPath);
    if (file === null) return reply(res, 400, 'bad path');
    serveFile(res, file, method === 'HEAD').catch(() => res.destroy());
  };
}
