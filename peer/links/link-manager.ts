import type { PeerId, SwarmId } from '../../shared/ids.ts';
import type { PeerInfo, SignalPayload } from '../../shared/signaling.ts';
import type { LinkHandlers, LinkSource, PeerLink } from '../contracts.ts';
import { createPeerBackoff } from './link-backoff.ts';
import { createMateBook } from './link-mates.ts';
import {
  admitLink, attemptTimedOut, LINK_TICK_MS, linkCaps, linksToGiveWay, linkView, offersTo, peersToTry, TAB_LINK_CAPS,
  type HeldLink,
} from './link-policy.ts';
import { createPeerLink, sdpFingerprint, type PeerLinkOptions, type SignaledPeerLink } from './peer-link.ts';
import type { SignalingClient } from '../signaling/client.ts';
import { createSubscribers } from '../subscribers.ts';

// One link per remote peer, shared by every swarm the two have in common, and never a full mesh. Which links
// to seek and accept is link-policy.ts (shared with the class simulator); this module runs it over signaling.
//
// Who offers: the smaller peerId always sends the SDP offer, so two tabs never both do. The larger one, when
// it wants a link, asks for an offer with simple-peer's own {type:'renegotiate'} signal; the smaller one
// answers that request from a peer it has no link with by offering.
// Retry and abuse: link-backoff.ts (a peer whose link was closed for abuse is kept out, then for good).

export { CONNECT_TIMEOUT_MS } from './link-policy.ts';
export const DEFAULT_WANTED_LINKS = TAB_LINK_CAPS.wanted;
export const DEFAULT_MAX_LINKS = TAB_LINK_CAPS.max;

export interface LinkManagerOptions {
  signaling: SignalingClient;
  /** Where it hears signaling events; default signaling.subscribe (the page: events not held for the store). */
  subscribeSignaling?: SignalingClient['subscribe'];
  wantedLinks?: number;
  maxLinks?: number;
  /** Of maxLinks, links only a mate never linked to before may take (the sharer's: link-policy.ts). */
  reservedLinks?: number;
  createLink?: (opts: PeerLinkOptions) => SignaledPeerLink;
  random?: () => number;
  now?: () => number;
  /** When the engine last sent or got a request or block on the peer's link (idle links give way: link-policy.ts). */
  lastUsed?: (peerId: PeerId) => number | undefined;
  /** Runs `tick` every `ms` until the returned stop is called (default setInterval). */
  every?: (tick: () => void, ms: number) => () => void;
}

export interface LinkManager extends LinkSource {
  /** Connected or reconnecting links. */
  links(): PeerLink[];
  get(peerId: PeerId): PeerLink | undefined;
  /** Peers that share at least one swarm with this tab, linked or not. */
  swarmMates(): Map<PeerId, Set<SwarmId>>;
  /** Closes the peer's link and keeps it out: exponential backoff, then for the rest of the session. */
  closeForAbuse(peerId: PeerId, reason?: string): void;
  /** Idempotent: closes every link and stops listening. */
  close(): void;
}

interface LinkEntry {
  link: SignaledPeerLink;
  since: number;
  /** Passed to onLink (it connected once). */
  announced: boolean;
}

const everyInterval = (tick: () => void, ms: number): (() => void) => {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
};

