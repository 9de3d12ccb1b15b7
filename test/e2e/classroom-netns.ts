import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// A classroom made of network namespaces: a teacher namespace and one namespace per laptop, each laptop
// linked ONLY to the teacher by a veth pair (laptop N: 10.88.N.2/24, teacher 10.88.N.1/24). Forwarding off
// in the teacher is client isolation; on, the laptops reach each other through it. Every link lives in
// namespaces made here (never this machine's own), and destroy() removes them all; so does this process's exit
// if a test never reached destroy(), and the next createClassroom() removes those of a process that was killed.
// Spawned commands get a stdin pipe: each ends when its pipe does (the test process died).

const run = promisify(execFile);
const NAME_PREFIX = 'tswc';

export interface Laptop {
  ns: string;
  ip: string;
  /** The teacher's address on this laptop's link: where its browser opens the page. */
  teacherIp: string;
}

export interface Classroom {
  teacherNs: string;
  laptops: Laptop[];
  /** Spawns a command inside a namespace (killed by destroy()). */
  spawnIn(ns: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** An executable that runs Chromium inside the namespace, for playwright-core's executablePath. */
  chromiumIn(ns: string): Promise<string>;
  /** Whether a TCP connection from `ns` to host:port completes within a second. */
  canConnect(ns: string, host: string, port: number): Promise<boolean>;
  destroy(): Promise<void>;
}

const ip = (...args: string[]) => run('ip', args);
export const canUseNetns = (): boolean => process.getuid?.() === 0;

/** Namespaces left by a test process that died before its cleanup (its pid is in their name). */
async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await ip('netns', 'list').catch(() => ({ stdout: '' }));
  for (const name of stdout.split('\n').map((line) => line.split(' ')[0] ?? '')) {
    const pid = Number(/^tswc(\d+)x/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      await ip('netns', 'delete', name).catch(() => undefined);
    }
  }
}

async function linkLaptop(teacherNs: string, laptop: Laptop, index: number): Promise<void> {
  const teacherSide = `lap${index}`;
  await ip('-n', teacherNs, 'link', 'add', teacherSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', laptop.ns);
  await ip('-n', teacherNs, 'addr', 'add', `${laptop.teacherIp}/24`, 'dev', teacherSide);
  await ip('-n', teacherNs, 'link', 'set', teacherSide, 'up');
  await ip('-n', laptop.ns, 'link', 'set', 'lo', 'up');
  await ip('-n', laptop.ns, 'addr', 'add', `${laptop.ip}/24`, 'dev', 'eth0');
  await ip('-n', laptop.ns, 'link', 'set', 'eth0', 'up');
  await ip('-n', laptop.ns, 'route', 'add', 'default', 'via', laptop.teacherIp);
}

export async function createClassroom(opts: { laptops: number; forwarding: boolean }): Promise<Classroom> {
  await removeStaleNamespaces();
  const tag = `${NAME_PREFIX}${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  const teacherNs = `${tag}-teacher`;
  const laptops = Array.from({ length: opts.laptops }, (_, i): Laptop => ({
    ns: `${tag}-laptop${i + 1}`, ip: `10.88.${i + 1}.2`, teacherIp: `10.88.${i + 1}.1`,
  }));
  const children = new Set<ChildProcess>();
  const tmp = await mkdtemp(path.join(tmpdir(), 'tabswarm-classroom-'));
  const namespaces = [teacherNs, ...laptops.map((l) => l.ns)];
  const removeAtExit = () => {
    for (const child of children) child.kill('SIGKILL');
    for (const ns of namespaces) try { execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' }); } catch { /* gone */ }
  };
  process.once('exit', removeAtExit);
  const destroy = async () => {
    process.off('exit', removeAtExit);
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([...children].map((child) => child.exitCode ?? child.signalCode ?? new Promise((r) => child.once('exit', r))));
    for (const ns of namespaces) await ip('netns', 'delete', ns).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    for (const ns of namespaces) await ip('netns', 'add', ns);
    await ip('-n', teacherNs, 'link', 'set', 'lo', 'up');
    for (const [i, laptop] of laptops.entries()) await linkLaptop(teacherNs, laptop, i + 1);
    await run('ip', ['netns', 'exec', teacherNs, 'sysctl', '-qw', `net.ipv4.ip_forward=${opts.forwarding ? 1 : 0}`]);
  } catch (error) {
    await destroy();
    throw error;
  }
  const spawnIn = (ns: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const chromiumIn = async (ns: string) => {
    const file = path.join(tmp, `chromium-${ns}`);
    await writeFile(file, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
    await chmod(file, 0o755);
    return file;
  };
  const canConnect = async (ns: string, host: string, port: number) => {
    const probe = `const s=require('net').connect(${port},'${host}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),1000)`;
    return run('ip', ['netns', 'exec', ns, process.execPath, '-e', probe]).then(() => true, () => false);
  };
  return { teacherNs, laptops, spawnIn, chromiumIn, canConnect, destroy };
}
