import { readdir, readFile } from 'node:fs/promises';

// CPU time per thread of one process, from /proc/PID/task/TID/stat (utime + stime). Chromium names its threads
// (CrRendererMain shows as the process name, Chrome_ChildIOThread, WebRTC_W_and_N, ThreadPoolForegroundWorker…),
// so a renderer's CPU splits into its main thread, its IPC thread and WebRTC's network thread.

/** Linux's USER_HZ: the unit of utime and stime. */
const TICKS_PER_SECOND = 100;

export type ThreadCpu = Map<string, number>;

/** CPU seconds per thread name (numbered threads of one kind summed); empty when the process is gone. */
export async function threadCpu(pid: number | null): Promise<ThreadCpu> {
  const out: ThreadCpu = new Map();
  if (pid === null) return out;
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '#');
    const fields = stat.slice(close + 2).split(' '); // fields[11], [12]: utime, stime (stat fields 14 and 15)
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
  }
  return out;
}

/** CPU ms per MiB each thread spent between two readings (threads under 0.5 ms/MiB left out). */
export function threadMsPerMiB(before: ThreadCpu, after: ThreadCpu, mib: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, seconds] of after) {
    const ms = ((seconds - (before.get(name) ?? 0)) * 1000) / mib;
    if (ms >= 0.5) out[name] = Math.round(ms * 10) / 10;
  }
  return out;
}
