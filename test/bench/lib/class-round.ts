import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { Classroom } from '../../e2e/classroom-netns.ts';
import { cpuMeter } from './class-cpu.ts';
import { writeRandomFile } from './random-file.ts';
import { completedAt, createSwarm, joinSwarm, seedFromDisk } from './tabswarm-tabs.ts';

// One class round in the namespaced classroom: laptop 1 (the teacher's) has a file, every other laptop wants it
// at once. tabswarm: laptop 1 seeds it in its page, the others join the swarm. Plain HTTP: laptop 1 serves the
// same bytes from a Node server in its namespace (behind the same uplink cap), the others fetch it with curl.
// Times are seconds from the start of the round to each laptop's verified `complete` (or curl's last byte).

const run = promisify(execFile);
const HTTP_PORT = 7100;

export interface ClassTimes {
  /** Each leecher's finishing time, seconds from the start of the round, sorted. */
  finishS: number[];
  /** Bytes laptop 1's uplink carried in the round, over the file size. */
  seederSentPerFile: number;
  /** Busy share of this machine's CPUs over the round (/proc/stat): near 1, the CPU and not the caps bound it. */
  cpuBusy: number;
  /** The class's own processes' share of the machine (lib/class-cpu.ts); NaN where not measured. */
  classCpu: number;
}

const bytesSent = (page: Page): Promise<number> => page.evaluate(() => window.tabswarm!.snapshot().counters.blockBytesSent);

export async function tabswarmClass(pages: Page[], bytes: number, namespaces: string[]): Promise<ClassTimes> {
  const [teacher, ...leechers] = pages as [Page, ...Page[]];
  const file = await writeRandomFile(bytes);
  try {
    const { swarmId, link } = await createSwarm(teacher);
    const fileId = await seedFromDisk(teacher, swarmId, file.path);
    const sent0 = await bytesSent(teacher);
    const cpu = await cpuMeter(namespaces);
    const t0 = Date.now();
    await Promise.all(leechers.map((page) => joinSwarm(page, link)));
    const done = await Promise.all(leechers.map((page) => completedAt(page, fileId)));
    const shares = await cpu.stop();
    return {
      finishS: done.map((t) => (t - t0) / 1000).sort((a, b) => a - b),
      seederSentPerFile: ((await bytesSent(teacher)) - sent0) / bytes, cpuBusy: shares.machine, classCpu: shares.class,
    };
  } finally {
    await file.remove();
  }
}

/** Every laptop but the first fetches `bytes` from laptop 1's HTTP server at once. */
export async function httpClass(classroom: Classroom, bytes: number): Promise<ClassTimes> {
  const [server, ...clients] = classroom.laptops;
  const file = await writeRandomFile(bytes);
  const script = `const fs=require('fs');require('http').createServer((q,s)=>{s.writeHead(200,{'content-length':${bytes}});` +
    `fs.createReadStream(${JSON.stringify(file.path)}).pipe(s)}).listen(${HTTP_PORT},'0.0.0.0',()=>console.log('READY'))`;
  const child = classroom.spawnIn(server!.ns, process.execPath, ['-e', script]);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('READY')) resolve(); });
      child.once('exit', () => reject(new Error('the HTTP server in laptop 1 exited')));
    });
    const cpu = await cpuMeter([server!.ns, ...clients.map((l) => l.ns)]);
    const t0 = Date.now();
    const url = `http://${server!.ip}:${HTTP_PORT}/lab.bin`;
    const done = await Promise.all(clients.map(async (laptop) => {
      const { stdout } = await run('ip', ['netns', 'exec', laptop.ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{size_download}', url]);
      if (Number(stdout) !== bytes) throw new Error(`curl in ${laptop.ns} got ${stdout} of ${bytes} bytes`);
      return Date.now();
    }));
    const shares = await cpu.stop();
    return { finishS: done.map((t) => (t - t0) / 1000).sort((a, b) => a - b), seederSentPerFile: clients.length, cpuBusy: shares.machine, classCpu: shares.class };
  } finally {
    child.kill('SIGKILL');
    await file.remove();
  }
}
