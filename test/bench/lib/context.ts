import type { Baselines, Emit } from './report.ts';

// What every benchmark gets from the runner, and what it must provide.

export interface BenchContext {
  /** A few-minute version: smaller files, fewer runs, a narrower sweep. */
  quick: boolean;
  emit: Emit;
  baselines: Baselines;
  /** Progress for people, on stderr (stdout carries only JSON figures). */
  log(message: string): void;
  /** Absolute path of the repository (pages, vendor packages, signaling server). */
  repoRoot: string;
}

export interface Bench {
  name: string;
  /** Runs no browser and opens no socket: needs neither the network namespace nor the heavy lock. */
  local?: boolean;
  /** Benches run in this order; a later bench may compare against a baseline an earlier one set. */
  run(ctx: BenchContext): Promise<void>;
}
