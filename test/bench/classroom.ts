import type { Page } from 'playwright-core';
import { endLesson, startLesson, type Lesson } from '../e2e/classroom-lesson.ts';
import { canUseNetns } from '../e2e/classroom-netns.ts';
import { playwrightTab, type BrowserTab } from '../e2e/browser-tab.ts';
import { removeBuiltPage } from '../e2e/harness.ts';
import { MiB, randomFile, seedThroughPage, sha256Of, waitForFile } from '../e2e/tabs.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { compared } from './lib/report.ts';
import { best, median, round2 } from './lib/stats.ts';

// tabswarm between two laptops of a classroom (test/e2e/classroom-netns.ts: each laptop its own namespace and
// Chromium, linked only to the teacher's, where the server runs): direct on the teacher STUN's srflx candidates
// (forwarding on, TURN off), and relayed through the teacher's TURN (forwarding off = client isolation).
// Laptop 1 seeds through its page, laptop 2 downloads; timed from the seed being ready to the last piece stored.

const WARM_UP_BYTES = 4 * MiB;
const PATHS = [
  { label: 'direct (srflx)', forwarding: true, env: { STUN: 'on', TURN: 'off' }, relayed: false },
  { label: 'relayed (TURN)', forwarding: false, env: { STUN: 'on', TURN: 'on' }, relayed: true },
] as const;

/** One file laptop 1 → laptop 2; returns MB/s (throws when the stored bytes differ). */
async function download(lesson: Lesson, bytes: number): Promise<number> {
  const [seeder, downloader] = (lesson.pages as [Page, Page]).map(playwrightTab) as [BrowserTab, BrowserTab];
  const file = randomFile(`bench-${bytes}-${Date.now()}.bin`, bytes);
  const fileId = await seedThroughPage(seeder, file);
  const started = Date.now();
  await waitForFile(downloader, fileId, 'complete', 300_000);
  const seconds = (Date.now() - started) / 1000;
  if ((await sha256Of(downloader, fileId)) !== file.sha256) throw new Error('downloaded bytes differ from the seeded file');
  return round2(bytes / 1e6 / seconds);
}

/** The seeder as the downloader sees it, once linked: whether the link is relayed. */
const linkedRelayed = async (lesson: Lesson): Promise<boolean> => {
  const handle = await lesson.pages[1]!.waitForFunction((id) => {
    const peer = window.tabswarm!.snapshot().peers.find((p) => p.peerId === id);
    return peer?.linkState === 'connected' && peer.relayed !== null ? { relayed: peer.relayed } : null;
  }, lesson.peerIds[0]!, { timeout: 60_000 });
  return ((await handle.jsonValue()) as { relayed: boolean }).relayed;
};

async function measurePath(ctx: BenchContext, path: (typeof PATHS)[number]): Promise<void> {
  const fileMiB = ctx.quick ? 32 : 64;
  const lesson = await startLesson(path.forwarding, { ...path.env });
  try {
    const relayed = await linkedRelayed(lesson);
    if (relayed !== path.relayed) throw new Error(`expected relayed=${path.relayed}, the snapshot says ${relayed}`);
    await download(lesson, WARM_UP_BYTES);
    const runs: number[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 2); i++) runs.push(await download(lesson, fileMiB * MiB));
    ctx.log(`classroom ${path.label}: ${runs.join(', ')} MB/s`);
    ctx.emit(compared(ctx.baselines, 'tabswarm:1-1', {
      bench: 'tabswarm-classroom', config: { path: path.label, fileMiB, seeders: 1, leechers: 1, laptops: 'separate namespaces' },
      MBps: best(runs), value: { bestMBps: best(runs), medianMBps: round2(median(runs)) }, runs,
    }));
  } finally {
    await endLesson(lesson);
  }
}

export const classroomBench: Bench = {
  name: 'classroom',
  async run(ctx) {
    if (!canUseNetns()) { ctx.log('classroom: needs root (network namespaces), skipped'); return; }
    try {
      for (const path of PATHS) {
        await measurePath(ctx, path).catch((e: unknown) => ctx.log(`classroom ${path.label} failed: ${e instanceof Error ? e.message : String(e)}`));
      }
    } finally {
      await removeBuiltPage();
    }
  },
};
