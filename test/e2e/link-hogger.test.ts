import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import wrtc from '@roamhq/wrtc';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { SHARER_LINK_CAPS } from '../../peer/links/link-policy.ts';
import { encodeFrame, type ClientFrameBody } from '../../shared/signaling.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';
import { runTabswarm, type CliProcess } from '../helpers/tabswarm-cli.ts';
import { lanIp } from './harness.ts';

// A hostile student's laptop (one address, 10.77.0.2 in the namespace) opens a socket per sharer link and has
// each hold a link attempt on the teacher's `tabswarm share` (an offer it never completes, or a request for one
// it never answers), asking again every 2 s. A classmate's `tabswarm get` (another address) must still get the
// file: the teacher takes it in place of one of the crowded address's links (peer/links/link-policy.ts).
// The teacher runs as a user runs it, a process of its own, with an open-file limit of 1024 (a common default):
// each WebRTC link holds ~50 descriptors, so it takes only the links that fit and says so (node-peer/fd-budget.ts);
// before, the attempts exhausted its descriptors and libwebrtc aborted the process.
// Real Node peers, real WebRTC, a real server; no browser.

const HOGGER_SOCKETS = SHARER_LINK_CAPS.max + 4;
const ASK_AGAIN_MS = 2_000;
const OPEN_FILES = 1024;

/** A data-channel offer from a real RTCPeerConnection: the teacher answers it and waits for ICE that never comes. */
async function realOffer(): Promise<string> {
  const pc = new wrtc.RTCPeerConnection();
  pc.createDataChannel('hog');
  const offer = await pc.createOffer();
  pc.close();
  return offer.sdp!;
}

/** One socket of the hogger: joins the swarm and keeps a link attempt on the teacher (the files' announcer). */
async function hoggerSocket(url: string, swarmId: string, sdp: string, from: string): Promise<() => void> {
  const socket = new WebSocket(url, { localAddress: from });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // cut off at the end: nothing to do
  const send = (body: ClientFrameBody) => socket.readyState === socket.OPEN && socket.send(encodeFrame(body));
  let peerId = '';
  const teacher = await new Promise<string>((resolve) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; peerId?: string; announcements?: Array<{ from: string }> };
      if (frame.type === 'welcome') {
        peerId = frame.peerId!;
        send({ type: 'join', swarmId });
      }
      if (frame.type === 'joined') resolve(frame.announcements![0]!.from);
    });
    send({ type: 'hello' });
  });
  // The smaller peerId offers, the larger asks for an offer (link-manager.ts).
  const ask = () => send({ type: 'signal', to: teacher, payload: peerId < teacher ? { type: 'offer', sdp } : { type: 'renegotiate', renegotiate: true } });
  ask();
  const timer = setInterval(ask, ASK_AGAIN_MS);
  return () => {
    clearInterval(timer);
    socket.terminate();
  };
}

/** `tabswarm get` of the join link into `out`: its time in ms, once it exited 0; fails at once if the teacher dies. */
async function timedGet(link: string, out: string, server: string, teacher: CliProcess): Promise<number> {
  const startedAt = Date.now();
  const get = runTabswarm(['get', link, '--out', out, '--server', server]);
  const ended = await Promise.race([get.exited.then((code) => ({ get: code })), teacher.exited.then((code) => ({ teacher: code }))]);
  expect(ended, `teacher:\n${teacher.output()}\nget:\n${get.output()}`).toEqual({ get: 0 });
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
    const teacher = runTabswarm(['share', path.join(dir, 'lab.bin'), '--server', local], {
      openFiles: OPEN_FILES, env: { TABSWARM_CACHE_DIR: path.join(dir, 'cache') },
    });
    await expect.poll(() => /^Code: /m.test(teacher.output()), { timeout: 60_000 }).toBe(true); // joined, announced
    const link = /Join link.*\n\s+(\S+)/.exec(teacher.output())![1]!;
    const swarmId = /#swarm=([0-9a-f]{32})/.exec(link)![1]!;
    // Its links are those 1024 open files have room for, and it says how to lift that.
    const budget = /room for (\d+) WebRTC links, not 48/.exec(teacher.output());
    expect(budget, teacher.output()).not.toBeNull();
    console.log(`[hogger] the teacher with ${OPEN_FILES} open files takes ${budget![1]} links`);

    const alone = await timedGet(link, path.join(dir, 'alone'), local, teacher); // the figure without the hogger
    const sdp = await realOffer();
    const wsUrl = `ws://${lanIp()}:${server.port}/ws`;
    for (let i = 0; i < HOGGER_SOCKETS; i++) {
      // The server admits 24 new sockets per address at once, then 2 a second: retry what it refuses.
      for (;;) {
        const stop = await hoggerSocket(wsUrl, swarmId, sdp, '10.77.0.2').catch(() => null);
        if (stop) {
          stops.push(stop);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const hogged = await timedGet(link, path.join(dir, 'out'), local, teacher);
    console.log(`[hogger] a classmate's get took ${hogged} ms past ${HOGGER_SOCKETS} hogging sockets (${alone} ms without them)`);
    const got = await readFile(path.join(dir, 'out', 'lab.bin'));
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
    expect(teacher.child.exitCode, teacher.output()).toBeNull(); // still sharing
  });
});
