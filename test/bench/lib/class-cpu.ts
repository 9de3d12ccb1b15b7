import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

// CPU over a class round, as shares of this machine's capacity (/proc/stat, every core): `machine` is everything
// running here (other engineers' jobs included), `class` only the class's own processes: those inside its network
// namespaces (`ip netns pids`), plus this process's children that exited meanwhile (a getter that finished).

const run = promisify(execFile);

export interface CpuShares {
  /** Busy share of the whole machine: near 1, the cores and not the caps set the pace. */
  machine: number;
  /** The class's own processes' share of the machine. */
  class: number;
}

/** [busy, total] jiffies of all CPUs. */
async function machineTicks(): Promise<[number, number]> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return [total - idle, total];
}

/** utime + stime (+ cutime + cstime with `children`) of a process, in jiffies; 0 if it is gone. */
async function processTicks(pid: string, children: boolean): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
  const own = (fields[11] ?? 0) + (fields[12] ?? 0);
  return children ? own + (fields[13] ?? 0) + (fields[14] ?? 0) : own;
}

async function classTicks(namespaces: string[]): Promise<number> {
  let ticks = await processTicks('self', true) - await processTicks('self', false); // exited children
  for (const ns of namespaces) {
    const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) ticks += await processTicks(pid, true);
  }
  return ticks;
}

/** Starts measuring; `stop()` gives the shares since. */
export async function cpuMeter(namespaces: string[]): Promise<{ stop(): Promise<CpuShares> }> {
  const [busy0, total0] = await machineTicks();
  const class0 = await classTicks(namespaces);
  return {
    async stop() {
      const class1 = await classTicks(namespaces);
      const [busy1, total1] = await machineTicks();
      const share = (ticks: number) => Math.round((ticks / Math.max(1, total1 - total0)) * 100) / 100;
      return { machine: share(busy1 - busy0), class: share(class1 - class0) };
    },
  };
}
