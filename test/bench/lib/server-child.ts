import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ServerLimits } from '../../../signaling-server/hub.ts';
import type { UsageReply } from '../signaling-load-server.ts';
import type { BenchContext } from './context.ts';

// The real signaling server in a child process (signaling-load-server.ts), so its RSS and CPU are its own.

export interface ServerChild { wsUrl: string; httpUrl: string; port: number; usage(): Promise<UsageReply>; stop(): Promise<void> }

/** `limits` override the production defaults; {} runs the server exactly as `npm start` would. */
export async function startServerChild(ctx: BenchContext, limits: Partial<ServerLimits>): Promise<ServerChild> {
  const entry = join(ctx.repoRoot, 'test', 'bench', 'signaling-load-server.ts');
  const child: ChildProcess = fork(entry, [JSON.stringify(limits)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`signaling server exited (${code})`)));
  });
  const pending: ((u: UsageReply) => void)[] = []; // replies come in request order
  child.on('message', (m) => { if ((m as UsageReply).type === 'usage') pending.shift()?.(m as UsageReply); });
  const usage = () => new Promise<UsageReply>((resolve) => { pending.push(resolve); child.send('usage'); });
  const stop = () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.send('stop'); });
  return { wsUrl: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, port, usage, stop };
}
