import type { PeerId } from '../shared/ids.ts';
import { createPeerBackoff, type PeerBackoff } from '../peer/links/link-backoff.ts';
import { createMateBook, type MateBook } from '../peer/links/link-mates.ts';
import {
  admitLink, attemptTimedOut, countAddresses, LINK_TICK_MS, linksToGiveWay, linkView, offersTo, peersToTry,
  type HeldLink, type LinkCaps,
} from '../peer/links/link-policy.ts';
import type { EventQueue } from './event-queue.ts';
import type { Laptop } from './sim-laptop.ts';
import type { SimNetwork } from './sim-network.ts';

// The links a simulated class builds, with the link manager's own policy (peer/links/link-policy.ts, the same
// backoff and mate order): each laptop seeks `wanted` links among the laptops the server lists, accepts up to
// `max`, the smaller id offers, an unanswered attempt is given up after CONNECT_TIMEOUT_MS and retried after
// the backoff, every LINK_TICK_MS. Signals go through the server (two one-way latencies); a link accepted
// is up LINK_SETUP_S later (ICE, DTLS and SCTP on a LAN). Then both laptops exchange bitfields. A full laptop
// that turned a mate away gives way with its longest-idle link, as the link manager does. Each laptop has an
// address of its own; a hostile student's sockets share one (class-sim.ts), as the server's address tag says.

/** ICE checks, the DTLS handshake and the SCTP association on a LAN: a few round trips and some CPU. */
export const LINK_SETUP_S = 0.1;
const SWARM = 'class';

interface Side {
  laptop: Laptop;
  caps: LinkCaps;
  mates: MateBook;
  backoff: PeerBackoff;
  /** Links, connecting or up, with when they started. */
  links: Map<PeerId, { since: number; up: boolean }>;
  /** Offers we asked for (we are the larger id), with when. */
  asked: Map<PeerId, number>;
  /** Last time we were full for a mate that wanted a link. */
  turnedAwayAt: number | null;
  /** A hostile student's: links to these first (the teacher), then the rest. */
  first: PeerId[];
}

export interface GraphFigures {
  linksMin: number;
  linksMedian: number;
  linksMax: number;
  /** Laptops with a link to the seeder. */
  linkedToSeeder: number;
  /** The most of the seeder's links one address holds (a hostile student's 64 sockets are one address). */
  seederLinksPerAddressMax: number;
  /** Hops from the seeder over links that are up: the farthest laptop and the median one (null: unreachable). */
  hopsMax: number | null;
  hopsMedian: number;
}

export class SimLinks {
  private readonly sides = new Map<PeerId, Side>();
  /** Each laptop's address tag (the server's: one per laptop). */
  private readonly addresses = new Map<PeerId, string>();
  /** Links closed to make room: idle ones for a waiting mate, a crowded address's for another's, idle ones for a newcomer. */
  gaveWay = 0;

  constructor(private readonly events: EventQueue, private readonly net: SimNetwork, private readonly rng: () => number) {}

  /**
   * The laptop joins the swarm: it learns the members, they learn it, and it starts seeking links. `origin`: the
   * peer that announced the file (the teacher), linked to first as the link manager does (link-mates.ts addOrigin).
   * `address`: the laptop's address tag (default its own; a hostile student's sockets share one).
   */
  join(laptop: Laptop, caps: LinkCaps, first: PeerId[] = [], origin?: PeerId, address: string = laptop.id): void {
    const side: Side = {
      laptop, caps, mates: createMateBook(this.rng), backoff: createPeerBackoff(this.rng), links: new Map(), asked: new Map(),
      turnedAwayAt: null, first,
    };
    this.addresses.set(laptop.id, address);
    for (const other of this.sides.values()) {
      side.mates.add(SWARM, other.laptop.id, this.addresses.get(other.laptop.id));
      other.mates.add(SWARM, laptop.id, address);
    }
    if (origin !== undefined && origin !== laptop.id) side.mates.addOrigin(origin);
    this.sides.set(laptop.id, side);
    for (const other of this.sides.values()) this.fill(other); // its 'joined' list, their 'peer-joined'
    const tick = (): void => {
      if (!this.sides.has(laptop.id)) return;
      this.fill(side);
      this.events.after(LINK_TICK_MS / 1000, tick);
    };
    this.events.after((LINK_TICK_MS / 1000) * this.rng(), tick);
  }

