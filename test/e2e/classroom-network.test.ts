import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkPath } from '../../client/contracts.ts';
import type { LinkTestHook, ReceiveReport, SendReport } from '../../client/link-test-hook.ts';
import { canUseNetns, createClassroom, type Classroom, type Laptop } from './classroom-netns.ts';
import { buildPage, CHROMIUM_ARGS, removeBuiltPage } from './harness.ts';

// Two laptops, each its own network namespace and its own Chromium, linked only to the teacher's namespace
// where `npm start`'s server runs. Forwarding off in the teacher = Wi-Fi client isolation: the laptops
// connect only through the teacher's TURN relay. Forwarding on and TURN off: mDNS host candidates cannot
// resolve across namespaces, so the link forms on the teacher STUN's server-reflexive candidates.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
const FRAME_BYTES = 64 * 1024;
const EACH_WAY_BYTES = 4 * MiB;
/** One-way volume for the logged throughput figure (not asserted). */
const BENCH_BYTES = 16 * MiB;
const PROBE_PORT = 7000;
const LINK_TIMEOUT_MS = 60_000;

type HookWindow = { __tabswarmLinkTestHook: LinkTestHook };
const hook = (page: Page) => ({
  sendRandom: (to: string, total: number): Promise<SendReport> => page.evaluate(([id, bytes, frame]) =>
    (window as unknown as HookWindow).__tabswarmLinkTestHook.sendRandom(id, bytes, frame), [to, total, FRAME_BYTES] as const),
  path: (peerId: string): Promise<LinkPath | null> =>
    page.evaluate((id) => (window as unknown as HookWindow).__tabswarmLinkTestHook.path(id), peerId),
  async receivedAll(from: string, total: number): Promise<ReceiveReport & { sha256: string }> {
    await page.waitForFunction(([id, bytes]) =>
      ((window as unknown as HookWindow).__tabswarmLinkTestHook.received(id)?.bytes ?? 0) >= bytes, [from, total] as const,
    { timeout: 120_000 });
    return page.evaluate((id) => {
      const h = (window as unknown as HookWindow).__tabswarmLinkTestHook;
      return { ...h.received(id)!, sha256: h.receivedSha256(id)! };
    }, from);
  },
  /** What arrived so far, and restarts the received-bytes hash (an engine hello may come before the hook). */
  baseline: (from: string): Promise<{ bytes: number; frames: number }> => page.evaluate((id) => {
    const h = (window as unknown as HookWindow).__tabswarmLinkTestHook;
    h.receivedSha256(id);
    return { bytes: h.received(id)?.bytes ?? 0, frames: h.received(id)?.frames ?? 0 };
  }, from),
  linked: (peerId: string) => page.waitForFunction((id) =>
    (window as unknown as HookWindow).__tabswarmLinkTestHook.linkedPeers().includes(id), peerId, { timeout: LINK_TIMEOUT_MS }),
});

interface Lesson {
  classroom: Classroom;
  port: number;
  browsers: Browser[];
  pages: Page[];
  peerIds: string[];
}

async function startTeacher(classroom: Classroom, env: Record<string, string>): Promise<number> {
  const server = classroom.spawnIn(classroom.teacherNs, process.execPath, ['--import', 'tsx', path.join(REPO, 'test/e2e/classroom-server.ts')], {
    ...process.env, STATIC_DIR: await buildPage(), ...env,
  });
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const ready = new Promise<number>((resolve) => server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const port = /READY (\d+)/.exec(output)?.[1];
    if (port) resolve(Number(port));
  }));
  const exited = once(server, 'exit').then(() => { throw new Error(`teacher server exited: ${output}`); });
  return Promise.race([ready, exited]);
}

async function openLaptopPage(classroom: Classroom, laptop: Laptop, port: number, fragment: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: await classroom.chromiumIn(laptop.ns), headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(`http://${laptop.teacherIp}:${port}/?linkTestHook=1${fragment}`);
  return { browser, page };
}

const peerIdOf = async (page: Page): Promise<string> => {
  await page.waitForFunction(() => /^[0-9a-f]{32}$/.test(document.getElementById('peer-id')?.textContent ?? ''));
  return (await page.textContent('#peer-id'))!;
};

