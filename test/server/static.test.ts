import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startHarness, type Harness } from './fixture.ts';
import { openRawWs, OPCODE, textFrames } from './raw-ws.ts';

let h: Harness;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-static-'));
  await mkdir(path.join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>tabswarm</title>');
  await writeFile(path.join(dir, 'dist', 'assets', 'app-1234.js'), 'console.log("hi")');
  await writeFile(path.join(dir, 'dist', 'hash.wasm'), new Uint8Array([0, 97, 115, 109]));
  await writeFile(path.join(dir, 'secret.txt'), 'do not serve');
  h = await startHarness({ staticDir: path.join(dir, 'dist') });
});
afterEach(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/** A request with the path exactly as given (fetch would normalize `..` away). */
function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static hosting', () => {
  it('static: / serves index.html, assets and wasm with their MIME types', async () => {
    const page = await fetch(`${h.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>tabswarm</title>');
    const script = await fetch(`${h.httpUrl}/assets/app-1234.js?v=1`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log("hi")');
    expect((await fetch(`${h.httpUrl}/hash.wasm`)).headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(`${h.httpUrl}/missing.js`)).status).toBe(404);
    expect((await fetch(`${h.httpUrl}/`, { method: 'POST' })).status).toBe(405);
  });

  it('static: /healthz answers ok with connection counts', async () => {
    await h.peer();
    const res = await fetch(`${h.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, connections: 1, peers: 1, swarms: 0, codes: 0, directory: { mode: 'memory', processId: 'local' } });
  });

  it('static: paths that leave the page directory are refused', async () => {
    for (const rawPath of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/%zz']) {
      const res = await rawGet(h.server.port, rawPath);
      expect(res.status, rawPath).toBeGreaterThanOrEqual(400);
      expect(res.body, rawPath).not.toContain('do not serve');
    }
  });

  it('static: websocket upgrades are accepted only at /ws', async () => {
    const wrong = new WebSocket(`ws://127.0.0.1:${h.server.port}/other`);
    const outcome = await new Promise<string>((resolve) => {
      wrong.once('open', () => resolve('open'));
      wrong.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    expect((await (await h.connect()).hello()).type).toBe('welcome');
  });

  it('static: every answer forbids framing, sniffing, referrers, and scripts from anywhere but this server', async () => {
    for (const url of [`${h.httpUrl}/`, `${h.httpUrl}/assets/app-1234.js`, `${h.httpUrl}/missing`, `${h.httpUrl}/healthz`]) {
      const res = await fetch(url);
      expect(res.headers.get('x-frame-options'), url).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), url).toBe('no-referrer');
      const csp = Object.fromEntries((res.headers.get('content-security-policy') ?? '').split(';')
        .map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      expect(csp['frame-ancestors'], url).toEqual(["'none'"]);
      expect(csp['default-src'], url).toEqual(["'self'"]);
      expect(csp['script-src'], url).toEqual(["'self'", "'wasm-unsafe-eval'"]);
      expect(csp['object-src'], url).toEqual(["'none'"]);
      expect(csp['base-uri'], url).toEqual(["'none'"]);
    }
  });

  it('static: /ws upgrades from another origin are refused 403; same host (any address), and no Origin, are served', async () => {
    const { port } = h.server;
    const refused = ['http://evil.example', `http://127.0.0.1.evil.example:${port}`, `http://127.0.0.1:${port + 1}`, 'null'];
    for (const origin of refused) await expect(openRawWs(port, { origin }), origin).rejects.toThrow(/ 403 /);
    const allowed = [
      { origin: `http://127.0.0.1:${port}` }, { origin: `http://10.1.2.3:${port}`, host: `10.1.2.3:${port}` },
      { origin: `https://LOCALHOST:${port}`, host: `localhost:${port}` }, {},
    ];
    for (const options of allowed) {
      const raw = await openRawWs(port, options);
      raw.send(OPCODE.text, JSON.stringify({ v: 1, type: 'hello' }));
      while (!textFrames(raw).some((f) => f['type'] === 'welcome')) await new Promise((r) => setTimeout(r, 5));
      raw.socket.destroy();
    }
  });
});
