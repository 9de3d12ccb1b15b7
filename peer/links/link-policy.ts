import type { PeerId } from '../../shared/ids.ts';

// Which links a peer seeks and which it accepts: the one policy the link manager runs (link-manager.ts) and
// the class simulator runs (simulator/sim-links.ts), so a simulated class has the graph a real one gets.
// Pure: the caller keeps its links and attempts and passes what the policy needs to see.
//
// Who offers: the smaller peerId always sends the SDP offer; the larger one asks it for one.
// Caps: a peer seeks links to `wanted` swarm mates (candidates: most shared swarms first, then at random) and
// accepts links others ask for up to `max` in all; past that it ignores offers and requests, and the asker
// gives up after CONNECT_TIMEOUT_MS and tries someone else (link-backoff.ts says when it may retry).
// In a 30-laptop class each tab then holds 8–12 links (~30·10/2 = 150 connections instead of 435).
// Idle links give way: a link that carried no request or block either way for IDLE_LINK_MS does not count toward
// `wanted` (the peer seeks another, up to `max`), and a full peer closes its longest-idle link, one per pass, when
// a mate it turned away lately waits, and as many as it falls short of `wanted` links in use; those peers are then
// kept away (GIVE_WAY_BACKOFF_MS, doubling each time). So a student who holds every link it may and idles loses them to classmates who fetch.

export interface LinkCaps {
  /** Links this peer seeks itself. */
  wanted: number;
  /** Links it holds at most, its own and those others asked for. */
  max: number;
}

/** A browser tab. */
export const TAB_LINK_CAPS: LinkCaps = { wanted: 8, max: 12 };
/** The terminal sharer (`tabswarm share`): it seeds a whole class, so it accepts four times a tab's links. */
export const SHARER_LINK_CAPS: LinkCaps = { wanted: 8, max: 48 };
/** An offer or request unanswered this long means the other side is full or gone; try someone else. */
export const CONNECT_TIMEOUT_MS = 20_000;
/** Periodic pass that drops stale attempts, retries failed links and fills free slots. */
export const LINK_TICK_MS = 2_000;

export function linkCaps(opts: { wantedLinks?: number | undefined; maxLinks?: number | undefined } = {}): LinkCaps {
  const wanted = opts.wantedLinks ?? TAB_LINK_CAPS.wanted;
  return { wanted, max: Math.max(wanted, opts.maxLinks ?? TAB_LINK_CAPS.max) };
}

/** Whether `self` sends the offer for a link with `remote` (else it asks `remote` for one). */
export const offersTo = (self: PeerId, remote: PeerId): boolean => self < remote;

/** What the policy sees of a peer's links: links (connecting or up), those of them in use, and offers it asked for. */
export interface LinkView {
  links: number;
  /** Links not idle (see isIdle): only these count toward `wanted`. */
  inUse: number;
  asked: number;
  /** A link or an attempt with this peer exists. */
  has(peerId: PeerId): boolean;
  /** Backoff allows trying this peer now. */
  mayTry(peerId: PeerId): boolean;
}

/** The mates to link to now, in the candidates' order, until links in use + attempts reach `wanted` (and `max`). */
export function peersToTry(caps: LinkCaps, view: LinkView, candidates: Iterable<PeerId>): PeerId[] {
  const out: PeerId[] = [];
  let room = Math.min(caps.wanted - view.inUse, caps.max - view.links) - view.asked;
  for (const peerId of candidates) {
    if (room <= 0) break;
    if (view.has(peerId) || !view.mayTry(peerId)) continue;
    out.push(peerId);
    room--;
  }
  return out;
}

/** Whether to take a link a mate offers or asks for (`askedByUs`: we asked it for this offer). */
export const acceptsLink = (caps: LinkCaps, links: number, askedByUs: boolean): boolean => askedByUs || links < caps.max;

/** An attempt started at `since` got no answer in time. */
export const attemptTimedOut = (since: number, now: number): boolean => now - since > CONNECT_TIMEOUT_MS;

/** A link that carried no request or block either way this long is idle (an honest one asks within seconds). */
export const IDLE_LINK_MS = 10_000;
/** A mate turned away (we were full) this recently still waits for a link. */
export const WAITING_MATE_MS = 30_000;

export interface LinkUse {
  peerId: PeerId;
  /** When the link came up. */
  since: number;
  /** Last request or block on it either way (the engine's), if any. */
  lastUsed: number | undefined;
}

/** No request or block either way for IDLE_LINK_MS since it came up. */
export const isIdle = (l: LinkUse, now: number): boolean => now - Math.max(l.since, l.lastUsed ?? l.since) >= IDLE_LINK_MS;

export const linksInUse = (links: readonly LinkUse[], now: number): number => links.filter((l) => !isIdle(l, now)).length;

/**
 * The links to close when full, idle longest first: one if a mate was turned away within WAITING_MATE_MS, and as
 * many as fall short of `wanted` in use (we wait ourselves). Empty when not full or nothing idles.
 */
export function linksToGiveWay(caps: LinkCaps, links: readonly LinkUse[], turnedAwayAt: number | null, now: number): PeerId[] {
  if (links.length < caps.max) return [];
  const mateWaits = turnedAwayAt !== null && now - turnedAwayAt <= WAITING_MATE_MS;
  const count = Math.max(mateWaits ? 1 : 0, caps.wanted - linksInUse(links, now));
  const idleSince = (l: LinkUse): number => Math.max(l.since, l.lastUsed ?? l.since);
  return links.filter((l) => isIdle(l, now)).sort((a, b) => idleSince(a) - idleSince(b)).slice(0, count).map((l) => l.peerId);
}