/** Teacher server with `env`, a probe listener on laptop 2, and each laptop's browser in one swarm. */
async function startLesson(forwarding: boolean, env: Record<string, string>): Promise<Lesson> {
  const classroom = await createClassroom({ laptops: 2, forwarding });
  const lesson: Lesson = { classroom, port: 0, browsers: [], pages: [], peerIds: [] };
  try {
    lesson.port = await startTeacher(classroom, env);
    classroom.spawnIn(classroom.laptops[1]!.ns, process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(${PROBE_PORT})`]);
    const first = await openLaptopPage(classroom, classroom.laptops[0]!, lesson.port, '');
    lesson.browsers.push(first.browser);
    await first.page.click('#create-swarm');
    const shareLink = await first.page.waitForSelector('#share-link[href*="#swarm="]');
    const second = await openLaptopPage(classroom, classroom.laptops[1]!, lesson.port, new URL((await shareLink.getAttribute('href'))!).hash);
    lesson.browsers.push(second.browser);
    lesson.pages = [first.page, second.page];
    lesson.peerIds = await Promise.all(lesson.pages.map(peerIdOf));
  } catch (error) {
    await endLesson(lesson);
    throw error;
  }
  return lesson;
}

async function endLesson(lesson: Lesson | undefined): Promise<void> {
  if (!lesson) return;
  for (const browser of lesson.browsers) await browser.close().catch(() => undefined);
  await lesson.classroom.destroy();
}

/** Frames both ways, checked by byte count, frame count and SHA-256; then a logged one-way figure. */
async function exchange(lesson: Lesson, label: string): Promise<void> {
  const [a, b] = lesson.pages.map(hook) as [ReturnType<typeof hook>, ReturnType<typeof hook>];
  const [idA, idB] = lesson.peerIds as [string, string];
  await Promise.all([a.linked(idB), b.linked(idA)]);
  const [beforeA, beforeB] = await Promise.all([a.baseline(idB), b.baseline(idA)]);
  const [sentByA, sentByB] = await Promise.all([a.sendRandom(idB, EACH_WAY_BYTES), b.sendRandom(idA, EACH_WAY_BYTES)]);
  const [atB, atA] = await Promise.all([b.receivedAll(idA, beforeB.bytes + EACH_WAY_BYTES), a.receivedAll(idB, beforeA.bytes + EACH_WAY_BYTES)]);
  const since = (r: ReceiveReport & { sha256: string }, before: { bytes: number; frames: number }) =>
    ({ bytes: r.bytes - before.bytes, frames: r.frames - before.frames, sha256: r.sha256 });
  const summary = (r: SendReport) => ({ bytes: r.bytes, frames: r.frames, sha256: r.sha256 });
  expect(since(atB, beforeB)).toEqual(summary(sentByA));
  expect(since(atA, beforeA)).toEqual(summary(sentByB));
  const sent = await b.sendRandom(idA, BENCH_BYTES);
  const got = await a.receivedAll(idB, atA.bytes + BENCH_BYTES);
  const seconds = (got.lastAt! - sent.startedAt) / 1000;
  console.log(`[classroom] ${label}: ${BENCH_BYTES / MiB} MiB one way in ${seconds.toFixed(2)} s: ${(BENCH_BYTES / 1e6 / seconds).toFixed(1)} MB/s`);
}

describe.skipIf(!canUseNetns())('classroom with client isolation (forwarding off in the teacher)', () => {
  let lesson: Lesson | undefined;
  beforeAll(async () => void (lesson = await startLesson(false, { STUN: 'on', TURN: 'on' })));
  afterAll(() => endLesson(lesson));

  it('classroom: a laptop reaches the teacher but not the other laptop', async () => {
    const { classroom, port } = lesson!;
    const [one, two] = classroom.laptops as [Laptop, Laptop];
    expect(await classroom.canConnect(one.ns, one.teacherIp, port)).toBe(true);
    expect(await classroom.canConnect(two.ns, '127.0.0.1', PROBE_PORT)).toBe(true);
    expect(await classroom.canConnect(one.ns, two.ip, PROBE_PORT)).toBe(false);
  });

  it('classroom: the two laptops link through the teacher relay and frames arrive intact', async () => {
    await exchange(lesson!, 'relayed');
    const [a] = lesson!.pages.map(hook);
    expect(await a!.path(lesson!.peerIds[1]!)).toMatchObject({ relayed: true });
  });

  it.todo('classroom: with TURN=off the page says the laptops cannot reach each other (needs a link-failure message in the page)');
});

describe.skipIf(!canUseNetns())('classroom where multicast does not pass (forwarding on, TURN off)', () => {
  let lesson: Lesson | undefined;
  beforeAll(async () => void (lesson = await startLesson(true, { STUN: 'on', TURN: 'off' })));
  afterAll(async () => {
    await endLesson(lesson);
    await removeBuiltPage();
  });

  it('classroom: the laptops reach each other, but their host candidates are mDNS names', async () => {
    const { classroom, pages } = lesson!;
    const [one, two] = classroom.laptops as [Laptop, Laptop];
    expect(await classroom.canConnect(one.ns, two.ip, PROBE_PORT)).toBe(true);
    const hosts = await pages[0]!.evaluate(async () => {
      const pc = new RTCPeerConnection();
      pc.createDataChannel('probe');
      const found: string[] = [];
      const done = new Promise<void>((resolve) => {
        pc.onicecandidate = (e) => (e.candidate ? found.push(e.candidate.address ?? '') : resolve());
      });
      await pc.setLocalDescription(await pc.createOffer());
      await done;
      pc.close();
      return found;
    });
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.every((address) => address.endsWith('.local'))).toBe(true);
  });

  it('classroom: the laptops link directly on STUN server-reflexive candidates and frames arrive intact', async () => {
    await exchange(lesson!, 'direct (srflx)');
    const path = await hook(lesson!.pages[0]!).path(lesson!.peerIds[1]!);
    expect(path?.relayed).toBe(false);
    expect([path?.localCandidateType, path?.remoteCandidateType]).not.toEqual(['host', 'host']);
  });
});
