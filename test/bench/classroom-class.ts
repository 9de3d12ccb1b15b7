import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ENGINE_DEFAULTS, simulateClass } from '../../simulator/class-sim.ts';
import { bindingTerm, distributionBound, httpSeconds, type ClassLinks } from '../../simulator/bound.ts';
import { endLesson, startLesson } from '../e2e/classroom-lesson.ts';
import { canUseNetns, type Classroom } from '../e2e/classroom-netns.ts';
import { removeBuiltPage } from '../e2e/harness.ts';
import { httpClass, tabswarmClass, type ClassTimes } from './lib/class-round.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { webtorrentClass } from './lib/webtorrent-class.ts';
import { round2 } from './lib/stats.ts';
import { writeRandomFile } from './lib/random-file.ts';
import { completedAt, createSwarm, joinSwarm, linkedTo, seedFromDisk } from './lib/tabswarm-tabs.ts';

// The teacher's question: how long until every laptop has the lab files? A class of laptops in namespaces
// (test/e2e/classroom-netns.ts), every uplink capped by a token bucket, downloads not; laptop 1 has the file and
// the others want it at once. One line per class, with the simulator's keys (simulator/class-sim.ts): the class
// completion, the textbook bound for these links, plain HTTP from laptop 1 and WebTorrent (memory store) measured in
// the same classroom, and what the simulator predicts for the same class (simS), so each run checks the simulator.

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Bigger classes get lower caps so that 2 cores still move every laptop's share (cpuBusy says if they did not). */
const CLASSES = [{ laptops: 4, uplinkMbit: 40 }, { laptops: 8, uplinkMbit: 16 }] as const;
/** Below this CPU share the token buckets, not the cores, set the pace. */
const CPU_BOUND_BUSY = 0.9;

