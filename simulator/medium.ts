import type { PeerId } from '../shared/ids.ts';
import type { ClassLinks } from './bound.ts';

// What the laptops' links share. On a wired lab (`--medium wired`, the default) every uplink and downlink is its
// own. On Wi-Fi (`--medium wifi`) the students of one access point also share its channel's airtime: a byte from
// one student to another crosses the air twice (up to the access point, down again), a byte from a teacher wired
// to the access points once, a byte from a teacher on the Wi-Fi twice; with several access points (students
// spread over them in turn, the teacher's on the first) a byte between two of them crosses each one's air once.
// Each channel serves crossings in the order senders offer them, a block's crossings of one channel back to back
// (the access point forwards at once), and a sender offers its next block only when its last one has the air: so
// every sender, the wired teacher too (its congestion window keeps the access point's queue short), gets turns in
// rotation, as stations do on one channel. Real Wi-Fi is less kind to P2P: there the access point is one station
// forwarding every student's download, and gets one turn among all the uploading students.

export type MediumKind = 'wired' | 'wifi';

export interface MediumOptions {
  kind: MediumKind;
  /** Bytes per second of airtime per access point (what one sender alone gets through its channel); wifi only. */
  airtime: number;
  /** Is the teacher's laptop (the seeder) wired to the access points, or on the Wi-Fi? wifi only. */
  teacher: 'wired' | 'wifi';
  /** Access points on separate channels, wired to each other (default 1). */
  accessPoints?: number;
}

export const WIRED: MediumOptions = { kind: 'wired', airtime: Infinity, teacher: 'wired' };

export interface Crossing {
  /** When the sender's uplink may start its next block. */
  senderFreeAt: number;
  /** When the last byte has crossed the links (before latency and the receiver's downlink). */
  doneAt: number;
}

/** The access point of laptop `index` (0: the teacher's). */
const accessPointOf = (index: number, accessPoints: number): number => (index === 0 ? 0 : (index - 1) % accessPoints);

export class Medium {
  private readonly airFreeAt: number[];
  private readonly accessPoint = new Map<PeerId, number>();
  /** Bytes the air carried, counting each crossing (a student-to-student byte on one access point twice). */
  airBytes = 0;

  constructor(private readonly options: MediumOptions, private readonly teacherId: PeerId) {
    this.airFreeAt = new Array<number>(options.accessPoints ?? 1).fill(0);
  }

  /** Laptop `index` of the class (0: the teacher's) is `id`. */
  place(id: PeerId, index: number): void {
    this.accessPoint.set(id, accessPointOf(index, this.airFreeAt.length));
  }

  /** Crossings of the air a block from `from` to `to` makes: 0 on a wired lab. */
  crossings(from: PeerId, to: PeerId): number {
    return (this.onAir(from) ? 1 : 0) + (this.onAir(to) ? 1 : 0);
  }

  /** A block of `bytes` leaves `from`'s uplink (rate `up`) at `now` for `to`. */
  carry(now: number, from: PeerId, to: PeerId, bytes: number, up: number): Crossing {
    const wireDone = now + bytes / up;
    if (this.crossings(from, to) === 0) return { senderFreeAt: wireDone, doneAt: wireDone };
    const hop = bytes / this.options.airtime;
    const cross = (id: PeerId, after: number): number => {
      const ap = this.accessPoint.get(id) ?? 0;
      const end = Math.max(after, this.airFreeAt[ap]!) + hop;
      this.airFreeAt[ap] = end;
      this.airBytes += bytes;
      return end;
    };
    // A sender on the air holds it for its own crossing; the wired teacher hands the block to the access point.
    const up1 = this.onAir(from) ? cross(from, now) : null;
    const down = this.onAir(to) ? cross(to, up1 ?? now) : null;
    const senderFreeAt = up1 ?? (down === null ? now : down - hop);
    return { senderFreeAt: Math.max(wireDone, senderFreeAt), doneAt: Math.max(wireDone, down ?? up1!) };
  }

  private onAir(id: PeerId): boolean {
    return this.options.kind === 'wifi' && (id !== this.teacherId || this.options.teacher === 'wifi');
  }
}

/** Students per access point (laptop 0 is the teacher's). */
function studentsPerAccessPoint(links: ClassLinks, m: MediumOptions): number[] {
  const counts = new Array<number>(m.accessPoints ?? 1).fill(0);
  for (let i = 1; i <= links.leecherUps.length; i++) counts[accessPointOf(i, counts.length)]!++;
  return counts;
}

/**
 * The least time any scheme needs on this medium, besides the link bound (bound.ts). Every student's copy crosses
 * its own access point's air once (T ≥ N_k·F/A for each); every byte not from a wired teacher (at most u_s·T of
 * them) crosses some air once more: T ≥ 2·N·F/(K·A + u_s) for K access points, 2·N·F/(K·A) with the teacher on
 * the Wi-Fi. One access point: max(N·F/A, 2·N·F/(A + u_s)), or 2·N·F/A. 0 on a wired lab.
 */
export function airtimeBound(links: ClassLinks, m: MediumOptions): number {
  if (m.kind === 'wired') return 0;
  const perAp = Math.max(...studentsPerAccessPoint(links, m)) * links.fileBytes / m.airtime;
  const copies = links.leecherUps.length * links.fileBytes;
  const air = (m.accessPoints ?? 1) * m.airtime;
  return Math.max(perAp, (2 * copies) / (air + (m.teacher === 'wifi' ? 0 : links.seederUp)));
}

/** Plain HTTP from the teacher on this medium: every copy from the teacher, up its access point's air too if on Wi-Fi. */
export function httpAirSeconds(links: ClassLinks, m: MediumOptions): number {
  if (m.kind === 'wired') return 0;
  const students = studentsPerAccessPoint(links, m);
  const copies = links.leecherUps.length;
  if (m.teacher === 'wifi') students[0]! += copies; // the teacher's uploads share its access point's air
  return (Math.max(...students) * links.fileBytes) / m.airtime;
}
