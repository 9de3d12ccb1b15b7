import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LinkPath } from '../../peer/contracts.ts';
import type { LinkTestHook, ReceiveReport, SendReport } from './link-test-hook.ts';
import { lanIp } from './harness.ts';
import { useHarness } from './harness-hooks.ts';

// Two tabs, one on 127.0.0.1 and one on the namespace's LAN address (as a second laptop), join one swarm
// through the page; their link managers connect them; random frames go both ways through PeerLink. Each test
// opens its own tabs, each in a browser profile of its own.

const MiB = 1024 * 1024;
const FRAME_BYTES = 64 * 1024;
const EACH_WAY_BYTES = 4 * MiB;
/** One-way volume for the logged throughput figure (not asserted: a benchmark, not a test). */
const BENCH_BYTES = 32 * MiB;

/** Bench knob: TABSWARM_LOW_WATER_KIB=N opens both tabs with ?lowWaterKiB=N (the links' backpressure threshold). */
// linkTestHook: the hook takes the links' messages from the engine (test-page.ts installs it only on request).
const QUERY = `?linkTestHook=1${process.env['TABSWARM_LOW_WATER_KIB'] ? `&lowWaterKiB=${process.env['TABSWARM_LOW_WATER_KIB']}` : ''}`;

type HookWindow = { __tabswarmLinkTestHook: LinkTestHook };

const peerIdOf = async (page: Page): Promise<string> => {
  await page.waitForFunction(() => /^[0-9a-f]{32}$/.test(document.getElementById('peer-id')?.textContent ?? ''));
  return (await page.textContent('#peer-id'))!;
};

const waitForLink = (page: Page, peerId: string) =>
  page.waitForFunction((id) => (window as unknown as HookWindow).__tabswarmLinkTestHook.linkedPeers().includes(id), peerId);

const send = (page: Page, to: string, total: number): Promise<SendReport> =>
  page.evaluate(([id, bytes, frame]) => (window as unknown as HookWindow).__tabswarmLinkTestHook.sendRandom(id, bytes, frame),
    [to, total, FRAME_BYTES] as const);

async function receivedAll(page: Page, from: string, total: number): Promise<ReceiveReport & { sha256: string }> {
  await page.waitForFunction(([id, bytes]) =>
    ((window as unknown as HookWindow).__tabswarmLinkTestHook.received(id)?.bytes ?? 0) >= bytes, [from, total] as const,
    { timeout: 120_000 });
  return page.evaluate((id) => {
    const hook = (window as unknown as HookWindow).__tabswarmLinkTestHook;
    return { ...hook.received(id)!, sha256: hook.receivedSha256(id)! };
  }, from);
}

const pathOf = (page: Page, peerId: string): Promise<LinkPath | null> =>
  page.evaluate((id) => (window as unknown as HookWindow).__tabswarmLinkTestHook.path(id), peerId);

describe.skipIf(lanIp() === null)('links between a loopback tab and a LAN-address tab', () => {
  const harness = useHarness({ noConsoleErrors: true });

  /** A tab on `url` (with the hook), in a browser profile of its own, and its peer id. */
  async function openHooked(url: string): Promise<{ page: Page; id: string }> {
    const { page } = await harness().openTab(url, { isolated: true });
    return { page, id: await peerIdOf(page) };
  }

  /** A loopback tab that created a swarm and a LAN-address tab that opened its link, linked to each other. */
  async function linkedPair(): Promise<{ local: Page; lan: Page; localId: string; lanId: string }> {
    const h = harness();
    const local = await openHooked(`${h.localUrl}${QUERY}`);
    await local.page.click('#create-swarm');
    const shareLink = await local.page.waitForSelector('#share-link[href*="#swarm="]');
    const lan = await openHooked(`${h.lanUrl()!}${QUERY}${new URL((await shareLink.getAttribute('href'))!).hash}`);
    await Promise.all([waitForLink(local.page, lan.id), waitForLink(lan.page, local.id)]);
    return { local: local.page, lan: lan.page, localId: local.id, lanId: lan.id };
  }

  it('links: the LAN tab is not a secure context and says what is unavailable', async () => {
    const { page: lan } = await openHooked(`${harness().lanUrl()!}${QUERY}`);
    expect(await lan.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await lan.textContent('#notes')).toMatch(/plain http/);
  });

  it('links: the two tabs connect and random frames arrive intact both ways at once', async () => {
    const { local, lan, localId, lanId } = await linkedPair();
    const [sentByLocal, sentByLan] = await Promise.all([
      send(local, lanId, EACH_WAY_BYTES), send(lan, localId, EACH_WAY_BYTES),
    ]);
    const [atLan, atLocal] = await Promise.all([
      receivedAll(lan, localId, EACH_WAY_BYTES), receivedAll(local, lanId, EACH_WAY_BYTES),
    ]);
    expect({ bytes: atLan.bytes, frames: atLan.frames, sha256: atLan.sha256 })
      .toEqual({ bytes: sentByLocal.bytes, frames: sentByLocal.frames, sha256: sentByLocal.sha256 });
    expect({ bytes: atLocal.bytes, frames: atLocal.frames, sha256: atLocal.sha256 })
      .toEqual({ bytes: sentByLan.bytes, frames: sentByLan.frames, sha256: sentByLan.sha256 });
    const path = await pathOf(local, lanId);
    expect(path?.localCandidateType).not.toBeNull();
    console.log('[links] selected pair', JSON.stringify(path), 'max message', await local.evaluate(
      (id) => (window as unknown as HookWindow).__tabswarmLinkTestHook.maxMessageSize(id), lanId));
  });

  it('links: one-way throughput (logged)', async () => {
    const { local, lan, localId, lanId } = await linkedPair();
    const sent = await send(lan, localId, BENCH_BYTES);
    const got = await receivedAll(local, lanId, BENCH_BYTES);
    const seconds = (got.lastAt! - sent.startedAt) / 1000;
    console.log(`[links] ${BENCH_BYTES / MiB} MiB one way in ${seconds.toFixed(2)} s: ${(BENCH_BYTES / 1e6 / seconds).toFixed(1)} MB/s`);
    expect(got.bytes).toBe(BENCH_BYTES);
  });
});
