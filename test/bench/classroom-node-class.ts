import type { ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClassroom, type Classroom } from '../e2e/classroom-netns.ts';
import { buildPage, CHROMIUM_ARGS } from '../e2e/harness.ts';
import { baselineBytes, emitClassFigure, type ClassSpec } from './lib/class-figures.ts';
import { cpuMeter } from './lib/class-cpu.ts';
import { shapeUplinks } from './lib/class-shaping.ts';
import { httpClass, type ClassTimes } from './lib/class-round.ts';
import type { BenchContext } from './lib/context.ts';
import { joinSwarm, tabswarmReady } from './lib/tabswarm-tabs.ts';
import { withTimeout } from './lib/timeout.ts';

// A class past what one Chromium per laptop fits in 2 cores: laptop 1 runs the teacher's `npm start -- --share`
// (server and sharer in one process) on a lab folder; every other laptop runs `tabswarm get` (class-get-driver.ts,
// loaded before the clock starts), but two, which are Chromium tabs; every uplink capped. More members than the
// engine's link cap, so the class runs on the graph the link manager builds, not a full mesh.

const MiB = 1024 * 1024;
/** A lab folder: 4 files of 4 MiB, 16 pieces of 256 KiB each (the default rule for files under 16 MiB). */
const FILES = 4;
const FILE_BYTES = 4 * MiB;
const CHROMIUM_LAPTOPS = 2;
const PORT = 8080;
const ROUND_TIMEOUT_MS = 900_000;
const REPO = path.resolve(import.meta.dirname, '../..');

interface Round { getters: ChildProcess[]; browsers: Browser[]; pages: Page[]; outs: string[] }

async function writeLabFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-lab-'));
  for (let i = 1; i <= FILES; i++) await writeFile(path.join(dir, `part${i}.bin`), randomFillSync(Buffer.alloc(FILE_BYTES)));
  return dir;
}

/** Resolves with the first match of `re` in the child's output. */
function lineOf(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  let out = '';
  const found = new Promise<RegExpExecArray>((resolve, reject) => {
    const check = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) resolve(m);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before ${re}: ${out.slice(-1500)}`)));
  });
  return withTimeout(found, ROUND_TIMEOUT_MS, what);
}

async function startSharer(classroom: Classroom, lab: string, state: string): Promise<string> {
  const teacher = classroom.laptops[0]!;
  const sharer = classroom.spawnIn(teacher.ns, process.execPath, [
    '--import', 'tsx', path.join(REPO, 'commands/start.ts'), '--port', String(PORT), '--share', lab, '--turn', 'off',
  ], { ...process.env, STATIC_DIR: await buildPage(), STATE_DIR: state, TABSWARM_CACHE_DIR: state });
  if (process.env['TABSWARM_DEBUG']) sharer.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
  sharer.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  const link = lineOf(sharer, /(http:\/\/\S+#swarm=[0-9a-f]{32})/, 'the sharer');
  await lineOf(sharer, /Code: [A-Z0-9]{6}/, 'the sharer');
  return (await link)[1]!;
}

/** Every laptop but the teacher's, loaded and waiting: Node getters, then the Chromium tabs. */
async function prepareRound(classroom: Classroom, state: string): Promise<Round> {
  const round: Round = { getters: [], browsers: [], pages: [], outs: [] };
  const students = classroom.laptops.slice(1);
  const nodeLaptops = students.slice(0, students.length - CHROMIUM_LAPTOPS);
  for (const laptop of nodeLaptops) {
    const getter = classroom.spawnIn(laptop.ns, process.execPath, ['--import', 'tsx', path.join(REPO, 'test/bench/class-get-driver.ts')]);
    round.getters.push(getter);
    round.outs.push(await mkdtemp(path.join(state, 'get-')));
  }
  await Promise.all(round.getters.map((g) => lineOf(g, /READY/, 'a getter')));
  for (const laptop of students.slice(nodeLaptops.length)) {
    const browser = await chromium.launch({ executablePath: await classroom.chromiumIn(laptop.ns), headless: true, args: CHROMIUM_ARGS });
    round.browsers.push(browser);
    const page = await browser.newPage();
    await page.goto(`http://${classroom.laptops[0]!.ip}:${PORT}/`);
    await tabswarmReady(page);
    round.pages.push(page);
  }
  return round;
}

