import { parseArgs } from 'node:util';
import { JoinTargetError, startGetting, type GetProgress } from './get.ts';
import { DEFAULT_PORT } from '../shared/signaling.ts';
import { parseServerUrl } from './node-peer.ts';
import { shareWithConsole } from './share-console.ts';
import { ShareInputError } from './shared-files.ts';
import { formatBytes, progressBar } from './terminal.ts';

// `tabswarm share <paths…> [--server URL]` and `tabswarm get <link|code> [--out DIR] [--server URL]`:
// the Node peer on its own, against a tabswarm server someone else runs (the teacher's `npm start`).

const USAGE = `usage:
  tabswarm share <file or folder>… [--server http://host:8080]
  tabswarm get <join link | swarm id | code> [--out DIR] [--server http://host:8080]
The server defaults to $TABSWARM_SERVER or http://127.0.0.1:8080; a join link names its own server.`;

const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_PORT}`;
/** Progress is redrawn at most this often (a TTY) or printed this often (a log). */
const PROGRESS_EVERY_MS = { tty: 250, log: 5000 };

const log = (line: string): void => console.log(line);

/** --server, else the join link's own origin, else $TABSWARM_SERVER, else the local default. */
function serverFor(given: string | undefined, target?: string): string {
  if (given !== undefined) return parseServerUrl(given).href;
  if (target !== undefined && /^https?:\/\//.test(target)) return new URL(target).origin + new URL(target).pathname;
  return process.env['TABSWARM_SERVER'] ?? DEFAULT_SERVER;
}

async function share(paths: string[], server: string): Promise<void> {
  const shared = await shareWithConsole({ paths, server, nickname: 'shared folder', log });
  const stop = () => {
    shared.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function progressPrinter(): (p: GetProgress) => void {
  const tty = process.stdout.isTTY === true;
  let last = 0;
  let resumedSaid = false;
  return (p) => {
    const resumed = p.files.reduce((n, f) => n + f.piecesResumed, 0);
    if (resumed > 0 && !resumedSaid) {
      resumedSaid = true;
      log(`resuming: ${resumed} of ${p.files.reduce((n, f) => n + f.pieceCount, 0)} pieces were already on disk and verified`);
    }
    const now = Date.now();
    if (now - last < (tty ? PROGRESS_EVERY_MS.tty : PROGRESS_EVERY_MS.log) && p.doneBytes < p.totalBytes) return;
    last = now;
    const line = `${progressBar(p.doneBytes, p.totalBytes)} ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} in ${p.files.length} file(s)  ${formatBytes(p.bytesPerSecond)}/s`;
    if (tty) process.stdout.write(`\r${line}\u001b[K`);
    else log(line);
  };
}

async function get(target: string, out: string, server: string): Promise<void> {
  const getting = await startGetting({ target, out, server, onProgress: progressPrinter(), log });
  process.once('SIGINT', () => {
    log('\ninterrupted: run the same command again to resume (verified pieces are kept)');
    getting.close();
    process.exit(130);
  });
  try {
    const paths = await getting.done;
    log(`\ndone: ${paths.length} file(s) in ${out}`);
    for (const p of paths) log(`  ${p}`);
  } finally {
    getting.close();
  }
  process.exit(0); // at once: closed links and socket would otherwise hold the process for seconds of timers
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { server: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) return void log(USAGE);
  if (command === 'share' && rest.length > 0) return share(rest, serverFor(values.server));
  if (command === 'get' && rest.length === 1) return get(rest[0]!, values.out ?? '.', serverFor(values.server, rest[0]));
  throw new ShareInputError(USAGE);
}

main(process.argv.slice(2)).catch(
  (e: unknown) => {
    const expected = e instanceof ShareInputError || e instanceof JoinTargetError;
    console.error(`\ntabswarm: ${e instanceof Error ? e.message : String(e)}`);
    if (!expected && e instanceof Error && process.env['TABSWARM_DEBUG']) console.error(e.stack);
    process.exit(1);
  },
);
