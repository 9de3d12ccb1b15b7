import { describe, expect, it } from 'vitest';
import { ENGINE_DEFAULTS, simulateClass, type ClassOptions } from '../../simulator/class-sim.ts';
import { airtimeBound, httpAirSeconds, Medium, type MediumOptions } from '../../simulator/medium.ts';

// One Wi-Fi channel shared by the class (simulator/medium.ts): a student-to-student byte crosses the air twice, a
// wired teacher's once; the air's bound and HTTP on it; the simulator's class on a wired lab is unchanged by it.

const MiB = 2 ** 20;
const MBIT = 1e6 / 8;
const CLASS: ClassOptions = {
  ...ENGINE_DEFAULTS, laptops: 4, fileBytes: 8 * MiB, uplink: 40 * MBIT, downlink: Infinity, latencyS: 0.001,
  churn: 0, seed: 1, seedOnce: true, smallestPieceLength: 256 * 1024,
};
const wifi = (teacher: 'wired' | 'wifi', airtime = 100 * MBIT): MediumOptions => ({ kind: 'wifi', airtime, teacher });
const links = { fileBytes: 100, seederUp: 10, leecherUps: [5, 5, 5], leecherDowns: [Infinity, Infinity, Infinity] };

describe('wifi medium', () => {
  it('medium: crossings are 2 between students, 1 from a wired teacher, 2 from a teacher on the Wi-Fi, 0 on a wired lab', () => {
    const wired = new Medium(wifi('wired'), 'T');
    expect([wired.crossings('a', 'b'), wired.crossings('T', 'b'), wired.crossings('a', 'T')]).toEqual([2, 1, 1]);
    expect(new Medium(wifi('wifi'), 'T').crossings('T', 'b')).toBe(2);
    expect(new Medium({ kind: 'wired', airtime: Infinity, teacher: 'wired' }, 'T').crossings('a', 'b')).toBe(0);
  });

  it('medium: the airtime bound is max(N·F/A, 2·N·F/(A + u_s)) with a wired teacher, 2·N·F/A on the Wi-Fi', () => {
    expect(airtimeBound(links, wifi('wired', 20))).toBe(Math.max(300 / 20, 600 / 30));
    expect(airtimeBound(links, wifi('wired', 5))).toBe(300 / 5); // the teacher's wire is faster than the air
    expect(airtimeBound(links, wifi('wifi', 20))).toBe(600 / 20);
    expect(httpAirSeconds(links, wifi('wired', 20))).toBe(15);
    expect(httpAirSeconds(links, wifi('wifi', 20))).toBe(30);
    const threeAps = { ...wifi('wired', 20), accessPoints: 3 }; // one student each
    expect(airtimeBound(links, threeAps)).toBe(Math.max(100 / 20, 600 / 70));
    expect(httpAirSeconds(links, threeAps)).toBe(5);
  });

  it('class simulator on wifi: the class stays above the airtime bound and the air carries each copy once or twice', () => {
    const r = simulateClass({ ...CLASS, medium: wifi('wifi', 20 * MBIT) });
    expect(r.binding).toBe('airtime');
    expect(r.completionS!).toBeGreaterThanOrEqual(r.boundS);
    expect(r.vsBound!).toBeLessThanOrEqual(1.15);
    expect(r.airBytesPerFile).toBeGreaterThanOrEqual(2 * 3); // three copies, each crossing twice
    expect(r.airBytesPerFile).toBeLessThanOrEqual(2 * 3 * 1.1); // and few duplicates
    expect(r.httpS).toBeCloseTo(r.boundS, 3); // from a teacher on the same Wi-Fi, HTTP meets the airtime bound
  });

  it('class simulator on wifi, teacher wired and faster than the air: teacher first is as fast as plain HTTP, the old policy not', () => {
    const room = { ...CLASS, laptops: 8, fileBytes: 16 * MiB, uplink: 100 * MBIT, seederUplink: 1000 * MBIT, medium: wifi('wired') };
    const first = simulateClass(room);
    const before = simulateClass({ ...room, teacherFirst: false });
    expect(first.vsHttp!).toBeLessThanOrEqual(1.1); // the first ~0.7 s: the teacher's link has no history yet
    expect(first.airBytesPerFile!).toBeLessThanOrEqual(7 * 1.1); // 7 copies, each crossing the air about once
    expect(before.vsHttp!).toBeGreaterThan(1.5);
  });

  it('class simulator: on a wired lab teacher first changes little (the teacher\'s link is full: it never says it has room)', () => {
    const lab = { ...CLASS, laptops: 12 };
    const first = simulateClass(lab);
    const before = simulateClass({ ...lab, teacherFirst: false });
    expect(first.completionS!).toBeLessThanOrEqual(before.completionS! * 1.05);
    expect(first.seederSentPerFile).toBeLessThanOrEqual(before.seederSentPerFile * 1.05);
  });

  it('class simulator: a wired lab gives the same class with or without the medium option', () => {
    const plain = simulateClass(CLASS);
    const wired = simulateClass({ ...CLASS, medium: { kind: 'wired', airtime: Infinity, teacher: 'wired' } });
    expect(wired.finishS).toEqual(plain.finishS);
    expect(wired.seederSentPerFile).toBe(plain.seederSentPerFile);
  });
});