  /** The laptop's lid closes: its links end, and the others learn it left. */
  leave(laptop: Laptop): void {
    const side = this.sides.get(laptop.id);
    if (!side) return;
    this.sides.delete(laptop.id);
    this.addresses.delete(laptop.id);
    for (const peerId of side.links.keys()) this.closeOn(peerId, laptop.id);
    for (const other of this.sides.values()) other.mates.remove(SWARM, laptop.id);
    for (const other of this.sides.values()) other.mates.takeStrangers();
    this.net.leave(laptop);
  }

  private now(): number {
    return this.events.now * 1000;
  }

  /** link-manager.ts fill(): drop stale attempts, then offer to or ask the policy's candidates. */
  private fill(side: Side): void {
    const t = this.now();
    for (const [peerId, link] of side.links) if (!link.up && attemptTimedOut(link.since, t)) this.closeOn(side.laptop.id, peerId);
    for (const [peerId, since] of side.asked) {
      if (!attemptTimedOut(since, t)) continue;
      side.asked.delete(peerId);
      side.backoff.afterFailure(peerId, t);
    }
    this.giveWay(side, t);
    const view = this.view(side, t);
    if (Math.min(side.caps.wanted - view.inUse, side.caps.max - view.links) <= view.asked) return; // no room: skip the sort
    for (const peerId of peersToTry(side.caps, view, this.candidates(side))) {
      if (offersTo(side.laptop.id, peerId)) this.offer(side, peerId);
      else {
        side.asked.set(peerId, t);
        this.signal(peerId, (to) => this.onAsk(to, side.laptop.id));
      }
    }
  }

  /** link-manager.ts viewAt(). */
  private view(side: Side, t: number, held = this.uses(side)): ReturnType<typeof linkView> {
    return linkView({
      links: side.links, asked: side.asked, held, addressOf: side.mates.addressOf, mayTry: (p) => side.backoff.mayTry(p, t),
      candidates: () => this.candidates(side),
    }, t);
  }

  private candidates(side: Side): PeerId[] {
    return side.first.length === 0 ? side.mates.candidates() : [...side.first, ...side.mates.candidates()];
  }

  /** link-manager.ts giveWay(). */
  private giveWay(side: Side, t: number): void {
    const held = this.uses(side);
    const idle = linksToGiveWay(side.caps, held, side.turnedAwayAt, t, this.view(side, t, held).othersWait);
    if (idle.length > 0) side.turnedAwayAt = null;
    for (const peerId of idle) this.closeToGiveWay(side, peerId, t);
  }

  private closeToGiveWay(side: Side, peerId: PeerId, t: number): void {
    this.closeOn(side.laptop.id, peerId);
    side.backoff.afterGiveWay(peerId, t);
    this.gaveWay++;
  }

  private uses(side: Side): HeldLink[] {
    return [...side.links].map(([peerId, l]) => ({
      peerId, since: l.since, lastUsed: side.laptop.lastUsed.get(peerId), address: side.mates.addressOf(peerId),
    }));
  }

  /** link-manager.ts admits(). */
  private admits(side: Side, from: PeerId, askedByUs: boolean): boolean {
    const t = this.now();
    const asker = { address: side.mates.addressOf(from), newcomer: side.mates.isNewcomer(from) };
    const held = this.uses(side);
    const verdict = admitLink(side.caps, held, asker, askedByUs, t, this.view(side, t, held).othersWait);
    if (!verdict.accept) {
      if (verdict.waits) side.turnedAwayAt = t;
    } else if (verdict.close !== null) this.closeToGiveWay(side, verdict.close, t);
    return verdict.accept;
  }

