import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

// `npm start` (and `npm run simulate`, `npx tabswarm`) as a teacher types them: a mistake is refused with a clear line, before
// anything is served; --help says what the options are.

function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STUN: 'off', TURN: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  // Only a hung command runs this long: each exits at once, after tsx compiled it (a tsx child took 10–17 s to
  // start at load 12, turn-relay-fuzz); the tests keep the server project's 60 s.
  const killer = setTimeout(() => child.kill(), 45_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(killer);
    resolve({ code, output });
  }));
}

it('npm start -- --share with a folder that does not exist: exit 1 before serving anything', async () => {
  const { code, output } = await runScript('commands/start.ts', ['--share', '/nonexistent-tabswarm-lab']);
  expect(code).toBe(1);
  expect(output).toContain('no such file or folder: /nonexistent-tabswarm-lab');
  expect(output).not.toContain('is serving');
});

it('npm start -- --help prints the options and exits', async () => {
  const { code, output } = await runScript('commands/start.ts', ['--help']);
  expect(code).toBe(0);
  expect(output).toMatch(/^usage: npm start -- /);
  expect(output).toContain('--share FILE_OR_FOLDER');
});

it('npm run simulate -- --help prints the options; a mistyped option gets them too, without a stack trace', async () => {
  const help = await runScript('simulator/main.ts', ['--help']);
  expect(help.code).toBe(0);
  expect(help.output).toMatch(/^usage: npm run simulate -- --laptops/);
  const typo = await runScript('simulator/main.ts', ['--laptop', '30']);
  expect(typo.code).toBe(2);
  expect(typo.output).toMatch(/Unknown option '--laptop'[\s\S]*usage: npm run simulate/);
  expect(typo.output).not.toContain('    at ');
});

it('npx tabswarm share with nothing to share prints the usage, not a hashing line', async () => {
  const { code, output } = await runScript('bin/tabswarm.js', ['share']);
  expect(code).toBe(1);
  expect(output).toContain('usage:');
  expect(output).not.toContain('hashing');
});

it('npm start with a HOST this machine does not have says so', async () => {
  // 192.0.2.1 is TEST-NET-1: documentation only, never an address of this machine; binding it fails at once.
  const { code, output } = await runScript('commands/start.ts', [], { HOST: '192.0.2.1', STUN: '0', TURN: 'off' });
  expect(code).toBe(1);
  expect(output).toContain('HOST is not an address of this machine');
});
