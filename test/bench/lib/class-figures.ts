import { ENGINE_DEFAULTS, linksOf, simulateClass, type ClassOptions } from '../../../simulator/class-sim.ts';
import { httpSeconds } from '../../../simulator/bound.ts';
import { httpAirSeconds, WIRED, type MediumOptions } from '../../../simulator/medium.ts';
import type { ClassTimes } from './class-round.ts';
import type { BenchContext } from './context.ts';
import { round2 } from './stats.ts';

// One JSON line per measured class (test/bench/classroom-class.ts and its Node-peer class): tabswarm's completion
// against the bound, the seeder's bytes, plain HTTP and WebTorrent from the same teacher, and what the simulator
// predicts for the same class with its error. A round with this machine's CPUs more than 60 % busy measured the
// cores, not the caps: it is reported (runs, cpuBusy) but does not count.

const MiB = 1024 * 1024;
/** Above this machine-wide CPU share a round is CPU-bound and does not count. */
export const CPU_BOUND_BUSY = 0.6;

export interface ClassSpec {
  /** Laptops including the teacher's. */
  laptops: number;
  uplinkMbit: number;
  /** The teacher's uplink where it differs (a laptop wired to the access point). */
  teacherUplinkMbit?: number;
  bytes: number;
  /** The engine's smallest piece (the page's ?piece=); the simulator uses the same. */
  pieceBytes: number;
  seedOnce: boolean;
  /** What the laptops run: a Chromium each, or `tabswarm get` processes (and a few Chromiums). */
  peers: string;
  /** One shared Wi-Fi channel (classroom-class.ts shapes it in the router namespace); default a wired lab. */
  medium?: MediumOptions;
}

/** Baselines measured on a smaller file (their time is the teacher's uplink, N·F/u_s), scaled to the class's. */
export interface Baseline { times: ClassTimes; bytes: number }

const mbit = (m: number): number => (m * 1e6) / 8;

/**
 * The same class in the simulator: its links, medium and piece length. The measured teacher (a tab, or a sharer
 * started without --uplink) does not know its link's speed, so the simulated one does not either (teacherFirst
 * false): the simulator's default models `--uplink`, with which a 4 Mbit/s teacher sends 6.9 copies (docs/classroom-distribution.md).
 */
function simOptions(spec: ClassSpec): ClassOptions {
  return {
    ...ENGINE_DEFAULTS, laptops: spec.laptops, fileBytes: spec.bytes, uplink: mbit(spec.uplinkMbit), downlink: Infinity, teacherFirst: false,
    ...(spec.teacherUplinkMbit ? { seederUplink: mbit(spec.teacherUplinkMbit) } : {}), medium: spec.medium ?? WIRED,
    latencyS: 0.001, churn: 0, seed: 1, seedOnce: spec.seedOnce, smallestPieceLength: spec.pieceBytes,
  };
}

/** The file a baseline that sends every copy from the teacher uses: the class's, or smaller to stay under `maxS`. */
export function baselineBytes(spec: ClassSpec, maxS: number): number {
  const o = simOptions(spec);
  const links = linksOf(o, spec.laptops - 1);
  const httpS = Math.max(httpSeconds(links), httpAirSeconds(links, o.medium ?? WIRED));
  const step = MiB / 4;
  return httpS <= maxS ? spec.bytes : Math.max(step, Math.floor((spec.bytes * maxS) / httpS / step) * step);
}

const lastS = (t: ClassTimes): number => Math.max(...t.finishS);
const scaledS = (b: Baseline | null, bytes: number): number => (b === null ? NaN : (lastS(b.times) * bytes) / b.bytes);

export function emitClassFigure(ctx: BenchContext, spec: ClassSpec, rounds: ClassTimes[], http: Baseline | null, webtorrent: Baseline | null): void {
  const { laptops, uplinkMbit, bytes } = spec;
  const sim = simulateClass(simOptions(spec)); // its bound and HTTP figures are the medium's too
  const boundS = sim.boundS;
  const counted = rounds.filter((r) => r.cpuBusy <= CPU_BOUND_BUSY);
  const pool = counted.length > 0 ? counted : rounds;
  const best = pool.reduce((a, b) => (lastS(b) < lastS(a) ? b : a));
  const completionS = lastS(best);
  const simS = sim.completionS ?? NaN;
  const httpS = scaledS(http, bytes);
  const webtorrentS = scaledS(webtorrent, bytes);
  ctx.emit({
    bench: 'tabswarm-classroom-class',
    config: {
      laptops, peers: spec.peers, fileMiB: bytes / MiB, pieceKiB: spec.pieceBytes / 1024, uplinkMbit, downlink: 'uncapped',
      ...(spec.teacherUplinkMbit ? { teacherUplinkMbit: spec.teacherUplinkMbit } : {}),
      ...(spec.medium ? { medium: spec.medium.kind, teacher: spec.medium.teacher, airtimeMbit: (spec.medium.airtime * 8) / 1e6 } : {}),
      binding: sim.binding, seedOnce: spec.seedOnce,
      ...(http && http.bytes !== bytes ? { httpFileMiB: http.bytes / MiB } : {}),
      ...(webtorrent && webtorrent.bytes !== bytes ? { webtorrentFileMiB: webtorrent.bytes / MiB } : {}),
    },
    value: {
      laptops, completionS: round2(completionS), boundS: round2(boundS), vsBound: round2(completionS / boundS),
      seederSentPerFile: round2(best.seederSentPerFile), httpS: round2(httpS),
      httpBoundS: round2(sim.httpS), vsHttp: round2(completionS / httpS),
      webtorrentS: round2(webtorrentS), vsWebtorrent: round2(completionS / webtorrentS),
      simS: round2(simS), simError: round2(simS / completionS - 1), cpuBusy: best.cpuBusy, classCpu: best.classCpu,
      countedRounds: counted.length,
    },
    baseline: null, ratio: null, runs: rounds.map((r) => round2(lastS(r))), cpuBusy: rounds.map((r) => r.cpuBusy),
    classCpu: rounds.map((r) => r.classCpu),
    finishS: best.finishS.map(round2), ...(http === null ? {} : { httpFinishS: http.times.finishS.map(round2) }),
    ...(webtorrent === null ? {} : { webtorrentFinishS: webtorrent.times.finishS.map(round2) }),
    limitedBy: counted.length === 0
      ? `cpu (every round above ${CPU_BOUND_BUSY * 100} % busy: the cores, not the caps, set the pace; run it again)`
      : 'links (the uplink caps)',
  });
}
