import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LinkPath } from '../../peer/contracts.ts';
import type { PeerSnapshot } from '../../peer/snapshot-types.ts';
import type { LinkTestHook } from './link-test-hook.ts';
import { endLesson, PROBE_PORT, startLesson, type Lesson } from './classroom-lesson.ts';
import { canUseNetns, type Laptop } from './classroom-netns.ts';
import { playwrightTab } from './browser-tab.ts';
import { removeBuiltPage } from './harness.ts';
import { fileIn, mbPerSecond, MiB, randomFile, seedThroughPage, sha256Of, snapshotOf, waitForFile } from './tabs.ts';

// Two laptops, each its own network namespace and its own Chromium, linked only to the teacher's namespace
// where `npm start`'s server runs. Forwarding off in the teacher = Wi-Fi client isolation: the laptops
// connect only through the teacher's TURN relay, and with the relay off the page says the link failed and
// what to do. Forwarding on and TURN off: mDNS host candidates cannot resolve across namespaces, so the link
// forms on the teacher STUN's server-reflexive candidates.

const FILE_BYTES = 8 * MiB;
/** Room for one failed attempt: the link manager gives up after 20 s and retries 3–6 s later. */
const LINK_TIMEOUT_MS = 45_000;
/** The page's own patience (20 s, client/ui/diagnostics.ts) plus its render tick and some slack. */
const FAILURE_MESSAGE_TIMEOUT_MS = 40_000;

type HookWindow = { __tabswarmLinkTestHook: LinkTestHook };
const linkPath = (page: Page, peerId: string): Promise<LinkPath | null> =>
  page.evaluate((id) => (window as unknown as HookWindow).__tabswarmLinkTestHook.path(id), peerId);

/** The peer as this page's snapshot shows it, once its link is connected and its path (relayed or not) known. */
async function linkedPeer(page: Page, peerId: string): Promise<PeerSnapshot> {
  const handle = await page.waitForFunction((id) => {
    const peer = window.tabswarm!.snapshot().peers.find((p) => p.peerId === id);
    return peer?.linkState === 'connected' && peer.relayed !== null ? peer : null;
  }, peerId, { timeout: LINK_TIMEOUT_MS, polling: 100 });
  return (await handle.jsonValue()) as PeerSnapshot;
}

/**
 * Laptop 1 seeds a random file through its page's file input; laptop 2, which joined by link, downloads it.
 * Checks the stored bytes' SHA-256 and that every piece came from laptop 1 over the link laptop 2 has now (a
 * replaced link starts a session of its own); returns laptop 1 as laptop 2 sees it.
 */
async function transferThroughPages(lesson: Lesson, label: string): Promise<PeerSnapshot> {
  const [seederPage, downloaderPage] = lesson.pages as [Page, Page];
  const [seeder, downloader] = [playwrightTab(seederPage), playwrightTab(downloaderPage)];
  const [seederId] = lesson.peerIds as [string];
  await linkedPeer(downloaderPage, seederId);
  const linkedMs = Date.now() - lesson.joinedAt;
  const file = randomFile(`${label}.bin`, FILE_BYTES);
  const fileId = await seedThroughPage(seeder, file);
  const started = Date.now();
  await waitForFile(downloader, fileId, 'complete', 60_000);
  const ms = Date.now() - started;
  console.log(`[classroom] ${label}: linked ${linkedMs} ms after the join; ${FILE_BYTES / MiB} MiB file through the pages in ${ms} ms: ${mbPerSecond(FILE_BYTES, ms)} MB/s`);
  expect(await sha256Of(downloader, fileId)).toBe(file.sha256);
  const stored = await fileIn(downloader, fileId);
  expect(stored?.sources).toEqual({ [seederId]: stored?.pieceCount });
  const seederNow = await linkedPeer(downloaderPage, seederId);
  expect(seederNow.piecesReceivedFrom).toBe(stored?.pieceCount);
  return seederNow;
}

/** Whether laptop 2's page sees its link to laptop 1 as relayed (its candidate pair is read every few seconds). */
const relayedInSnapshot = async (lesson: Lesson): Promise<boolean | null | undefined> =>
  (await snapshotOf(playwrightTab(lesson.pages[1]!))).peers.find((p) => p.peerId === lesson.peerIds[0])?.relayed;

const diagnosticsText = (page: Page): Promise<string> => page.locator('#diagnostics-panel').innerText();