async function shapeUplinks(classroom: Classroom, mbit: number): Promise<void> {
  const tbf = ['root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '100ms'];
  for (const laptop of classroom.laptops) await run('ip', ['netns', 'exec', laptop.ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', ...tbf]);
}

function linksOf(laptops: number, uplinkMbit: number, bytes: number): ClassLinks {
  const up = (uplinkMbit * 1e6) / 8;
  return { fileBytes: bytes, seederUp: up, leecherUps: new Array(laptops - 1).fill(up), leecherDowns: new Array(laptops - 1).fill(Infinity) };
}

async function measureClass(ctx: BenchContext, laptops: number, uplinkMbit: number): Promise<void> {
  const seedOnce = process.env['TABSWARM_CLASS_SEED_ONCE'] !== 'off'; // off: measure the class without the policy
  const lesson = await startLesson(true, { STUN: 'on', TURN: 'off' }, {
    laptops, prepare: (c) => shapeUplinks(c, uplinkMbit), ...(seedOnce ? {} : { query: '&seedOnce=0' }),
  });
  try {
    const { pages, peerIds } = lesson;
    await Promise.all(pages.map((page, i) => linkedTo(page, peerIds.filter((_, j) => j !== i))));
    await warmUp(pages);
    const bytes = 32 * MiB;
    const rounds: ClassTimes[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 2); i++) {
      rounds.push(await tabswarmClass(pages, bytes));
      ctx.log(`classroom-class ${laptops} laptops round ${i + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
    // The baselines do not depend on tabswarm's policy: a run with seed-once off measures tabswarm only.
    const http = seedOnce ? await httpClass(lesson.classroom, bytes) : null;
    ctx.log(`classroom-class ${laptops} laptops HTTP: ${JSON.stringify(http)}`);
    for (const browser of lesson.browsers) await browser.close(); // WebTorrent's laptops get the cores to themselves
    const webtorrent = !seedOnce ? null : await webtorrentClass(lesson.classroom, ctx.repoRoot, bytes).catch((e: unknown) => {
      ctx.log(`classroom-class ${laptops} laptops WebTorrent failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
    ctx.log(`classroom-class ${laptops} laptops WebTorrent: ${JSON.stringify(webtorrent)}`);
    emitClass(ctx, { laptops, uplinkMbit, bytes, seedOnce }, rounds, http, webtorrent);
  } finally {
    await endLesson(lesson);
  }
}

/** Every link carries a first small file untimed (leechers swap its pieces), as in classroom-shaped. */
async function warmUp(pages: Awaited<ReturnType<typeof startLesson>>['pages']): Promise<void> {
  const [teacher, ...leechers] = pages;
  const { swarmId, link } = await createSwarm(teacher!);
  const file = await writeRandomFile(4 * MiB);
  try {
    const fileId = await seedFromDisk(teacher!, swarmId, file.path);
    await Promise.all(leechers.map((page) => joinSwarm(page, link)));
    await Promise.all(leechers.map((page) => completedAt(page, fileId)));
  } finally {
    await file.remove();
  }
}

interface ClassConfig { laptops: number; uplinkMbit: number; bytes: number; seedOnce: boolean }

function emitClass(ctx: BenchContext, c: ClassConfig, rounds: ClassTimes[], http: ClassTimes | null, webtorrent: ClassTimes | null): void {
  const { laptops, uplinkMbit, bytes } = c;
  const links = linksOf(laptops, uplinkMbit, bytes);
  const boundS = distributionBound(links);
  const best = rounds.reduce((a, b) => (Math.max(...b.finishS) < Math.max(...a.finishS) ? b : a));
  const completionS = Math.max(...best.finishS);
  const sim = simulateClass({
    ...ENGINE_DEFAULTS, laptops, fileBytes: bytes, uplink: links.seederUp, downlink: Infinity, latencyS: 0.001,
    churn: 0, seed: 1, seedOnce: c.seedOnce,
  });
  const cpuBusy = Math.max(...rounds.map((r) => r.cpuBusy));
  const webtorrentS = webtorrent === null ? NaN : Math.max(...webtorrent.finishS);
  const httpS = http === null ? NaN : Math.max(...http.finishS);
  ctx.emit({
    bench: 'tabswarm-classroom-class',
    config: { laptops, fileMiB: bytes / MiB, uplinkMbit, downlink: 'uncapped', binding: bindingTerm(links), seedOnce: c.seedOnce },
    value: {
      laptops, completionS: round2(completionS), boundS: round2(boundS), vsBound: round2(completionS / boundS),
      seederSentPerFile: round2(best.seederSentPerFile), httpS: round2(httpS),
      httpBoundS: round2(httpSeconds(links)), vsHttp: round2(completionS / httpS),
      webtorrentS: round2(webtorrentS), vsWebtorrent: round2(completionS / webtorrentS),
      simS: sim.completionS ?? NaN, simVsMeasured: round2((sim.completionS ?? NaN) / completionS), cpuBusy,
    },
    baseline: null, ratio: null, runs: rounds.map((r) => round2(Math.max(...r.finishS))),
    finishS: best.finishS.map(round2), ...(http === null ? {} : { httpFinishS: http.finishS.map(round2) }),
    ...(webtorrent === null ? {} : { webtorrentFinishS: webtorrent.finishS.map(round2) }),
    limitedBy: cpuBusy >= CPU_BOUND_BUSY ? 'cpu (cores busy: the caps were not the only bound)' : 'links (the uplink caps)',
  });
}

export const classroomClassBench: Bench = {
  name: 'classroom-class',
  async run(ctx) {
    if (!canUseNetns()) { ctx.log('classroom-class: needs root (network namespaces, tc), skipped'); return; }
    try {
      const only = process.env['TABSWARM_CLASS_SIZES']?.split(',').map(Number); // e.g. 4: one class size only
      const mbit = Number(process.env['TABSWARM_CLASS_MBIT']); // e.g. 16: every class at that cap instead
      for (const c of CLASSES) {
        if (!only || only.includes(c.laptops)) await measureClass(ctx, c.laptops, mbit > 0 ? mbit : c.uplinkMbit);
      }
    } finally {
      await removeBuiltPage();
    }
  },
};
