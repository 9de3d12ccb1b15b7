import type { PeerId } from '../../shared/ids.ts';
import { ABUSE_BACKOFF_BASE_MS, MAX_ABUSE_CLOSES } from '../../shared/limits.ts';

// When the link manager may link to a peer again. A link that failed or timed out waits a few seconds; one
// closed for abuse (the engine saw too many bad frames) waits ABUSE_BACKOFF_BASE_MS, doubling each time, and
// after MAX_ABUSE_CLOSES that peer is never linked again in this page's session.

/** A peer that refused (timed out) or whose link failed is not asked again for this long (plus jitter). */
export const RETRY_AFTER_MS = 3_000;
/** A peer whose idle link gave way (link-policy.ts) is not linked again for this long, doubling each time. */
export const GIVE_WAY_BACKOFF_MS = 60_000;

export interface PeerBackoff {
  /** Whether we may offer to, or ask for an offer from, this peer now. */
  mayTry(peerId: PeerId, t: number): boolean;
  /** Whether we may accept an offer or an offer request from this peer now (abuse or a give-way keeps it out). */
  mayAccept(peerId: PeerId, t: number): boolean;
  afterFailure(peerId: PeerId, t: number): void;
  afterAbuse(peerId: PeerId, t: number): void;
  /** Its idle link gave way: neither tried nor accepted for GIVE_WAY_BACKOFF_MS × 2^(times before) (not abuse). */
  afterGiveWay(peerId: PeerId, t: number): void;
  /** Links closed for abuse so far with this peer. */
  abuseCount(peerId: PeerId): number;
}

export function createPeerBackoff(random: () => number): PeerBackoff {
  const retryAt = new Map<PeerId, number>(); // any wait: failure or abuse
  const abuseUntil = new Map<PeerId, number>(); // Infinity once banned for the session
  const abuses = new Map<PeerId, number>();
  const givenWay = new Map<PeerId, number>(); // times its idle link gave way
  const extend = (map: Map<PeerId, number>, peerId: PeerId, until: number) =>
    void map.set(peerId, Math.max(map.get(peerId) ?? 0, until));

  return {
    mayTry: (peerId, t) => (retryAt.get(peerId) ?? 0) <= t,
    mayAccept: (peerId, t) => (abuseUntil.get(peerId) ?? 0) <= t,
    afterFailure: (peerId, t) => extend(retryAt, peerId, t + RETRY_AFTER_MS * (1 + random())),
    afterAbuse(peerId, t) {
      const n = (abuses.get(peerId) ?? 0) + 1;
      abuses.set(peerId, n);
      const until = n >= MAX_ABUSE_CLOSES ? Infinity : t + ABUSE_BACKOFF_BASE_MS * 2 ** (n - 1);
      extend(abuseUntil, peerId, until);
      extend(retryAt, peerId, until);
    },
    afterGiveWay(peerId, t) {
      const n = (givenWay.get(peerId) ?? 0) + 1;
      givenWay.set(peerId, n);
      const until = t + GIVE_WAY_BACKOFF_MS * 2 ** Math.min(n - 1, 10);
      extend(abuseUntil, peerId, until);
      extend(retryAt, peerId, until);
    },
    abuseCount: (peerId) => abuses.get(peerId) ?? 0,
  };
}
