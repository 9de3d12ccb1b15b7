import type { Page } from 'playwright-core';
import type { FileSnapshot } from '../../../client/snapshot-types.ts';
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
const FILE_TIMEOUT_MS = 600_000;

export const peerIdOf = (page: Page): Promise<string> => page.evaluate(() => window.tabswarm!.snapshot().peerId!);

export const createSwarm = (page: Page): Promise<{ swarmId: string; link: string }> =>
  page.evaluate(() => window.tabswarm!.createSwarm());

/** Seeds a file on disk into the swarm through a detached file input; resolves with its fileId once announced. */
export async function seedFromDisk(page: Page, swarmId: string, path: string): Promise<string> {
  const input = await page.evaluateHandle(() => Object.assign(document.createElement('input'), { type: 'file' }));
  await input.setInputFiles(path);
  const seeding = page.evaluate(async ([el, id]) => (await window.tabswarm!.seed(id, [el.files![0]!]))[0]!, [input, swarmId] as const);
  return withTimeout(seeding, FILE_TIMEOUT_MS, 'seeding');
}

export async function fileOf(page: Page, fileId: string): Promise<FileSnapshot | undefined> {
  return page.evaluate((id) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files).find((f) => f.fileId === id), fileId);
}

/** Resolves with Date.now() when the file is complete in the tab (polled every 50 ms). */
export async function completedAt(page: Page, fileId: string): Promise<number> {
  await page.waitForFunction((id) => window.tabswarm!.snapshot().swarms.flatMap((s) => s.files)
    .find((f) => f.fileId === id)?.state === 'complete', fileId, { timeout: FILE_TIMEOUT_MS, polling: 50 });
  return Date.now();
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

/** Milliseconds since the tab's navigation start at which its first fetched piece was verified. */
export async function firstPieceAt(page: Page): Promise<number> {
  const handle = await page.waitForFunction(() => window.tabswarm?.snapshot().counters.firstPieceAtMs || false,
    null, { timeout: 30_000, polling: 10 });
  return Number(await handle.jsonValue());
}
