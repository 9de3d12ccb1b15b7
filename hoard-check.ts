import { ENGINE_DEFAULTS, simulateClass } from './simulator/class-sim.ts';
const MiB = 2 ** 20;
const CLASS = { ...ENGINE_DEFAULTS, laptops: 8, fileBytes: 32 * MiB, uplink: 5e6, downlink: Infinity, latencyS: 0.001, churn: 0, seed: 1, seedOnce: true, hoarders: 1, smallestPieceLength: 262144 };
for (const so of [true, false]) { const r = simulateClass({ ...CLASS, seedOnce: so }); console.log(so, r.completionS, r.boundS, r.seederSentPerFile, r.finishS.join(',')); }
