import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import wrtc from '@roamhq/wrtc';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { startGetting } from '../../node-peer/get.ts';
import { startSharing } from '../../node-peer/share.ts';
import { SHARER_LINK_CAPS } from '../../peer/links/link-policy.ts';
import { encodeFrame, type ClientFrameBody } from '../../shared/signaling.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';
import { lanIp } from './harness.ts';

// A hostile student's laptop (one address, 10.77.0.2 in the namespace) opens a socket per sharer link and has
// each hold a link attempt on the teacher's `tabswarm share` (an offer it never completes, or a request for one
// it never answers), asking again every 2 s. A classmate's `tabswarm get` (another address) must still
// get the file: the teacher takes it in place of one of the crowded address's links (peer/links/link-policy.ts).
// Real Node peers, real WebRTC, a real server; no browser.

const HOGGER_SOCKETS = SHARER_LINK_CAPS.max + 4;
const ASK_AGAIN_MS = 2_000;

/** A data-channel offer from a real RTCPeerConnection: the teacher answers it and waits for ICE that never comes. */
async function realOffer(): Promise<string> {
  const pc = new wrtc.RTCPeerConnection();
  pc.createDataChannel('hog');
  const offer = await pc.createOffer();
  pc.close();
  return offer.sdp!;
}

/** One socket of the hogger: joins the swarm and keeps a link attempt on the teacher. */
async function hoggerSocket(url: string, swarmId: string, teacher: string, sdp: string, from: string): Promise<() => void> {
  const socket = new WebSocket(url, { localAddress: from });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // cut off at the end: nothing to do
  const send = (body: ClientFrameBody) => socket.readyState === socket.OPEN && socket.send(encodeFrame(body));
  const peerId = await new Promise<string>((resolve) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; peerId?: string };
      if (frame.type === 'welcome') resolve(frame.peerId!);
    });
    send({ type: 'hello' });
  });
  send({ type: 'join', swarmId });
  // The smaller peerId offers, the larger asks for an offer (link-manager.ts).
  const ask = () => send({ type: 'signal', to: teacher, payload: peerId < teacher ? { type: 'offer', sdp } : { type: 'renegotiate', renegotiate: true } });
  ask();
  const timer = setInterval(ask, ASK_AGAIN_MS);
  return () => {
    clearInterval(timer);
    socket.terminate();
  };
}

/** `tabswarm get` of the swarm into `out`: its time in ms, once the file is written. */
async function timedGet(link: string, out: string, server: string, stops: Array<() => void>): Promise<number> {
  const startedAt = Date.now();
  const getting = await startGetting({ target: link, out, server });
  stops.push(() => getting.close());
  const outcome = await getting.done;
  expect(outcome.done.map((p) => path.basename(p))).toEqual(['lab.bin']);
  getting.close();
  return Date.now() - startedAt;
}

describe.skipIf(lanIp() === null)('a laptop that hogs the sharer', () => {
  it('links: a classmate still gets the teacher\'s file while one laptop holds link attempts on every sharer link', async () => {
    const server = await createSignalingServer({ port: 0, host: '0.0.0.0' });
    const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-hogger-'));
    const stops: Array<() => void> = [];
    onTestFinished(async () => {
      for (const stop of stops) stop();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });
    const file = randomBytes(4 * 1024 * 1024);
    await writeFile(path.join(dir, 'lab.bin'), file);
    const local = `http://127.0.0.1:${server.port}/`;
    const sharing = await startSharing({ paths: [path.join(dir, 'lab.bin')], server: local, cacheDir: path.join(dir, 'cache') });
    stops.push(() => sharing.close());
    await expect.poll(() => sharing.peer.signaling.peerId).not.toBeNull();
    const teacher = sharing.peer.signaling.peerId!;
    const alone = await timedGet(sharing.link, path.join(dir, 'alone'), local, stops); // the figure without the hogger
    const sdp = await realOffer();
    const wsUrl = `ws://${lanIp()}:${server.port}/ws`;
    for (let i = 0; i < HOGGER_SOCKETS; i++) {
      // The server admits 24 new sockets per address at once, then 2 a second: retry what it refuses.
      for (;;) {
        const stop = await hoggerSocket(wsUrl, sharing.swarmId, teacher, sdp, '10.77.0.2').catch(() => null);
        if (stop) {
          stops.push(stop);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    // Every hogger socket is a member, each holding or asking for a sharer link.
    await expect.poll(() => sharing.peer.links.swarmMates().size).toBeGreaterThanOrEqual(HOGGER_SOCKETS);

    const hogged = await timedGet(sharing.link, path.join(dir, 'out'), local, stops);
    console.log(`[hogger] a classmate got 4 MiB in ${hogged} ms past ${HOGGER_SOCKETS} hogging sockets (${alone} ms without them)`);
    const got = await readFile(path.join(dir, 'out', 'lab.bin'));
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
  });
});
