import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { endLesson, startLesson } from '../e2e/classroom-lesson.ts';
import { canUseNetns, type Classroom } from '../e2e/classroom-netns.ts';
import { removeBuiltPage } from '../e2e/harness.ts';
import { distributionBound, httpSeconds } from '../../simulator/bound.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { writeRandomFile } from './lib/random-file.ts';
import { compared } from './lib/report.ts';
import { best, round2 } from './lib/stats.ts';
import { completedAt, createSwarm, fileOf, joinSwarm, linkedTo, seedFromDisk } from './lib/tabswarm-tabs.ts';

// Why download from several peers at once: four laptops whose uploads are each capped at UPLINK_MBIT (a token
// bucket on each laptop's egress; test/e2e/classroom-netns.ts: one namespace and one Chromium per laptop, direct
// paths through the teacher's namespace), downloads not. Each sender's uplink, not the CPU, then bounds a transfer,
// as when separate machines share a Wi-Fi where a station's sending is the scarce part; on localhost (tabswarm.ts)
// every tab shares the same two cores instead. (With the downloads capped too, 2 → 1 is capped by the
// downloader's own link and matches 1 → 1: measured 4.5 vs 4.6 MB/s at 40 Mbit/s.)
// Same rounds as tabswarm.ts: B from A (1 → 1), C from A and B (2 → 1), then a new file to B, C and D (1 → 3).

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** A modest station's share of a busy classroom Wi-Fi: low enough that 2 cores move 4× it with CPU to spare. */
const UPLINK_MBIT = 40;
/** One uplink in MB/s (10^6 bytes), the unit of the figures. */
const LINK_MBPS = UPLINK_MBIT / 8;

/** Every laptop's uploads: a token bucket on its own side of its link. */
async function shapeUplinks(classroom: Classroom): Promise<void> {
  const tbf = ['root', 'tbf', 'rate', `${UPLINK_MBIT}mbit`, 'burst', '64kb', 'latency', '100ms'];
  for (const laptop of classroom.laptops) await run('ip', ['netns', 'exec', laptop.ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', ...tbf]);
}

const mbps = (bytes: number, ms: number): number => round2(bytes / 1e6 / (ms / 1000));

async function seedNew(a: Page, bytes: number): Promise<{ link: string; fileId: string; remove: () => Promise<void> }> {
  const { link, swarmId } = await createSwarm(a);
  const file = await writeRandomFile(bytes);
  return { link, fileId: await seedFromDisk(a, swarmId, file.path), remove: () => file.remove() };
}

interface Round { oneToOne: number; twoToOne: number; oneToThree: number; seederSentPerFile: number; completionS: number }

const bytesSent = (page: Page): Promise<number> => page.evaluate(() => window.tabswarm!.snapshot().counters.blockBytesSent);

async function runRound(pages: Page[], bytes: number): Promise<Round> {
  const [a, b, c, d] = pages as [Page, Page, Page, Page];
  const first = await seedNew(a, bytes);
  let t0 = Date.now();
  await joinSwarm(b, first.link);
  const oneToOne = mbps(bytes, (await completedAt(b, first.fileId)) - t0);
  t0 = Date.now();
  await joinSwarm(c, first.link);
  const twoToOne = mbps(bytes, (await completedAt(c, first.fileId)) - t0);
  if (Object.keys((await fileOf(c, first.fileId))!.sources).length < 2) throw new Error('2 → 1: C did not download from both A and B');
  await first.remove();
  const second = await seedNew(a, bytes);
  const sent0 = await bytesSent(a);
  t0 = Date.now();
  await Promise.all([b, c, d].map((page) => joinSwarm(page, second.link)));
  const done = await Promise.all([b, c, d].map((page) => completedAt(page, second.fileId)));
  const seederSentPerFile = round2(((await bytesSent(a)) - sent0) / bytes);
  await second.remove();
  const completionS = (Math.max(...done) - t0) / 1000;
  return { oneToOne, twoToOne, oneToThree: mbps(3 * bytes, Math.max(...done) - t0), seederSentPerFile, completionS };
}

/** 1 → 3 as a class (the keys of classroom-class and the simulator): completion against the textbook bound. */
function classFigures(rounds: Round[], bytes: number): Record<string, number> {
  const up = LINK_MBPS * 1e6;
  const links = { fileBytes: bytes, seederUp: up, leecherUps: [up, up, up], leecherDowns: [Infinity, Infinity, Infinity] };
  const completionS = Math.min(...rounds.map((r) => r.completionS));
  const boundS = distributionBound(links);
  return {
    laptops: 4, completionS: round2(completionS), boundS: round2(boundS), vsBound: round2(completionS / boundS),
    seederSentPerFile: Math.min(...rounds.map((r) => r.seederSentPerFile)), httpBoundS: round2(httpSeconds(links)),
  };
}

async function measure(ctx: BenchContext): Promise<void> {
  const lesson = await startLesson(true, { STUN: 'on', TURN: 'off' }, { laptops: 4, prepare: shapeUplinks });
  try {
    const { pages, peerIds } = lesson;
    await Promise.all(pages.map((page, i) => linkedTo(page, peerIds.filter((_, j) => j !== i))));
    const lobby = await seedNew(pages[0]!, 8 * MiB); // every link carries a first file (leechers swap its pieces) untimed
    await Promise.all(pages.slice(1).map((page) => joinSwarm(page, lobby.link)));
    await Promise.all(pages.slice(1).map((page) => completedAt(page, lobby.fileId)));
    await lobby.remove();
    const fileMiB = ctx.quick ? 16 : 32;
    const rounds: Round[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 2); i++) {
      rounds.push(await runRound(pages, fileMiB * MiB));
      ctx.log(`classroom-shaped round ${i + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
    const oneToOne = best(rounds.map((r) => r.oneToOne));
    ctx.baselines.set('classroom-shaped:1-1', oneToOne);
    const config = { fileMiB, laptops: 4, uplinkMbit: UPLINK_MBIT, uplinkMBps: LINK_MBPS, path: 'direct (srflx), uploads capped' };
    for (const [key, seeders, leechers] of [['oneToOne', 1, 1], ['twoToOne', 2, 1], ['oneToThree', 1, 3]] as const) {
      const runs = rounds.map((r) => r[key]);
      ctx.emit(compared(ctx.baselines, 'classroom-shaped:1-1', {
        bench: 'tabswarm-classroom-shaped', config: { ...config, seeders, leechers, ...(leechers > 1 ? { aggregate: true } : {}) },
        MBps: best(runs), runs, value: {
          bestMBps: best(runs), ofOneUplink: round2(best(runs) / LINK_MBPS),
          // 1 → 3: how many times the seeder's capped uplink carried the file (1 = each byte once, the ideal)
          ...(leechers === 3 ? classFigures(rounds, fileMiB * MiB) : {}),
        },
      }));
    }
  } finally {
    await endLesson(lesson);
  }
}

export const classroomShapedBench: Bench = {
  name: 'classroom-shaped',
  async run(ctx) {
    if (!canUseNetns()) { ctx.log('classroom-shaped: needs root (network namespaces, tc), skipped'); return; }
    try {
      await measure(ctx);
    } finally {
      await removeBuiltPage();
    }
  },
};
