import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/context.ts';
import { median, round2 } from './lib/stats.ts';

// CPU per MiB of the engine itself, without a browser: the paths a tab and a Node peer both run (decode, route,
// picker, piece assembly, hash, store call, upload queue, encode), between engines piped together in one Node
// process (engine-cpu-round.ts). With TABSWARM_BENCH_BASELINE=<git ref> (e.g. main) the same rounds run on that
// ref's engine too, checked out into a temp dir, alternating A B B A …, and each ratio (this / baseline) is the
// median of the per-pair ratios with their spread. Run it niced on a shared machine; it needs no lock.

const ROUND_SCRIPT = path.join(import.meta.dirname, 'engine-cpu-round.ts');

interface Shape { leechers: number; mib: number }
interface RoundFigures {
  wallMsPerMiB: number;
  cpuMsPerMiB: number;
  seeder: Record<string, number>;
  leechers: Record<string, number>;
}

/**
 * glibc set to allocate as a tab does: Chromium's PartitionAlloc serves buffers under 960 KiB from reused buckets
 * and maps larger ones afresh. glibc's own default moves its mmap threshold up to the largest buffer freed so far,
 * so one side's 1 MiB frees made the other buffers cheap: the in-memory link's 128 KiB copies cost twice as much
 * once the engine stopped freeing 1 MiB copies (docs/performance.md). TABSWARM_BENCH_MALLOC=glibc keeps glibc's.
 */
const TAB_LIKE_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(960 * 1024), MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024) };

function runRound(ctx: BenchContext, root: string, shape: Shape): Promise<RoundFigures> {
  const args = ['--import', 'tsx', ROUND_SCRIPT, '--root', root, '--mib', String(shape.mib), '--leechers', String(shape.leechers)];
  const env = process.env['TABSWARM_BENCH_MALLOC'] === 'glibc' ? process.env : { ...process.env, ...TAB_LIKE_MALLOC };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ctx.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as RoundFigures);
      else reject(new Error(`engine-cpu round on ${root} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/**
 * A tree in a temp dir, using this repository's node_modules: the baseline ref's, or (ref null) this working tree's
 * files as they are now. Both sides run from copies: a round whose engine came from the tree the round script runs
 * in shared its modules with the script's own (slab store, helpers) and ran 10–25 % slower than the same commit
 * from a copy, which biased every ratio against this side.
 */
async function checkout(ctx: BenchContext, ref: string | null): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-engine-cpu-'));
  const copy = ref === null
    ? 'git -C "$0" ls-files -z --cached --others --exclude-standard | (cd "$0" && tar --null --ignore-failed-read -T - -c) | tar -x -C "$2"'
    : 'git -C "$0" archive "$1" | tar -x -C "$2"';
  execFileSync('bash', ['-c', copy, ctx.repoRoot, ref ?? '', dir], { stdio: ['ignore', 'ignore', 'ignore'] });
  await symlink(path.join(ctx.repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Figures of one side: medians over rounds of each figure, flattened as `role.stage`. */
function flatten(r: RoundFigures): Record<string, number> {
  const out: Record<string, number> = { cpu: r.cpuMsPerMiB, wall: r.wallMsPerMiB };
  for (const role of ['seeder', 'leechers'] as const) for (const [k, v] of Object.entries(r[role])) out[`${role}.${k}`] = v;
  const staged = Object.entries(out).filter(([k]) => k.includes('.')).reduce((a, [, v]) => a + v, 0);
  out['unstaged'] = r.cpuMsPerMiB - staged;
  return out;
}

function medians(rounds: Record<string, number>[]): Record<string, number> {
  const keys = new Set(rounds.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...keys].map((k) => [k, round2(median(rounds.map((r) => r[k] ?? 0)))]));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Per-pair ratios this / baseline of each figure: their median, min and max. */
function ratios(mine: Record<string, number>[], base: Record<string, number>[]): Record<'ratioMedian' | 'ratioMin' | 'ratioMax', Record<string, number>> {
  const out = { ratioMedian: {} as Record<string, number>, ratioMin: {} as Record<string, number>, ratioMax: {} as Record<string, number> };
  for (const k of Object.keys(mine[0] ?? {})) {
    const per = mine.map((m, i) => (m[k] ?? 0) / (base[i]?.[k] ?? Number.NaN)).filter(Number.isFinite);
    if (per.length === 0) continue;
    out.ratioMedian[k] = round3(median(per));
    out.ratioMin[k] = round3(Math.min(...per));
    out.ratioMax[k] = round3(Math.max(...per));
  }
  return out;
}

export const engineCpuBench: Bench = {
  name: 'engine-cpu',
  local: true,
  async run(ctx) {
    const ref = process.env['TABSWARM_BENCH_BASELINE'];
    const thisRoot = await checkout(ctx, null);
    const baseRoot = ref ? await checkout(ctx, ref) : null;
    const rounds = ctx.quick ? 2 : 4;
    const shapes: Shape[] = ctx.quick ? [{ leechers: 1, mib: 64 }, { leechers: 3, mib: 32 }] : [{ leechers: 1, mib: 128 }, { leechers: 3, mib: 64 }];
    try {
      for (const shape of shapes) {
        const mine: Record<string, number>[] = [];
        const base: Record<string, number>[] = [];
        for (let i = 0; i < rounds; i++) {
          // A B, then B A: neither side always runs first (a warm page cache, a quieter minute).
          const order = baseRoot === null ? ['this'] : i % 2 === 0 ? ['this', 'base'] : ['base', 'this'];
          for (const side of order) {
            const figures = flatten(await runRound(ctx, side === 'this' ? thisRoot : baseRoot!, shape));
            (side === 'this' ? mine : base).push(figures);
            ctx.log(`engine-cpu 1 → ${shape.leechers} ${side} round ${i + 1}: ${figures['cpu']} CPU ms/MiB`);
          }
        }
        const malloc = process.env['TABSWARM_BENCH_MALLOC'] === 'glibc' ? 'glibc' : 'tab-like';
        const config = { leechers: shape.leechers, fileMiB: shape.mib, rounds, baseline: ref ?? null, malloc };
        const value = medians(mine);
        const compared = baseRoot === null ? null : ratios(mine, base);
        ctx.emit({
          bench: 'engine-cpu', config, value: { cpuMsPerMiB: value['cpu']! },
          breakdown: { msPerMiB: value, ...(compared === null ? {} : { baselineMsPerMiB: medians(base), ...compared }) },
          baseline: ref ? `engine-cpu@${ref}` : null,
          ratio: compared?.ratioMedian['cpu'] ?? null,
          runs: mine.map((m) => m['cpu']!),
        });
      }
    } finally {
      for (const dir of [thisRoot, baseRoot]) if (dir !== null) await rm(dir, { recursive: true, force: true });
    }
  },
};
