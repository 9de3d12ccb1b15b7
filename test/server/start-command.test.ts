import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

// `npm start` as a teacher types it: a mistake is refused with a clear line before anything is served.

function runStart(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling-server/main.ts', ...args], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STUN: 'off', TURN: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const killer = setTimeout(() => child.kill(), 15_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(killer);
    resolve({ code, output });
  }));
}

it('npm start -- --share with a folder that does not exist: exit 1 before serving anything', async () => {
  const { code, output } = await runStart(['--share', '/nonexistent-tabswarm-lab']);
  expect(code).toBe(1);
  expect(output).toContain('no such file or folder: /nonexistent-tabswarm-lab');
  expect(output).not.toContain('is serving');
}, 20_000);

it('npm start -- --help prints the options and exits', async () => {
  const { code, output } = await runStart(['--help']);
  expect(code).toBe(0);
  expect(output).toMatch(/usage: npm start -- .*--share/);
}, 20_000);
