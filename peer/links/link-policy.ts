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

/** What the policy sees of a peer's links: links (connecting or up) and offers it asked others for. */
export interface LinkView {
  links: number;
  asked: number;
  /** A link or an attempt with this peer exists. */
  has(peerId: PeerId): boolean;
  /** Backoff allows trying this peer now. */
  mayTry(peerId: PeerId): boolean;
}

/** The mates to link to now, in the candidates' order, until links + attempts reach `wanted`. */
export function peersToTry(caps: LinkCaps, view: LinkView, candidates: Iterable<PeerId>): PeerId[] {
  const out: PeerId[] = [];
  let room = caps.wanted - view.links - view.asked;
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
