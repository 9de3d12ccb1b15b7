import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { stopped } from './redis-server.ts';

// A signaling server in a process of its own, started as `npm start` starts it (commands/start.ts), on a
// free port of 127.0.0.1, without STUN/TURN. For tests of several processes sharing state through Redis.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  port: number;
  wsUrl: string;
  httpUrl: string;
  output(): string;
  /** SIGKILL: no clean shutdown, as a crash or a pulled plug. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  // node itself with tsx's loader (not the tsx CLI, which runs node as a child a SIGKILL would not reach)
  const child = spawn(process.execPath, ['--import', 'tsx', 'commands/start.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STUN: 'off', TURN: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    // tsx compiles the server in each new process: at load 15 one took 14 s to start and exit on a bad REDIS_URL
    // (redis-cluster), against 20 s here. Only a hung start takes this long.
    const timer = setTimeout(() => reject(new Error(`server process did not start:\n${out}`)), 45_000);
    const check = () => {
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      const port = Number(match[1]);
      resolve({
        port,
        wsUrl: `ws://127.0.0.1:${port}/ws`,
        httpUrl: `http://127.0.0.1:${port}`,
        output: () => out,
        kill: () => stopped(child, 'SIGKILL'),
        stop: () => stopped(child, 'SIGTERM'),
      });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited (${code}):\n${out}`));
    });
  });
}

/** The process's /healthz. */
export const healthOf = async (p: ServerProcess): Promise<Record<string, unknown>> =>
  (await fetch(`${p.httpUrl}/healthz`)).json() as Promise<Record<string, unknown>>;

/**
 * Resolves once every process says its directory is on Redis. A process serves before it has connected (its
 * sockets from memory), and members who join it meanwhile are not seen by the other processes' members.
 */
export async function redisConnected(processes: ServerProcess[], timeout = 10_000): Promise<void> {
  await vi.waitFor(async () => {
    for (const p of processes) {
      const health = await healthOf(p);
      if ((health['directory'] as { mode?: string } | undefined)?.mode !== 'redis') throw new Error(`not on Redis yet: ${JSON.stringify(health)}`);
    }
  }, { timeout, interval: 100 });
}
