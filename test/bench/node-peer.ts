import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { BenchBrowser } from './lib/browser.ts';
import type { Bench, BenchContext } from './lib/context.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { writeRandomFile, type RandomFile } from './lib/random-file.ts';
import { compared } from './lib/report.ts';
import { round2 } from './lib/stats.ts';
import {
  completedAt, createSwarm, joinSwarm, seedFromDisk, startTabswarmServer, tabswarmReady, type TabswarmServer,
} from './lib/tabswarm-tabs.ts';

// The Node peer (node-peer/, run as `tabswarm share|get` child processes, as a teacher runs it) against tabs of
// one Chromium with a profile on disk, in the same run: tab → tab is the baseline every transfer compares with.
// Each transfer is clocked from a fresh tab's join call to its file's `complete` (link set-up included, the same
// for every figure). Also: the sharer's resident memory while three tabs fetch a large file from it, and its
// time to first announce against `sha256sum` of the same file.

const MiB = 1024 * 1024;
const BASELINE = 'node-peer:tab-to-tab';
const LINE_TIMEOUT_MS = 600_000;

const mbps = (bytes: number, ms: number): number => round2(bytes / 1e6 / (ms / 1000));

interface NodeChild { child: ChildProcess; output: () => string; waitFor(re: RegExp): Promise<RegExpExecArray>; stop(): Promise<void> }

