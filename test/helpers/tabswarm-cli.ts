import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

// `tabswarm …` as a user runs it: a child process with its own output, killed if the test ends first.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Its exit code (null: killed by a signal). */
  exited: Promise<number | null>;
}

/** `openFiles`: the process's open-file limit, soft and hard (a laptop or CI machine set to 1024, say). */
export function runTabswarm(args: string[], opts: { openFiles?: number; env?: Record<string, string> } = {}): CliProcess {
  const command = [process.execPath, path.join(REPO, 'bin/tabswarm.js'), ...args];
  const options: SpawnOptions = { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } };
  const child = opts.openFiles === undefined
    ? spawn(command[0]!, command.slice(1), options)
    : spawn('bash', ['-c', `ulimit -n ${opts.openFiles} && exec "$@"`, 'tabswarm', ...command], options);
  onTestFinished(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => void (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
