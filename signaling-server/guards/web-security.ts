import type { IncomingMessage, ServerResponse } from 'node:http';

// What the browser is told about the page, and which pages may open /ws. The page is one origin serving its own
// scripts and styles: nothing inline, nothing from elsewhere, never inside another site's frame.

/**
 * 'wasm-unsafe-eval': hash-wasm compiles its SHA-256 WebAssembly in the page (no JS eval is allowed).
 * connect-src 'self' covers ws:/wss: to this same host (CSP Level 3). img-src data: is the empty favicon.
 * WebRTC data channels are not governed by CSP.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer', // join links carry the swarm ID in the fragment; no URL of ours leaves the page
  'x-frame-options': 'DENY', // frame-ancestors for browsers without CSP Level 2
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/**
 * A browser always sends Origin on a WebSocket upgrade: it must name the host the page was loaded from (the Host
 * header, so LAN addresses and localhost both work, and the Vite dev server, which forwards Host unchanged).
 * No Origin at all is a program (the Node peer, tests, curl), which no web page can make a browser be.
 */
export function isAllowedOrigin(req: IncomingMessage): boolean {
  const { origin, host } = req.headers;
  if (origin === undefined) return true;
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host}`).host;
  } catch {
    return false; // 'null' (sandboxed frames, file: pages) and garbage
  }
}
