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
// Addresses: the server tells each mate's address tag (one per laptop: shared/signaling.ts), and one address holds
// at most ADDRESS_SHARE of a peer's links while a mate of another address could use the slot (otherAddressWaits):
// a mate of a crowded address is turned away, room or not; a full peer takes a mate of another address in place
// of a link of the address holding the most, busy or not (a script's 64 sockets are one laptop), and closes links
// beyond the share at its next pass; those do not count toward `wanted`. Peers to try: other addresses first.
// Newcomers (mates never linked to): a full peer takes one in place of its longest-idle link; the sharer keeps
// `reserved` links that only newcomers may take. Where every peer has one address (loopback tests, a class behind
// one NAT) no other address waits, so nothing is capped. docs/classroom-distribution.md says why.

export interface LinkCaps {
  /** Links this peer seeks itself. */
  wanted: number;
  /** Links it holds at most, its own and those others asked for. */
  max: number;
  /** Of `max`, links only a newcomer (a mate never linked to before) may take. */
  reserved: number;
}

/** A browser tab. */
export const TAB_LINK_CAPS: LinkCaps = { wanted: 8, max: 12, reserved: 0 };
/**
 * The terminal sharer (`tabswarm share`): it seeds a whole class, so it accepts four times a tab's links, and
 * keeps a sixth of them for students it has not served yet (a class of 48+ still has newcomers linking at once).
 */
export const SHARER_LINK_CAPS: LinkCaps = { wanted: 8, max: 48, reserved: 8 };
/** Of a peer's links, what one address (a laptop's tabs) holds before mates of other addresses come first. */
export const ADDRESS_SHARE = 4;
/** An offer or request unanswered this long means the other side is full or gone; try someone else. */
export const CONNECT_TIMEOUT_MS = 20_000;
/** Periodic pass that drops stale attempts, retries failed links and fills free slots. */
export const LINK_TICK_MS = 2_000;

export function linkCaps(opts: { wantedLinks?: number | undefined; maxLinks?: number | undefined; reservedLinks?: number | undefined } = {}): LinkCaps {
  const wanted = opts.wantedLinks ?? TAB_LINK_CAPS.wanted;
  const max = Math.max(wanted, opts.maxLinks ?? TAB_LINK_CAPS.max);
  return { wanted, max, reserved: Math.min(max - wanted, opts.reservedLinks ?? 0) };
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
  /** The mate's address tag (its peerId when the server named none). */
  addressOf(peerId: PeerId): string;
  /** Links and attempts per address tag. */
  byAddress: ReadonlyMap<string, number>;
}

/** How many links each address holds, from the links' addresses. */
export function countAddresses(addresses: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of addresses) counts.set(a, (counts.get(a) ?? 0) + 1);
  return counts;
}

/**
 * The mates to link to now, until links in use + attempts reach `wanted` (and `max`): in the candidates' order,
 * except that a mate whose address already holds ADDRESS_SHARE of our links comes after every other.
 */
export function peersToTry(caps: LinkCaps, view: LinkView, candidates: Iterable<PeerId>): PeerId[] {
  const out: PeerId[] = [];
  const later: PeerId[] = [];
  const byAddress = new Map(view.byAddress);
  let room = Math.min(caps.wanted - view.inUse, caps.max - view.links) - view.asked;
  const take = (peerId: PeerId): void => {
    const address = view.addressOf(peerId);
    byAddress.set(address, (byAddress.get(address) ?? 0) + 1);
    out.push(peerId);
    room--;
  };
  for (const peerId of candidates) {
    if (room <= 0) break;
    if (view.has(peerId) || !view.mayTry(peerId)) continue;
    if ((byAddress.get(view.addressOf(peerId)) ?? 0) >= ADDRESS_SHARE) later.push(peerId);
    else take(peerId);
  }
  for (const peerId of later) if (room > 0) take(peerId);
  return out;
}

/** A link held, as the accept path sees it. */
export interface HeldLink extends LinkUse {
  address: string;
}

/** A mate that offers a link or asks for one: its address, and whether we were ever linked to it. */
export interface Asker {
  address: string;
  newcomer: boolean;
}

/**
 * Take the link (closing `close` first to make room), or not: the asker times out and tries another; `waits`: it
 * counts as a mate turned away (linksToGiveWay frees an idle link at the next pass), unless it was refused for
 * its crowded address while others wait.
 */
export type Admission = { accept: true; close: PeerId | null } | { accept: false; waits: boolean };

/**
 * Whether to take a link a mate offers or asks for (`askedByUs`: we asked it for this offer). A mate whose address
 * holds ADDRESS_SHARE of our links already waits while a mate of another address could be linked instead
 * (`othersWait`). Otherwise yes while there is room (for a mate linked before: room outside the `reserved` links).
 * Full: see the header (Addresses).
 */
