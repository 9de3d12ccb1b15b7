// Can Debian's WebKitGTK run tabswarm? Drives MiniBrowser through WebKitWebDriver (WebDriver classic) on a
// page served from 127.0.0.1 that opens two RTCPeerConnections and sends one message over a data channel.
// Prints what the browser has (WebRTC, IndexedDB, Web Crypto) and whether the message arrived.
// usage (needs webkit2gtk-driver and xvfb): xvfb-run -a npx tsx scripts/webkit-probe.ts [MiniBrowser options…]
//   e.g. `… scripts/webkit-probe.ts --enable-webrtc=true` (WebKitSettings:enable-webrtc, off by default)
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER_PORT = 4444;

/** Runs in the page; returns what it found. Serialised into the page's script, so self-contained. */
async function probe(): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {
    userAgent: navigator.userAgent, secureContext: isSecureContext, webRtc: typeof RTCPeerConnection === 'function',
    indexedDb: typeof indexedDB === 'object', cryptoSubtle: typeof crypto.subtle === 'object',
  };
  if (!found['webRtc']) return found;
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
  b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
  const channel = a.createDataChannel('probe');
  channel.onopen = () => channel.send('hello');
  const received = new Promise<string>((resolve) => {
    b.ondatachannel = (e) => void (e.channel.onmessage = (m) => resolve(String(m.data)));
  });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(`timed out (ICE ${a.iceConnectionState})`), 15_000));
  found['dataChannelMessage'] = await Promise.race([received, timeout]);
  return found;
}

const page = `<!doctype html><title>probe</title><script>window.probeResult = (${probe.toString()})()
  .catch((e) => ({ error: String(e) }));</script>`;

async function webDriver(method: string, path: string, body?: unknown): Promise<{ value: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${DRIVER_PORT}${path}`, {
    method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as { value: Record<string, unknown> };
}

const server = http.createServer((_req, res) => res.setHeader('content-type', 'text/html').end(page)).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const driver = spawn('WebKitWebDriver', [`--port=${DRIVER_PORT}`], { stdio: 'inherit' });
try {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const session = await webDriver('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', ...process.argv.slice(2)] } } },
  });
  const { sessionId, capabilities } = session.value as { sessionId: string; capabilities: { browserVersion: string } };
  await webDriver('POST', `/session/${sessionId}/url`, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  const result = await webDriver('POST', `/session/${sessionId}/execute/async`, {
    script: 'const done = arguments[0]; window.probeResult.then(done);', args: [],
  });
  console.log(JSON.stringify({ webkitgtk: capabilities.browserVersion, options: process.argv.slice(2), ...result.value }));
  await webDriver('DELETE', `/session/${sessionId}`);
} finally {
  driver.kill();
  server.close();
}
