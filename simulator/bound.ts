// The textbook figures a class is measured against (Kurose & Ross, "Computer Networking", ch. 2; Kumar & Ross
// 2006): the time no distribution scheme can beat, and what one server sending to everyone at once takes.
// Rates in bytes per second, sizes in bytes, times in seconds. Used by the simulator and the bench alike.

export interface ClassLinks {
  fileBytes: number;
  /** The seeder's (teacher's) uplink. */
  seederUp: number;
  /** Each leecher's uplink. */
  leecherUps: readonly number[];
  /** Each leecher's downlink (Infinity when uncapped). */
  leecherDowns: readonly number[];
}

export interface BoundTerms {
  /** F / u_s: the seeder must send every byte once. */
  seeder: number;
  /** F / d_min: the slowest downlink must receive every byte. */
  slowestDownlink: number;
  /** N·F / (u_s + Σu_i): all N copies must cross someone's uplink. */
  totalUplink: number;
}

export function boundTerms(c: ClassLinks): BoundTerms {
  const n = c.leecherUps.length;
  const sumUp = c.leecherUps.reduce((a, b) => a + b, 0);
  return {
    seeder: c.fileBytes / c.seederUp,
    slowestDownlink: n === 0 ? 0 : c.fileBytes / Math.min(...c.leecherDowns),
    totalUplink: (n * c.fileBytes) / (c.seederUp + sumUp),
  };
}

/** D ≥ max(F/u_s, F/d_min, N·F/(u_s + Σu_i)). */
export function distributionBound(c: ClassLinks): number {
  const t = boundTerms(c);
  return Math.max(t.seeder, t.slowestDownlink, t.totalUplink);
}

/** Which term of the bound binds: the one a faster class would have to improve. */
export function bindingTerm(c: ClassLinks): keyof BoundTerms {
  const t = boundTerms(c);
  const entries = Object.entries(t) as [keyof BoundTerms, number][];
  return entries.reduce((best, e) => (e[1] > best[1] ? e : best))[0];
}

/** Client-server distribution (the same chapter): D_cs ≥ max(N·F/u_s, F/d_min); plain HTTP from the teacher reaches it. */
export function httpSeconds(c: ClassLinks): number {
  const n = c.leecherDowns.length;
  return n === 0 ? 0 : Math.max((n * c.fileBytes) / c.seederUp, c.fileBytes / Math.min(...c.leecherDowns));
}
