import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchContext } from './lib/context.ts';
import { Baselines, emitJsonLine } from './lib/report.ts';
import { ensureVendor } from './lib/vendor.ts';
import { rawChannelBench } from './raw-channel.ts';
import { rawPathsBench } from './raw-paths.ts';
import { webtorrentBench } from './webtorrent.ts';
import { tabswarmBench } from './tabswarm.ts';
import { interleavedBench } from './interleaved.ts';
import { signalingLoadBench } from './signaling-load.ts';
import { classroomBench } from './classroom.ts';
import { classroomShapedBench } from './classroom-shaped.ts';
import { classroomClassBench } from './classroom-class.ts';
import { abuseBench } from './abuse.ts';
import { nodePeerBench } from './node-peer.ts';
import { relayAbuseBench } from './relay-abuse.ts';
import { saveBench } from './save.ts';
import { filesTreeBench } from './files-tree.ts';
import { hallBench } from './hall.ts';
import { engineCpuBench } from './engine-cpu.ts';

// `npm run bench [-- --quick] [-- --only NAME[,NAME]]`: every benchmark, one JSON line per figure on stdout.
// Browsers run inside a private network namespace (scripts/netns-run.sh: lo + veth 10.77.0.1), so WebRTC
// candidates never name this machine's real interfaces; the runner re-executes itself there after the
// benchmark-only packages are installed (that needs the registry, which the namespace cannot reach).

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * In order: raw-channel sets the baseline WebTorrent and tabswarm compare against; webtorrent, tabswarm's second one;
 * interleaved measures all three in alternating rounds (the ratios to trust on a shared machine).
 */
const BENCHES: Bench[] = [
  rawChannelBench, rawPathsBench, webtorrentBench, interleavedBench, tabswarmBench, classroomBench, classroomShapedBench, classroomClassBench,
  signalingLoadBench, hallBench, abuseBench, nodePeerBench, relayAbuseBench, saveBench, filesTreeBench, engineCpuBench,
];
/** 5,000 client sockets in one process plus headroom; the default soft limit is often 1,024. */
const FD_LIMIT = 65_536;

interface Args { quick: boolean; only: string[] | null }

function parseArgs(argv: string[]): Args {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;
  return { quick: argv.includes('--quick'), only };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Re-runs this script inside the namespace with a raised fd limit; returns its exit code. */
function reexecInNamespace(argv: string[]): number {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const command = ['bash', join(repoRoot, 'scripts', 'netns-run.sh'), 'bash', '-c', script, 'bench',
    process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...argv];
  const child = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, TABSWARM_BENCH_CHILD: '1' } });
  return child.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const selected = BENCHES.filter((b) => args.only === null || args.only.includes(b.name));
  if (selected.length === 0) {
    log(`no bench named ${args.only?.join(',')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  if (process.env['TABSWARM_BENCH_CHILD'] === undefined) {
    if (selected.some((b) => ['webtorrent', 'interleaved', 'classroom-class'].includes(b.name))) ensureVendor(repoRoot, log);
    const local = selected.every((b) => b.local === true);
    if (!local && process.getuid?.() === 0 && process.env['TABSWARM_NETNS'] === undefined) return reexecInNamespace(argv);
    if (!local) log('not root or already in a namespace: running here (WebRTC may gather this machine\'s addresses)');
  }
  const ctx: BenchContext = { quick: args.quick, emit: emitJsonLine, baselines: new Baselines(), log, repoRoot };
  let failed = 0;
  for (const bench of selected) {
    log(`${bench.name}${args.quick ? ' (quick)' : ''}…`);
    const started = Date.now();
    try {
      await bench.run(ctx);
    } catch (e) {
      failed++;
      log(`${bench.name} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    log(`${bench.name} took ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