const txBytes = async (classroom: Classroom): Promise<number> => {
  const child = classroom.spawnIn(classroom.laptops[0]!.ns, 'cat', ['/proc/net/dev']);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  const fields = /eth0:\s*(.*)/.exec(out)?.[1]?.trim().split(/\s+/) ?? [];
  return Number(fields[8]); // receive: 8 fields, then transmit bytes
};

async function runRound(classroom: Classroom, link: string, round: Round): Promise<ClassTimes> {
  const server = new URL(link).origin + '/';
  const total = FILES * FILE_BYTES;
  const tx0 = await txBytes(classroom);
  const cpu = await cpuMeter(classroom.laptops.map((l) => l.ns));
  const t0 = Date.now();
  const getterDone = round.getters.map((g, i) => {
    const done = lineOf(g, /DONE (\d+) (\d+)/, 'a getter');
    g.stdin?.write(`go ${link} ${round.outs[i]} ${server}\n`);
    return done.then((m) => Number(m[1]));
  });
  const tabDone = round.pages.map(async (page) => {
    await joinSwarm(page, link);
    await page.waitForFunction((n) => {
      const files = window.tabswarm!.snapshot().swarms.flatMap((s) => s.files);
      return files.length >= n && files.every((f) => f.state === 'complete');
    }, FILES, { timeout: ROUND_TIMEOUT_MS, polling: 100 });
    return Date.now();
  });
  const done = await Promise.all([...getterDone, ...tabDone]);
  const shares = await cpu.stop();
  return {
    finishS: done.map((t) => (t - t0) / 1000).sort((a, b) => a - b),
    seederSentPerFile: ((await txBytes(classroom)) - tx0) / total, cpuBusy: shares.machine, classCpu: shares.class,
  };
}

async function endRound(round: Round): Promise<void> {
  for (const g of round.getters) g.kill('SIGKILL');
  for (const b of round.browsers) await b.close().catch(() => undefined);
  for (const out of round.outs) await rm(out, { recursive: true, force: true });
}

/** `laptops` laptops (the teacher's included) at `uplinkMbit` each; one figure line. */
export async function nodePeerClass(ctx: BenchContext, laptops: number, uplinkMbit: number): Promise<void> {
  const spec: ClassSpec = {
    laptops, uplinkMbit, bytes: FILES * FILE_BYTES, pieceBytes: FILE_BYTES / 16, seedOnce: true,
    peers: `${laptops - 1 - CHROMIUM_LAPTOPS} tabswarm get + ${CHROMIUM_LAPTOPS} Chromium, teacher: npm start -- --share`,
  };
  const classroom = await createClassroom({ laptops, forwarding: true });
  const state = await mkdtemp(path.join(tmpdir(), 'tabswarm-node-class-'));
  const lab = await writeLabFolder();
  try {
    await shapeUplinks(classroom, uplinkMbit);
    const link = await startSharer(classroom, lab, state);
    ctx.log(`classroom-class ${laptops} laptops (Node peers): the teacher shares ${link}`);
    const rounds: ClassTimes[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 2); i++) {
      const round = await prepareRound(classroom, state);
      ctx.log(`classroom-class ${laptops} laptops (Node peers): round ${i + 1} starts`);
      try {
        rounds.push(await runRound(classroom, link, round));
      } finally {
        await endRound(round);
      }
      ctx.log(`classroom-class ${laptops} laptops (Node peers) round ${i + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
    const small = baselineBytes(spec, 75);
    const http = { times: await httpClass(classroom, small), bytes: small };
    ctx.log(`classroom-class ${laptops} laptops (Node peers) HTTP: ${JSON.stringify(http)}`);
    emitClassFigure(ctx, spec, rounds, http, null); // WebTorrent: 24 Chromiums do not fit in 2 cores
  } finally {
    await classroom.destroy();
    await rm(state, { recursive: true, force: true });
    await rm(lab, { recursive: true, force: true });
  }
}