/** When each page showed a failed link (Date.now()); watched from the start so the figure is exact. */
const failureShown = (pages: Page[]): Promise<number[]> => Promise.all(pages.map(async (page) => {
  await page.locator('#diagnostics-panel .check-bad').waitFor({ timeout: FAILURE_MESSAGE_TIMEOUT_MS });
  return Date.now();
}));

/** Started first, checked last: its pages' 20 s patience runs out while the other lessons do their work. */
let relayOff: Promise<{ lesson: Lesson; shownAt: Promise<number[]> }> | undefined;
beforeAll(() => {
  if (!canUseNetns()) return;
  relayOff = startLesson(false, { STUN: 'on', TURN: 'off' }).then((lesson) => {
    const shownAt = failureShown(lesson.pages);
    shownAt.catch(() => undefined); // reported by the test that awaits it
    return { lesson, shownAt };
  });
  relayOff.catch(() => undefined);
});
afterAll(async () => {
  await endLesson((await relayOff?.catch(() => undefined))?.lesson);
  await removeBuiltPage();
});

// Each test, and each retry of it, has a classroom, server, browsers and swarm of its own.
describe.skipIf(!canUseNetns())('classroom with client isolation (forwarding off in the teacher)', () => {
  let lesson: Lesson | undefined;
  beforeEach(async () => void (lesson = await startLesson(false, { STUN: 'on', TURN: 'on' })));
  afterEach(async () => {
    await endLesson(lesson);
    lesson = undefined;
  });

  it('classroom: a laptop reaches the teacher but not the other laptop', async () => {
    const { classroom, port } = lesson!;
    const [one, two] = classroom.laptops as [Laptop, Laptop];
    expect(await classroom.canConnect(one.ns, one.teacherIp, port)).toBe(true);
    expect(await classroom.canConnect(two.ns, '127.0.0.1', PROBE_PORT)).toBe(true);
    expect(await classroom.canConnect(one.ns, two.ip, PROBE_PORT)).toBe(false);
  });

  it('classroom: a file seeded on one laptop downloads intact on the other through the teacher relay', async () => {
    await transferThroughPages(lesson!, 'relayed');
    // The link that carried every piece: its selected pair runs through a relayed address (the relay keeps the one it
    // gave each laptop: test/server/stun-turn.test.ts), and the page says so once it has read that pair.
    expect(await linkPath(lesson!.pages[1]!, lesson!.peerIds[0]!)).toMatchObject({ relayed: true });
    await expect.poll(() => relayedInSnapshot(lesson!), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => diagnosticsText(lesson!.pages[1]!)).toMatch(/linked, relayed through the server laptop/);
  });
});

describe.skipIf(!canUseNetns())('classroom where multicast does not pass (forwarding on, TURN off)', () => {
  let lesson: Lesson | undefined;
  beforeEach(async () => void (lesson = await startLesson(true, { STUN: 'on', TURN: 'off' })));
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const page of lesson?.pages ?? []) console.log(await diagnosticsText(page).catch(String));
    await endLesson(lesson);
    lesson = undefined;
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

  it('classroom: a file downloads intact over a direct link on STUN server-reflexive candidates', async () => {
    await transferThroughPages(lesson!, 'direct (srflx)');
    const path = await linkPath(lesson!.pages[1]!, lesson!.peerIds[0]!);
    expect(path?.relayed).toBe(false);
    await expect.poll(() => relayedInSnapshot(lesson!), { timeout: 10_000 }).toBe(false);
    expect([path?.localCandidateType, path?.remoteCandidateType]).not.toEqual(['host', 'host']);
  });
});

describe.skipIf(!canUseNetns())('classroom with client isolation and the relay off (TURN=off)', () => {
  it('classroom: each page says the server is reachable but the link to the other laptop failed, and what to do', async () => {
    const { lesson, shownAt } = await relayOff!;
    const delays = (await shownAt).map((at) => at - lesson.joinedAt);
    console.log(`[classroom] relay off: failure message on each laptop ${delays.join(' ms, ')} ms after laptop 2 joined`);
    await Promise.all(lesson.pages.map(async (page) => {
      const text = await diagnosticsText(page);
      expect(text).toMatch(/Server reachable/);
      expect(text).toMatch(/server reachable, but the link to .+ failed/);
      expect(text).toMatch(/isolate devices.*ask the teacher to turn on the relay \(TURN\) or to use a hotspot/);
      expect((await snapshotOf(playwrightTab(page))).peers.filter((p) => p.linkState === 'connected')).toEqual([]);
    }));
  });
});