export function createLinkManager(opts: LinkManagerOptions): LinkManager {
  const { signaling } = opts;
  const caps = linkCaps(opts);
  const createLink = opts.createLink ?? createPeerLink;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const mates = createMateBook(random);
  const backoff = createPeerBackoff(random);
  const links = new Map<PeerId, LinkEntry>();
  const asked = new Map<PeerId, number>(); // offers we requested (we are the larger id) → when
  let selfId: PeerId | null = null;
  let turnedAwayAt: number | null = null; // last time we were full for a mate that wanted a link
  let closed = false;

  const subscribers = createSubscribers<LinkHandlers>();
  const manager: LinkManager = {
    // A late subscriber (the engine, once the profile is open) hears of the links already connected.
    subscribe(handlers) {
      const unsubscribeHandlers = subscribers.subscribe(handlers);
      for (const link of manager.links()) if (link.state === 'connected') handlers.onLink?.(link);
      return unsubscribeHandlers;
    },
    links: () => [...links.values()].filter((e) => e.announced && e.link.state !== 'closed').map((e) => e.link),
    get: (peerId) => links.get(peerId)?.link,
    swarmMates: () => mates.copy(),
    closeForAbuse(peerId, reason = 'closed for abuse') {
      backoff.afterAbuse(peerId, now());
      asked.delete(peerId);
      links.get(peerId)?.link.close(reason);
    },
    close() {
      if (closed) return;
      closed = true;
      stopTicker();
      unsubscribe();
      for (const { link } of [...links.values()]) link.close('link manager closed');
      subscribers.clear();
    },
  };

  function startLink(peerId: PeerId, initiator: boolean): SignaledPeerLink {
    const link = createLink({
      remotePeerId: peerId, initiator, iceServers: signaling.iceServers,
      sendSignal: (payload: SignalPayload) => signaling.signal(peerId, payload),
      onAbuse: (reason) => {
        manager.closeForAbuse(peerId, reason);
        link.close(reason); // when it is no longer the peer's current link
      },
    });
    const entry: LinkEntry = { link, since: now(), announced: false };
    links.set(peerId, entry);
    asked.delete(peerId);
    link.onStateChange = (state) => {
      if (state === 'connected' && !entry.announced) {
        entry.announced = true;
        mates.markLinked(peerId);
        subscribers.emit('onLink', link);
      } else if (state === 'closed') {
        onClosed(peerId, entry);
      }
    };
    return link;
  }

  function onClosed(peerId: PeerId, entry: LinkEntry): void {
    if (links.get(peerId)?.link === entry.link) links.delete(peerId);
    backoff.afterFailure(peerId, now());
    if (entry.announced) subscribers.emit('onLinkClosed', peerId);
  }

  /** Drops attempts that got no answer in time: the other side is full or gone. */
  function dropStaleAttempts(t: number): void {
    for (const { link, since, announced } of links.values()) {
      if (!announced && attemptTimedOut(since, t)) link.close('connect timeout');
    }
    for (const [peerId, since] of asked) {
      if (!attemptTimedOut(since, t)) continue;
      asked.delete(peerId);
      backoff.afterFailure(peerId, t);
    }
  }

  /** Full while a mate waits or too few links are in use: idle links close, and their peers are kept away a while. */
  function giveWay(t: number): void {
    const held = linkUses();
    const idle = linksToGiveWay(caps, held, turnedAwayAt, t, viewAt(t, held).othersWait);
    if (idle.length > 0) turnedAwayAt = null; // one link per mate turned away
    for (const peerId of idle) closeToGiveWay(peerId, t, 'idle: gave way to a waiting mate');
  }

  function closeToGiveWay(peerId: PeerId, t: number, reason: string): void {
    backoff.afterGiveWay(peerId, t);
    links.get(peerId)?.link.close(reason);
  }

  const linkUses = (): HeldLink[] => [...links].map(([peerId, e]) => ({
    peerId, since: e.since, lastUsed: opts.lastUsed?.(peerId), address: mates.addressOf(peerId),
  }));

  /** Whether to take a link `from` offers or asks for (link-policy.ts admitLink); a link closed to make room gives way. */
  function admits(from: PeerId, askedByUs: boolean): boolean {
    const t = now();
    const asker = { address: mates.addressOf(from), newcomer: mates.isNewcomer(from) };
    const held = linkUses();
    const verdict = admitLink(caps, held, asker, askedByUs, t, viewAt(t, held).othersWait);
    if (!verdict.accept) {
      if (verdict.waits) turnedAwayAt = t; // the asker times out
    } else if (verdict.close !== null) closeToGiveWay(verdict.close, t, 'gave way to a mate of another address or a newcomer');
    return verdict.accept;
  }

  /** What link-policy.ts sees of this peer's links at `t`. */
  function viewAt(t: number, held = linkUses()): ReturnType<typeof linkView> {
    return linkView({ links, asked, held, addressOf: mates.addressOf, mayTry: (p) => backoff.mayTry(p, t), candidates: mates.candidates }, t);
  }

  /** Opens or asks for links until this tab has `wanted`. */
  function fill(): void {
    if (closed || selfId === null || signaling.status !== 'open') return;
    const t = now();
    dropStaleAttempts(t);
    giveWay(t);
    for (const peerId of peersToTry(caps, viewAt(t), mates.candidates())) {
      if (offersTo(selfId, peerId)) startLink(peerId, true);
      else if (signaling.signal(peerId, { type: 'renegotiate', renegotiate: true })) asked.set(peerId, t);
    }
  }

  function onSignal(from: PeerId, payload: SignalPayload): void {
    if (closed || selfId === null || !mates.has(from)) return;
    const entry = links.get(from);
    if (entry === undefined && !backoff.mayAccept(from, now())) return; // kept out for abuse
    if (payload.type === 'offer') return onOffer(from, payload, entry?.link);
    if (entry !== undefined) {
      // Its request for an offer crossed the offer we just sent: the negotiation under way answers it (passed
      // on, it would start a second offer/answer round on the link as soon as the first one completed).
      if (payload.type === 'renegotiate' && entry.link.state === 'connecting') return;
      return entry.link.signal(payload);
    }
    // A request for an offer from a larger peer we have no link with.
    if (payload.type !== 'renegotiate' || !offersTo(selfId, from)) return;
    if (admits(from, false)) startLink(from, true);
  }

  function onOffer(from: PeerId, offer: { type: 'offer' | 'answer'; sdp: string }, current: SignaledPeerLink | undefined): void {
    if (!offersTo(from, selfId!)) return; // only the smaller peerId offers
    // A renegotiation (ICE restart) of the current connection keeps its DTLS fingerprint; a fresh one does not.
    if (current !== undefined && current.remoteFingerprint() === sdpFingerprint(offer.sdp)) return current.signal(offer);
    if (current === undefined && !admits(from, asked.has(from))) return;
    current?.close('replaced by a new connection');
    startLink(from, false).signal(offer);
  }

  /**
   * A `joined` list (`keepLinked`) replayed right after a server restart may lack mates that are still
   * reconnecting: one whose link is open keeps the swarm until its peer-left, so the open channel is not cut.
   */
  function setMates(swarmId: SwarmId, members: PeerInfo[], keepLinked = false, origins: PeerId[] = []): void {
    const keep = (p: PeerId) => keepLinked && links.get(p)?.link.state === 'connected';
    mates.setMembers(swarmId, members.filter((m) => m.peerId !== selfId), keep);
    for (const p of origins) if (p !== selfId) mates.addOrigin(p);
    pruneMates();
  }

  /** A peer that shares no swarm with us any more loses its link (signals could not reach it anyway). */
  function pruneMates(): void {
    for (const peerId of mates.takeStrangers()) {
      asked.delete(peerId);
      links.get(peerId)?.link.close('no shared swarm');
    }
    fill();
  }

  const unsubscribe = (opts.subscribeSignaling ?? signaling.subscribe)({
    onWelcome: ({ peerId }) => {
      if (selfId !== null && selfId !== peerId) {
        // The server forgot us (restart): every remote now knows us by the new id, so rebuild everything.
        for (const { link } of [...links.values()]) link.close('own peerId changed');
        mates.clear();
      }
      selfId = peerId;
    },
    onJoined: (swarmId, members, announcements) => setMates(swarmId, members, true, announcements.map((a) => a.from)),
    // A folder shared is an announcement per file, all from one origin: links are filled again only for a new one.
    onAnnouncement: (_swarmId, a) => {
      if (a.from !== selfId && mates.addOrigin(a.from)) fill();
    },
    onLeft: (swarmId) => setMates(swarmId, []),
    onPeerJoined: (swarmId, peer) => {
      if (peer.peerId !== selfId) mates.add(swarmId, peer.peerId, peer.addressTag);
      fill();
    },
    onPeerLeft: (swarmId, peerId) => {
      mates.remove(swarmId, peerId);
      pruneMates();
    },
    onSignal,
  });
  const stopTicker = (opts.every ?? everyInterval)(fill, LINK_TICK_MS);
  return manager;
}
