import type { PeerId } from '../shared/ids.ts';
import type { ClassLinks } from './bound.ts';

// What the laptops' links share. On a wired lab (`--medium wired`, the default) every uplink and downlink is its
// own. On one Wi-Fi access point (`--medium wifi`) every laptop also shares one channel's airtime: a byte from one
// student to another crosses the air twice (up to the access point, down again), a byte from a teacher wired to
// the access point once, a byte from a teacher on the same Wi-Fi twice. The air serves blocks in the order their
// senders offer them, each holding it for its crossings back to back (the access point forwards at once), and a
// sender offers its next block only when its last one has the air: so every sender, the wired teacher too (its
// congestion window keeps the access point's queue short), gets turns in rotation, as stations do on one channel.

export type MediumKind = 'wired' | 'wifi';

export interface MediumOptions {
  kind: MediumKind;
  /** Bytes per second of airtime (what one sender alone would get through the channel); wifi only. */
  airtime: number;
  /** Is the teacher's laptop (the seeder) wired to the access point, or on the same Wi-Fi? wifi only. */
  teacher: 'wired' | 'wifi';
}

export const WIRED: MediumOptions = { kind: 'wired', airtime: Infinity, teacher: 'wired' };

export interface Crossing {
  /** When the sender's uplink may start its next block. */
  senderFreeAt: number;
  /** When the last byte has crossed the links (before latency and the receiver's downlink). */
  doneAt: number;
}

export class Medium {
  private airFreeAt = 0;
  /** Bytes the air carried, counting each crossing (a student-to-student byte twice). */
  airBytes = 0;

  constructor(private readonly options: MediumOptions, private readonly teacherId: PeerId) {}

  /** Crossings of the air a block from `from` to `to` makes: 0 on a wired lab. */
  crossings(from: PeerId, to: PeerId): number {
    if (this.options.kind === 'wired') return 0;
    return (this.onAir(from) ? 1 : 0) + (this.onAir(to) ? 1 : 0);
  }

  /** A block of `bytes` leaves `from`'s uplink (rate `up`) at `now` for `to`. */
  carry(now: number, from: PeerId, to: PeerId, bytes: number, up: number): Crossing {
    const wireDone = now + bytes / up;
    const hops = this.crossings(from, to);
    if (hops === 0) return { senderFreeAt: wireDone, doneAt: wireDone };
    const start = Math.max(now, this.airFreeAt);
    const hop = bytes / this.options.airtime;
    this.airFreeAt = start + hops * hop;
    this.airBytes += hops * bytes;
    // A sender on the air holds it for its own crossing; the wired teacher hands the block to the access point.
    return { senderFreeAt: Math.max(wireDone, this.onAir(from) ? start + hop : start), doneAt: Math.max(wireDone, this.airFreeAt) };
  }

  private onAir(id: PeerId): boolean {
    return id !== this.teacherId || this.options.teacher === 'wifi';
  }
}

/**
 * The least time any scheme needs on this medium, besides the link bound (bound.ts): N copies must arrive over
 * the air; a wired teacher's bytes cross it once (at most u_s·T of them), everyone else's twice. So
 * T ≥ max(N·F/A, 2·N·F/(A + u_s)) with a wired teacher, T ≥ 2·N·F/A with one on the Wi-Fi. 0 on a wired lab.
 */
export function airtimeBound(links: ClassLinks, m: MediumOptions): number {
  if (m.kind === 'wired') return 0;
  const copies = links.leecherUps.length * links.fileBytes;
  if (m.teacher === 'wifi') return (2 * copies) / m.airtime;
  return Math.max(copies / m.airtime, (2 * copies) / (m.airtime + links.seederUp));
}

/** Plain HTTP from the teacher on this medium: every copy from the teacher, crossing the air once (wired) or twice. */
export function httpAirSeconds(links: ClassLinks, m: MediumOptions): number {
  if (m.kind === 'wired') return 0;
  const copies = links.leecherUps.length * links.fileBytes;
  return (copies * (m.teacher === 'wifi' ? 2 : 1)) / m.airtime;
}
