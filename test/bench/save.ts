import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeZip } from 'client-zip';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, CDPSession } from 'playwright-core';
import type { Bench, BenchContext } from './lib/context.ts';
import { launchDiskBrowser } from './lib/disk-browser.ts';
import { createMemoryProbe, openProbedTab } from './lib/memory-probe.ts';
import { writeRandomFile } from './lib/random-file.ts';
import { round2 } from './lib/stats.ts';
import { createSwarm, seedFromDisk, startTabswarmServer, tabswarmReady } from './lib/tabswarm-tabs.ts';
import { withTimeout } from './lib/timeout.ts';

// A big Save in Chromium, as a student's browser does it: a 2 GiB file (256 MiB with --quick) stored in a tab with
// a profile on disk, saved alone (Save) and as a zip with a small file beside it (Save all). Each download is
// checked byte for byte (SHA-256 of the file; for the zip, unzip -t checks every CRC-32 and the entry's SHA-256 is
// compared), and the tab's renderer and the browser process are sampled for resident memory before and during
// the save: "flat" means the peak stays near the idle figure, nowhere near the file's size. A bench, not a
// test: storing 2 GiB and reading it back three times takes minutes and GiBs of disk (docs/saving.md).

const MiB = 1024 * 1024;
const SAVE_TIMEOUT_MS = 600_000;

const sha256File = (file: string): Promise<string> => new Promise((resolve, reject) => {
  const hash = createHash('sha256');
  createReadStream(file).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
});

/** SHA-256 of one zip entry, streamed out of Info-ZIP's unzip after `unzip -t` checked every CRC-32. */
async function sha256InZip(zip: string, entry: string): Promise<string> {
  await runOk('unzip', ['-tq', zip]);
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const child = spawn('unzip', ['-p', zip, entry], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => hash.update(d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`unzip -p exited ${code}`))));
  });
}

function runOk(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    spawn(cmd, args, { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/** Downloads land in `dir` under their own names; resolves with the path of the next finished one. */
async function downloadsInto(browser: Browser, dir: string): Promise<{ next(): Promise<string>; close(): Promise<void> }> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, eventsEnabled: true });
  const names = new Map<string, string>();
  let waiter: ((file: string) => void) | null = null;
  cdp.on('Browser.downloadWillBegin', (e) => void names.set(e.guid, e.suggestedFilename));
  cdp.on('Browser.downloadProgress', (e) => {
    if (e.state === 'completed') waiter?.(path.join(dir, names.get(e.guid)!));
  });
  return {
    next: () => withTimeout(new Promise<string>((resolve) => (waiter = resolve)), SAVE_TIMEOUT_MS, 'download'),
    close: () => cdp.detach().catch(() => undefined),
  };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return round2(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

async function browserPid(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    return processInfo.find((p) => p.type === 'browser')!.id;
  } finally {
    await cdp.detach();
  }
}

/**
 * zip64 past 4 GiB, which a tab cannot cheaply store here: client-zip, configured as zip-blob.ts does, zips a
 * 4.1 GiB entry (one random MiB repeated) and a small one into a file; `unzip -t` checks both and the sizes.
 */
async function zip64Check(ctx: BenchContext, dir: string): Promise<void> {
  const mib = new Uint8Array(randomBytes(MiB));
  const count = 4200; // 4.1 GiB: past the 32-bit size and offset fields
  async function* repeated() {
    for (let i = 0; i < count; i++) yield mib;
  }
  const file = path.join(dir, 'zip64.zip');
  const started = Date.now();
  const zip = makeZip([
    { name: 'lab9/huge.bin', size: count * MiB, lastModified: new Date(), input: repeated() },
    { name: 'lab9/after.txt', input: new TextEncoder().encode('after the 4 GiB mark\n'), lastModified: new Date() },
  ], { buffersAreUTF8: true });
  await pipeline(Readable.fromWeb(zip as never), createWriteStream(file));
  await runOk('unzip', ['-tq', file]);
  const listing = await new Promise<string>((resolve) => {
    let out = '';
    spawn('unzip', ['-Zl', file]).stdout.on('data', (d: Buffer) => void (out += d.toString())).on('end', () => resolve(out));
  });
  const ok = listing.includes(String(count * MiB)) && listing.includes('lab9/after.txt');
  ctx.emit({
    bench: 'save', config: { what: 'zip64 (client-zip in Node, written to disk)', bytes: count * MiB },
    value: { unzipChecksOk: ok ? 1 : 0, seconds: round2((Date.now() - started) / 1000) }, baseline: null, ratio: null,
  });
  await rm(file, { force: true });
  if (!ok) throw new Error(`unzip does not list the 4.1 GiB entry:\n${listing}`);
}

export const saveBench: Bench = {
  name: 'save',
  async run(ctx: BenchContext) {
    const size = ctx.quick ? 256 * MiB : 2048 * MiB;
    const big = await writeRandomFile(size, 'lab-image.bin');
    const small = await writeRandomFile(MiB, 'notes.bin');
    const server = await startTabswarmServer();
    const bb = await launchDiskBrowser();
    const out = await mkdtemp(path.join(tmpdir(), 'tabswarm-bench-save-'));
    try {
      const { page, pid } = await openProbedTab(bb, server.url, tabswarmReady);
      if (pid === null) throw new Error('could not tell the tab\'s renderer process');
      const { swarmId } = await createSwarm(page);
      ctx.log(`save: storing ${size / MiB} MiB in the tab…`);
      const fileId = await seedFromDisk(page, swarmId, big.path);
      await seedFromDisk(page, swarmId, small.path);
      const expected = await sha256File(big.path);
      const downloads = await downloadsInto(bb.browser, out);
      const shell = await browserPid(bb.browser);
      for (const what of ['file', 'zip'] as const) {
        await new Promise((r) => setTimeout(r, 2000)); // let the idle figures settle
        const probe = await createMemoryProbe(page, pid);
        const idle = await probe.sample();
        const idleBrowser = await rssMiB(shell);
        let peakBrowser = idleBrowser;
        const browserTimer = setInterval(() => void rssMiB(shell).then((m) => void (peakBrowser = Math.max(peakBrowser, m))), 250);
        probe.start(250);
        const started = Date.now();
        const done = downloads.next();
        await page.evaluate(([s, f, w]) => (w === 'file' ? window.tabswarm!.save(f) : window.tabswarm!.saveZip(s).then(() => undefined)),
          [swarmId, fileId, what] as const);
        const file = await done;
        const ms = Date.now() - started;
        clearInterval(browserTimer);
        const peak = await probe.stop();
        const got = what === 'file' ? await sha256File(file) : await sha256InZip(file, 'lab-image.bin');
        ctx.emit({
          bench: 'save', config: { what, bytes: size, browser: 'chromium', profile: 'disk' },
          MBps: round2(size / 1e6 / (ms / 1000)),
          value: {
            bytesExact: got === expected ? 1 : 0, seconds: round2(ms / 1000),
            rendererIdleRssMiB: idle.rssMiB, rendererPeakRssMiB: peak.peakRssMiB, rendererPeakAnonMiB: peak.peakAnonMiB,
            browserIdleRssMiB: idleBrowser, browserPeakRssMiB: peakBrowser,
          },
          baseline: null, ratio: null,
        });
        if (got !== expected) throw new Error(`the saved ${what} does not hold the file's bytes`);
        await rm(file, { force: true });
      }
      await downloads.close();
      if (!ctx.quick) await zip64Check(ctx, out);
    } finally {
      await bb.close();
      await server.close();
      await big.remove();
      await small.remove();
      await rm(out, { recursive: true, force: true });
    }
  },
};
