// The bench's output: one JSON line per figure on stdout, each with its baseline and the ratio to it.
// Baselines are figures measured earlier in the same run (the machine is shared: only same-run ratios mean much).

export interface PathInfo { local: string; remote: string; rttMs: number | null }

export interface Figure {
  bench: string;
  config: Record<string, unknown>;
  /** The figure's value: MBps for transfers; other units name their own key in `value`. */
  MBps?: number;
  value?: Record<string, number>;
  /** Where the value comes from: CPU ms per MiB by process, ms since navigation start by milestone… */
  breakdown?: Record<string, Record<string, number>>;
  baseline: string | null;
  ratio: number | null;
  path?: PathInfo;
  runs?: number[];
  /** Class benches: this machine's CPU busy share in each round of `runs`. */
  cpuBusy?: number[];
  /** Class benches: the class's own processes' share of this machine's CPUs in each round. */
  classCpu?: number[];
  /** Class benches: each laptop's finishing time (s), tabswarm's best round and plain HTTP's. */
  finishS?: number[];
  httpFinishS?: number[];
  webtorrentFinishS?: number[];
  /** Class benches: what set the pace, the uplink caps or this machine's cores. */
  limitedBy?: string;
}

/** Named reference figures (e.g. 'raw-channel:best') that later figures compare against. */
export class Baselines {
  readonly #values = new Map<string, number>();

  set(name: string, value: number): void {
    this.#values.set(name, value);
  }

  get(name: string): number | undefined {
    return this.#values.get(name);
  }

  /** The ratio of `value` to the named baseline, rounded; null when that baseline was not measured in this run. */
  ratio(name: string, value: number): number | null {
    const base = this.#values.get(name);
    return base === undefined || base === 0 ? null : Math.round((value / base) * 1000) / 1000;
  }
}

export type Emit = (figure: Figure) => void;

export const emitJsonLine: Emit = (figure) => {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
};

/** A figure compared with the named baseline: `baseline` and `ratio` filled in (ratio null if absent). */
export function compared(baselines: Baselines, baseline: string, figure: Omit<Figure, 'baseline' | 'ratio'>): Figure {
  const value = figure.MBps ?? Object.values(figure.value ?? {})[0] ?? 0;
  return { ...figure, baseline, ratio: baselines.ratio(baseline, value) };
}