  private offer(side: Side, to: PeerId): void {
    side.links.set(to, { since: this.now(), up: false });
    side.asked.delete(to);
    this.signal(to, (remote) => this.onOffer(remote, side.laptop.id));
  }

  /** A request for an offer from a larger id (link-manager.ts onSignal). */
  private onAsk(side: Side, from: PeerId): void {
    if (side.links.has(from) || !offersTo(side.laptop.id, from) || !side.backoff.mayAccept(from, this.now())) return;
    if (this.admits(side, from, false)) this.offer(side, from);
  }

  /** An offer from a smaller id (link-manager.ts onOffer): taken while there is room, or when we asked for it. */
  private onOffer(side: Side, from: PeerId): void {
    if (side.links.has(from) || !side.backoff.mayAccept(from, this.now())) return;
    if (!this.admits(side, from, side.asked.has(from))) return;
    side.asked.delete(from);
    side.links.set(from, { since: this.now(), up: false });
    this.events.after(this.net.latencyS + LINK_SETUP_S, () => this.up(side.laptop.id, from));
  }

  private up(a: PeerId, b: PeerId): void {
    const [sa, sb] = [this.sides.get(a), this.sides.get(b)];
    const [la, lb] = [sa?.links.get(b), sb?.links.get(a)];
    if (!sa || !sb || !la || !lb) return; // one side gave up or left meanwhile
    la.up = lb.up = true;
    sa.mates.markLinked(b);
    sb.mates.markLinked(a);
    sa.laptop.connect(b);
    sb.laptop.connect(a);
  }

  /** Closes the link on `at`'s side (its attempt timed out, or the other side left). */
  private closeOn(at: PeerId, peerId: PeerId): void {
    const side = this.sides.get(at);
    const link = side?.links.get(peerId);
    if (!side || !link) return;
    side.links.delete(peerId);
    side.backoff.afterFailure(peerId, this.now());
    if (link.up) side.laptop.disconnect(peerId);
    const other = this.sides.get(peerId);
    if (other?.links.get(at)) this.closeOn(peerId, at);
  }

  /** Through the server: two one-way latencies. */
  private signal(to: PeerId, deliver: (side: Side) => void): void {
    this.events.after(2 * this.net.latencyS, () => {
      const side = this.sides.get(to);
      if (side) deliver(side);
    });
  }

  /** The graph of links that are up, seen from the seeder. */
  figures(seeder: PeerId): GraphFigures {
    const counts = [...this.sides.values()].map((s) => [...s.links.values()].filter((l) => l.up).length).sort((x, y) => x - y);
    const hops = new Map<PeerId, number>([[seeder, 0]]);
    for (let frontier = [seeder]; frontier.length > 0;) {
      const next: PeerId[] = [];
      for (const p of frontier) {
        for (const [q, l] of this.sides.get(p)?.links ?? []) {
          if (!l.up || hops.has(q)) continue;
          hops.set(q, hops.get(p)! + 1);
          next.push(q);
        }
      }
      frontier = next;
    }
    const others = [...this.sides.keys()].filter((p) => p !== seeder).map((p) => hops.get(p) ?? Infinity).sort((x, y) => x - y);
    const hopsMax = others.length === 0 ? 0 : others[others.length - 1]!;
    const seederLinks = [...(this.sides.get(seeder)?.links ?? [])].filter(([, l]) => l.up).map(([p]) => p);
    const perAddress = countAddresses(seederLinks.map((p) => this.addresses.get(p) ?? p));
    return {
      linksMin: counts[0] ?? 0, linksMedian: counts[counts.length >> 1] ?? 0, linksMax: counts[counts.length - 1] ?? 0,
      linkedToSeeder: seederLinks.length, seederLinksPerAddressMax: Math.max(0, ...perAddress.values()),
      hopsMax: Number.isFinite(hopsMax) ? hopsMax : null, hopsMedian: others[others.length >> 1] ?? 0,
    };
  }
}