export function admitLink(
  caps: LinkCaps, held: readonly HeldLink[], asker: Asker, askedByUs: boolean, now: number, othersWait: () => boolean = () => false,
): Admission {
  if (askedByUs) return { accept: true, close: null };
  const byAddress = countAddresses(held.map((l) => l.address));
  const crowdedAsker = (byAddress.get(asker.address) ?? 0) >= ADDRESS_SHARE;
  if (crowdedAsker && othersWait()) return { accept: false, waits: false };
  const room = caps.max - (asker.newcomer ? 0 : caps.reserved);
  if (held.length < room) return { accept: true, close: null };
  const waits = held.length - 1 < room; // one link given way lets it in (not so for a mate linked before, inside the reserve)
  if (crowdedAsker) return { accept: false, waits }; // nobody of another address waits: like anyone
  const [hog, most] = [...byAddress].reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
  const idleFirst = (links: HeldLink[]) => links.sort((a, b) => idleSince(a) - idleSince(b))[0]?.peerId ?? null;
  if (most > ADDRESS_SHARE) return { accept: true, close: idleFirst(held.filter((l) => l.address === hog)) };
  const idle = asker.newcomer ? idleFirst(held.filter((l) => isIdle(l, now))) : null;
  return idle === null ? { accept: false, waits } : { accept: true, close: idle };
}

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

const idleSince = (l: LinkUse): number => Math.max(l.since, l.lastUsed ?? l.since);
/** No request or block either way for IDLE_LINK_MS since it came up. */
export const isIdle = (l: LinkUse, now: number): boolean => now - idleSince(l) >= IDLE_LINK_MS;

/**
 * Links that count toward `wanted`: not idle, and not beyond their address's share (crowdedLinks) while a mate of
 * another address could take their place (`othersWait`, asked only when an address is crowded).
 */
export function linksInUse(links: readonly HeldLink[], now: number, othersWait: () => boolean = () => false): number {
  const crowded = crowdedGivingWay(links, othersWait);
  return links.filter((l) => !isIdle(l, now) && !crowded.includes(l)).length;
}

/** Links beyond ADDRESS_SHARE of each address: all but its ADDRESS_SHARE most lately used. */
export function crowdedLinks(links: readonly HeldLink[]): HeldLink[] {
  const byAddress = new Map<string, HeldLink[]>();
  for (const l of links) (byAddress.get(l.address) ?? byAddress.set(l.address, []).get(l.address)!).push(l);
  return [...byAddress.values()].flatMap((ls) => (ls.length <= ADDRESS_SHARE ? [] : ls.sort((a, b) => idleSince(b) - idleSince(a)).slice(ADDRESS_SHARE)));
}

function crowdedGivingWay(links: readonly HeldLink[], othersWait: () => boolean): HeldLink[] {
  const crowded = crowdedLinks(links);
  return crowded.length > 0 && othersWait() ? crowded : [];
}

/**
 * The links to close when full. While a mate of another address could take their place (`othersWait`, asked
 * only when one address holds more than ADDRESS_SHARE), the links of each address beyond its share, busy or not.
 * Then idle ones, idle longest first: one if a mate was turned away within WAITING_MATE_MS, and as many as fall
 * short of `wanted` in use (we wait ourselves). Empty when not full.
 */
export function linksToGiveWay(
  caps: LinkCaps, links: readonly HeldLink[], turnedAwayAt: number | null, now: number, othersWait: () => boolean = () => false,
): PeerId[] {
  if (links.length < caps.max) return [];
  const crowded = crowdedGivingWay(links, othersWait);
  const rest = links.filter((l) => !crowded.includes(l));
  const mateWaits = turnedAwayAt !== null && now - turnedAwayAt <= WAITING_MATE_MS;
  const count = Math.max(mateWaits ? 1 : 0, caps.wanted - linksInUse(rest, now)) - crowded.length;
  const idle = rest.filter((l) => isIdle(l, now)).sort((a, b) => idleSince(a) - idleSince(b)).slice(0, Math.max(0, count));
  return [...crowded, ...idle].map((l) => l.peerId);
}

/** Whether a mate we may try, of an address holding fewer than ADDRESS_SHARE of our links, is not linked yet. */
export function otherAddressWaits(view: Pick<LinkView, 'has' | 'mayTry' | 'addressOf' | 'byAddress'>, candidates: Iterable<PeerId>): boolean {
  for (const p of candidates) {
    if (!view.has(p) && view.mayTry(p) && (view.byAddress.get(view.addressOf(p)) ?? 0) < ADDRESS_SHARE) return true;
  }
  return false;
}

/** One peer's links and attempts, as the link manager and the simulator each keep them. */
export interface LinkBook {
  links: ReadonlyMap<PeerId, unknown>;
  asked: ReadonlyMap<PeerId, unknown>;
  /** Its links as the policy weighs them (since, last use, address). */
  held: readonly HeldLink[];
  addressOf(peerId: PeerId): string;
  mayTry(peerId: PeerId): boolean;
  /** The mates it would link to, in order. */
  candidates(): Iterable<PeerId>;
}

/** What the policy sees of a LinkBook at `now`; `othersWait` is otherAddressWaits over its candidates. */
export function linkView(book: LinkBook, now: number): LinkView & { othersWait: () => boolean } {
  const base = {
    links: book.links.size, asked: book.asked.size,
    has: (p: PeerId) => book.links.has(p) || book.asked.has(p), mayTry: book.mayTry, addressOf: book.addressOf,
    byAddress: countAddresses([...book.links.keys(), ...book.asked.keys()].map(book.addressOf)),
  };
  const othersWait = () => otherAddressWaits(base, book.candidates());
  return { ...base, inUse: linksInUse(book.held, now, othersWait), othersWait };
}
