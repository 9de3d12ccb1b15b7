import type { Page } from 'playwright-core';
import type { FileSnapshot } from '../../../peer/snapshot-types.ts';
import { buildPage, removeBuiltPage } from '../../e2e/harness.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling-server/server.ts';
import type { WaitReady } from './browser.ts';
import { withTimeout } from './timeout.ts';

// Driving tabswarm tabs from a bench: the built page served by the real signaling server on 127.0.0.1
// (as the e2e harness does), files seeded from disk (a disk-backed File, so the seeder holds no copy), and
// waits that read window.tabswarm's snapshot.

export interface TabswarmServer { server: SignalingServer; url: string; close(): Promise<void> }

export async function startTabswarmServer(): Promise<TabswarmServer> {
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: await buildPage() });
  return {
    server,
    url: `http://127.0.0.1:${server.port}/`,
    async close() {
      await server.close();
      await removeBuiltPage();
    },
  };
}

export const tabswarmReady: WaitReady = (page) => page.waitForFunction(() => window.tabswarm?.snapshot().peerId != null);

/** A 1 GiB download at a few MB/s is minutes; longer means a stuck swarm. */
const FILE_TIMEOUT_MS = Number(process.env['TABSWARM_BENCH_FILE_TIMEOUT_MS'] ?? 600_000);

/**
 * Closes a tab and deletes what it stored: a tab opened later in the same browser would otherwise take over its
 * profile (its swarms and pieces) and measure a resume, not a download.
 */
export async function closeForGood(page: Page): Promise<void> {
  await page.evaluate(() => window.tabswarm?.clearAll()).catch(() => undefined);
  await page.close();
}

export const peerIdOf = (page: Page): Promise<string> => page.evaluate(() => window.tabswarm!.snapshot().peerId!);

export const createSwarm = (page: Page): Promise<{ swarmId: string; link: string }> =>
  page.evaluate(() => window.tabswarm!.createSwarm());

/**
 * Seeds a file on disk into the swarm through a file input; resolves with its fileId once announced. The input
 * gets the path by CDP (DOM.setFileInputFiles), so the tab reads a disk-backed File, whatever its size.
 */
export async function seedFromDisk(page: Page, swarmId: string, path: string): Promise<string> {
  await page.evaluate(() => {
    document.getElementById('bench-seed-input')?.remove();
    document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'bench-seed-input', hidden: true }));
  });
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#bench-seed-input' });
    await cdp.send('DOM.setFileInputFiles', { files: [path], nodeId });
  } finally {
    await cdp.detach().catch(() => undefined);
  }
  const seeding = page.evaluate(async (id) => {
    const input = document.getElementById('bench-seed-input') as HTMLInputElement;
    return (await window.tabswarm!.seed(id, [input.files![0]!]))[0]!;
  }, swarmId);
  return withTimeout(seeding, FILE_TIMEOUT_MS, 'seeding');
}

export async function fileOf(page: Page, fileId: string): Promise<FileSnapshot | undefined> {
  return page.evaluate((id) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.fileId === id), fileId);
}

/** Resolves with Date.now() when the file is complete in the tab (polled every 50 ms). */
export async function completedAt(page: Page, fileId: string, timeoutMs = FILE_TIMEOUT_MS): Promise<number> {
  try {
    await page.waitForFunction((id) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files)
      .find((f) => f.fileId === id)?.state === 'complete', fileId, { timeout: timeoutMs, polling: 50 });
  } catch (e) {
    process.stderr.write(`[bench] stuck download, leecher: ${await stateOf(page, fileId).catch(() => '?')}\n`);
    throw e;
  }
  return Date.now();
}

/** One line on a stuck download: the file's state and every link's requests, for the log. */
async function stateOf(page: Page, fileId: string): Promise<string> {
  return JSON.stringify(await page.evaluate((id) => {
    const s = window.tabswarm!.snapshot();
    const f = s.swarms.flatMap((w) => w.files).find((x) => x.fileId === id);
    return {
      file: f && { state: f.state, had: f.piecesHad, of: f.pieceCount, requested: f.piecesRequested, inFlight: f.inFlight, holders: f.holders.map((h) => h.slice(0, 6)) },
      peers: s.peers.map((p) => [p.peerId.slice(0, 6), p.linkState, p.requestsInFlight, p.peerRequestsQueued]),
      counters: s.counters,
    };
  }, fileId));
}

/** Waits until the tab has an open link to each of `peerIds`. */
export async function linkedTo(page: Page, peerIds: string[]): Promise<void> {
  await page.waitForFunction((ids) => {
    const open = new Set(window.tabswarm!.snapshot().peers.filter((p) => p.linkState === 'connected').map((p) => p.peerId));
    return ids.every((id) => open.has(id));
  }, peerIds, { timeout: 30_000 });
}

/** The in-page SHA-256 of the stored file (streamed from IndexedDB). */
export const sha256In = (page: Page, fileId: string): Promise<string> =>
  withTimeout(page.evaluate((id) => window.tabswarm!.sha256(id), fileId), FILE_TIMEOUT_MS, 'sha256');

export const joinSwarm = (page: Page, link: string): Promise<unknown> =>
  page.evaluate((l) => window.tabswarm!.joinSwarm(l), link);

/** The tab's `tabswarm:*` User Timing marks (peer/milestones.ts): milestone → ms since navigation start. */
export const milestonesOf = (page: Page): Promise<Record<string, number>> => page.evaluate(() => Object.fromEntries(
  performance.getEntriesByType('mark').filter((m) => m.name.startsWith('tabswarm:'))
    .map((m) => [m.name.slice('tabswarm:'.length), Math.round(m.startTime)])));

/**
 * Milliseconds since the tab's navigation start at which its first fetched piece was verified. Polled with plain
 * evaluate calls: waitForFunction would inject Playwright's helper script (~13 ms of the tab's main thread) into
 * the very start being timed.
 */
export async function firstPieceAt(page: Page, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const at = await page.evaluate(() => performance.getEntriesByName('tabswarm:first-piece')[0]?.startTime ?? null);
    if (at !== null) return at;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no first piece in time');
}