function runCli(ctx: BenchContext, args: string[], env: Record<string, string>): NodeChild {
  const child = spawn(process.execPath, [path.join(ctx.repoRoot, 'bin/tabswarm.js'), ...args], {
    cwd: ctx.repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    waitFor: (re) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${re} within ${LINE_TIMEOUT_MS} ms:\n${output.slice(-2000)}`)), LINE_TIMEOUT_MS);
      const check = () => {
        const m = re.exec(output);
        if (m) done(null, m);
        else if (child.exitCode !== null) done(new Error(`exited (${child.exitCode}) before ${re}:\n${output.slice(-2000)}`));
      };
      const done = (e: Error | null, m?: RegExpExecArray) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (e) reject(e);
        else resolve(m!);
      };
      waiters.add(check);
      void exited.then(check);
      check();
    }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident set of a process, from /proc (MiB). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return round2(kb / 1024);
}

/** Samples a process's RSS every 250 ms until stopped; returns the peak and the samples. */
function sampleRss(pid: number): { stop(): Promise<{ peakMiB: number; samples: number[] }> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await rssMiB(pid));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { async stop() { running = false; await loop; return { peakMiB: Math.max(...samples), samples }; } };
}

async function freshTab(bb: BenchBrowser, url: string): Promise<Page> {
  return (await bb.openTabs(url, 1, tabswarmReady))[0]!;
}

/** Joins `count` fresh tabs to the link at once; ms until every one has the file complete. */
async function timeTabsFetching(bb: BenchBrowser, url: string, link: string, fileId: string, count: number): Promise<number> {
  const tabs = await Promise.all(Array.from({ length: count }, () => freshTab(bb, url)));
  const started = Date.now();
  await Promise.all(tabs.map((t) => joinSwarm(t, link)));
  const ends = await Promise.all(tabs.map((t) => completedAt(t, fileId)));
  const ms = Math.max(...ends) - started;
  for (const t of tabs) await t.close();
  return ms;
}

const shareArgs = (server: TabswarmServer, file: RandomFile) => ['share', file.path, '--server', server.url];

export const nodePeerBench: Bench = {
  name: 'node-peer',
  async run(ctx) {
    const size = (ctx.quick ? 64 : 256) * MiB;
    const bigSize = (ctx.quick ? 128 : 1024) * MiB;
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'tabswarm-bench-cache-'));
    const outDir = await mkdtemp(path.join(tmpdir(), 'tabswarm-bench-get-'));
    const env = { TABSWARM_CACHE_DIR: cacheDir };
    const server = await startTabswarmServer();
    const bb = await launchDiskBrowser();
    const children: NodeChild[] = [];
    const files: RandomFile[] = [];
    try {
      const file = await writeRandomFile(size, 'transfer.bin');
      files.push(file);
      const seeder = await freshTab(bb, server.url);
      const { swarmId, link } = await createSwarm(seeder);
      const fileId = await seedFromDisk(seeder, swarmId, file.path);

      const tabMs = await timeTabsFetching(bb, server.url, link, fileId, 1);
      ctx.baselines.set(BASELINE, mbps(size, tabMs));
      ctx.emit({ bench: 'node-peer', config: { transfer: 'tab → 1 tab', MiB: size / MiB }, MBps: mbps(size, tabMs), baseline: null, ratio: null });

      const sharer = runCli(ctx, shareArgs(server, file), env);
      children.push(sharer);
      const nodeLink = (await sharer.waitFor(/(http:\/\/\S+#swarm=[0-9a-f]{32})/))[1]!;
      await sharer.waitFor(/Code: [A-Z0-9]{6}/);
      const nodeMs = await timeTabsFetching(bb, server.url, nodeLink, fileId, 1);
      ctx.emit(compared(ctx.baselines, BASELINE, { bench: 'node-peer', config: { transfer: 'node → 1 tab', MiB: size / MiB }, MBps: mbps(size, nodeMs) }));
      await sharer.stop();

      const getStarted = Date.now();
      const getter = runCli(ctx, ['get', link, '--out', outDir, '--server', server.url], env);
      children.push(getter);
      await getter.waitFor(/done: 1 file/);
      const getMs = Date.now() - getStarted;
      ctx.emit(compared(ctx.baselines, BASELINE, {
        bench: 'node-peer', config: { transfer: 'tab → node get (process start to exit)', MiB: size / MiB }, MBps: mbps(size, getMs),
      }));
      await getter.stop();

      const big = await writeRandomFile(bigSize, 'large.bin');
      files.push(big);
      const sumStarted = Date.now();
      spawnSync('sha256sum', [big.path], { stdio: 'ignore' });
      const sumMs = Date.now() - sumStarted;
      const announceStarted = Date.now();
      const bigSharer = runCli(ctx, shareArgs(server, big), env);
      children.push(bigSharer);
      await bigSharer.waitFor(/Code: [A-Z0-9]{6}/);
      const announceMs = Date.now() - announceStarted;
      ctx.emit({
        bench: 'node-peer', config: { what: 'time to first announce (process start to share code), cold', MiB: bigSize / MiB },
        value: { ms: announceMs, sha256sumMs: sumMs, hashMBps: mbps(bigSize, announceMs), sha256sumMBps: mbps(bigSize, sumMs) },
        baseline: 'sha256sum', ratio: round2(sumMs / announceMs),
      });
      await bigSharer.stop();

      const restartStarted = Date.now();
      const warm = runCli(ctx, shareArgs(server, big), env);
      children.push(warm);
      const bigLink = (await warm.waitFor(/(http:\/\/\S+#swarm=[0-9a-f]{32})/))[1]!;
      await warm.waitFor(/Code: [A-Z0-9]{6}/);
      ctx.emit({
        bench: 'node-peer', config: { what: 'time to first announce after a restart (manifest cache)', MiB: bigSize / MiB },
        value: { ms: Date.now() - restartStarted }, baseline: null, ratio: null,
      });

      const bigFileId = await fileIdOfShared(big.path, cacheDir);
      const idleRss = await rssMiB(warm.child.pid!);
      const sampler = sampleRss(warm.child.pid!);
      const threeMs = await timeTabsFetching(bb, server.url, bigLink, bigFileId, 3);
      const rss = await sampler.stop();
      ctx.emit(compared(ctx.baselines, BASELINE, {
        bench: 'node-peer', config: { transfer: 'node → 3 tabs at once, aggregate', MiB: bigSize / MiB }, MBps: mbps(3 * bigSize, threeMs),
      }));
      ctx.emit({
        bench: 'node-peer', config: { what: 'sharer resident memory while 3 tabs fetch', MiB: bigSize / MiB },
        value: { peakRssMiB: rss.peakMiB, idleRssMiB: idleRss, lastRssMiB: rss.samples.at(-1) ?? 0 }, baseline: null, ratio: null,
      });
    } finally {
      for (const c of children) await c.stop();
      await bb.close();
      await server.close();
      for (const f of files) await f.remove();
      await rm(cacheDir, { recursive: true, force: true });
      await rm(outDir, { recursive: true, force: true });
    }
  },
};

/** The fileId the sharer announced, read from its manifest cache (keyed by absolute path). */
async function fileIdOfShared(filePath: string, cacheDir: string): Promise<string> {
  const cache = JSON.parse(await readFile(path.join(cacheDir, 'manifests.json'), 'utf8')) as { files: Record<string, { fileId: string }> };
  return cache.files[path.resolve(filePath)]!.fileId;
}
