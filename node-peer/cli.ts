import { parseArgs } from 'node:util';
import { startGetting, type GetOutcome, type GetProgress } from './get.ts';
import { formatTree, JoinTargetError, listSwarm } from './get-list.ts';
import { DEFAULT_RULES, type GetRules } from './get-rules.ts';
import { parseLinkRate } from '../shared/link-load.ts';
import { DEFAULT_PORT } from '../shared/signaling.ts';
import { parseServerUrl } from './node-peer.ts';
import { shareWithConsole } from './share-console.ts';
import { ShareInputError } from './shared-files.ts';
import { formatBytes, printable, progressBar } from './terminal.ts';

// `tabswarm share <paths…> [--server URL]` and `tabswarm get <link|code> [--out DIR] [--server URL] …`:
// the Node peer on its own, against a tabswarm server someone else runs (the teacher's `npm start`).

const USAGE = `usage:
  tabswarm share <file or folder>… [--server http://host:8080] [--uplink RATE]
  tabswarm get <join link | swarm id | code> [--out DIR] [--server http://host:8080]
               [--list] [--include GLOB]… [--exclude GLOB]… [--max-files N] [--max-size SIZE]
The server defaults to $TABSWARM_SERVER or http://127.0.0.1:8080; a join link names its own server.
share --uplink RATE: this laptop's link speed, e.g. 1gbit: while it has room it sends every copy itself (Wi-Fi).
get writes into DIR (default: here) only the files its rules take, never over a file already there:
  --list          print the swarm's files as a tree with sizes, and what would be skipped; write nothing
  --include GLOB  take only names matching GLOB (hidden paths such as .vscode/** only this way)
  --exclude GLOB  never take names matching GLOB
  --max-files N   at most N files (default ${DEFAULT_RULES.maxFiles})
  --max-size SIZE at most SIZE in all, e.g. 500M, 40G (default ${formatBytes(DEFAULT_RULES.maxBytes)})`;

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

async function share(paths: string[], server: string, uplink: string | undefined): Promise<void> {
  const uplinkBytesPerSecond = uplink === undefined ? null : parseLinkRate(uplink);
  if (uplink !== undefined && uplinkBytesPerSecond === null) throw new ShareInputError(`--uplink must be a rate such as 100mbit or 1gbit: ${uplink}`);
  const shared = await shareWithConsole({ paths, server, nickname: 'shared folder', log, uplinkBytesPerSecond });
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

/** Every line built from names a peer chose goes out escaped (terminal.ts). */
const say = (line: string): void => log(printable(line));

/** `500M`, `40G`, `1.5GB`, `123456` → bytes (binary units); throws on anything else. */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (m === null) throw new ShareInputError(`not a size: ${text} (expected e.g. 500M or 40G)`);
  return Math.floor(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new ShareInputError(`not a number of files: ${text}`);
  return Number(text);
}

function printOutcome(outcome: GetOutcome, out: string): void {
  log(`\ndone: ${outcome.done.length} file(s) in ${printable(out)}`);
  for (const p of outcome.done) say(`  ${p}`);
  if (outcome.skipped.length > 0) log(`skipped ${outcome.skipped.length} file(s) (see --list, --include):`);
  for (const f of outcome.skipped) say(`  ${f.name}: ${f.reason}`);
  if (outcome.failed.length > 0) log(`failed: ${outcome.failed.length} file(s):`);
  for (const f of outcome.failed) say(`  ${f.name}: ${f.error}`);
}

async function get(target: string, out: string, server: string, rules: Partial<GetRules>): Promise<void> {
  const getting = await startGetting({ target, out, server, rules, onProgress: progressPrinter(), log: say });
  process.once('SIGINT', () => {
    log('\ninterrupted: run the same command again to resume (verified pieces are kept)');
    getting.close();
    process.exit(130);
  });
  let failed = 0;
  try {
    const outcome = await getting.done;
    printOutcome(outcome, out);
    failed = outcome.failed.length;
  } finally {
    getting.close();
  }
  process.exit(failed > 0 ? 1 : 0); // at once: closed links and socket would otherwise hold the process for seconds of timers
}

async function list(target: string, server: string, rules: Pick<GetRules, 'include' | 'exclude'>): Promise<void> {
  for (const line of formatTree(await listSwarm({ target, server, rules }))) log(line);
  process.exit(0);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      server: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' }, list: { type: 'boolean' },
      include: { type: 'string', multiple: true }, exclude: { type: 'string', multiple: true },
      'max-files': { type: 'string' }, 'max-size': { type: 'string' }, uplink: { type: 'string' },
    },
  });
  const rules: Partial<GetRules> = {
    include: values.include ?? [], exclude: values.exclude ?? [],
    ...(values['max-files'] === undefined ? {} : { maxFiles: parseCount(values['max-files']) }),
    ...(values['max-size'] === undefined ? {} : { maxBytes: parseSize(values['max-size']) }),
  };
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) return void log(USAGE);
  if (command === 'share' && rest.length > 0) return share(rest, serverFor(values.server), values.uplink);
  if (command === 'get' && rest.length === 1 && values.list === true) return list(rest[0]!, serverFor(values.server, rest[0]), { include: rules.include ?? [], exclude: rules.exclude ?? [] });
  if (command === 'get' && rest.length === 1) return get(rest[0]!, values.out ?? '.', serverFor(values.server, rest[0]), rules);
  throw new ShareInputError(USAGE);
}

main(process.argv.slice(2)).catch(
  (e: unknown) => {
    const expected = e instanceof ShareInputError || e instanceof JoinTargetError;
    console.error(`\ntabswarm: ${printable(e instanceof Error ? e.message : String(e))}`);
    if (!expected && e instanceof Error && process.env['TABSWARM_DEBUG']) console.error(e.stack);
    process.exit(1);
  },
);
