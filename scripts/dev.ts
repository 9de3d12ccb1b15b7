import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORT } from '../shared/signaling.ts';

// `npm run dev`: the Vite dev server (HMR, proxies /ws to 127.0.0.1:DEFAULT_PORT) plus the signaling
// server there. Ctrl-C (or either one exiting) ends both.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
/** vite.config.ts proxies /ws here, so the dev signaling server always listens on DEFAULT_PORT. */
const SIGNALING_PORT = String(DEFAULT_PORT);

const children: ChildProcess[] = [
  spawn(bin('tsx'), ['commands/start.ts'], {
    cwd: root, stdio: 'inherit', env: { ...process.env, PORT: SIGNALING_PORT },
  }),
  spawn(bin('vite'), process.argv.slice(2), { cwd: root, stdio: 'inherit' }),
];

let exitCode = 0;
let stopping = false;

function stopAll(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

for (const child of children) {
  child.on('exit', (code) => {
    if (!stopping) {
      exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
