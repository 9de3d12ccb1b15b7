import type { PeerId, SwarmId } from '../../shared/ids.ts';

// Swarm mates: remote peers that share at least one swarm with this tab, and which swarms; and which of them
// announced a file there (origins: the teacher's sharer), linked to first: the piece picker asks a file's origin
// first (setPreferredSource), and on a shared Wi-Fi channel a byte from it costs the air half a student's.
// Also each mate's address tag (from the server's member list) and whether we were ever linked to it
// (link-policy.ts caps what one address holds and keeps the sharer's reserved links for newcomers).

export interface MateBook {
  has(peerId: PeerId): boolean;
  add(swarmId: SwarmId, peerId: PeerId, addressTag?: string | undefined): void;
  /** The swarm's member list is now `peerIds`; mates for whom `keep` says true stay in it anyway. */
  setMembers(swarmId: SwarmId, members: { peerId: PeerId; addressTag?: string | undefined }[], keep: (peerId: PeerId) => boolean): void;
  /** The mate's address tag; its peerId when the server named none (each such mate counts as an address). */
  addressOf(peerId: PeerId): string;
  /** A link with this mate came up: it is no newcomer any more. */
  markLinked(peerId: PeerId): void;
  /** Never linked to us (while it has been a mate). */
  isNewcomer(peerId: PeerId): boolean;
  remove(swarmId: SwarmId, peerId: PeerId): void;
  /** Forgets and returns the peers that share no swarm with us any more. */
  takeStrangers(): PeerId[];
  /** The peer announced a file in a swarm we share: it comes first among the candidates while it is a mate.
   * True if that is news (a mate not known as an origin before). */
  addOrigin(peerId: PeerId): boolean;
  /** Origins first, then those sharing the most swarms with us, then in random order (fresh for each call). */
  candidates(): PeerId[];
  copy(): Map<PeerId, Set<SwarmId>>;
  clear(): void;
}

export function createMateBook(random: () => number): MateBook {
  const mates = new Map<PeerId, Set<SwarmId>>(); // remote peer → swarms we share with it
  const origins = new Set<PeerId>(); // mates that announced a file (pruned with the strangers)
  const addresses = new Map<PeerId, string>(); // the server's address tag of each mate that has one
  const linked = new Set<PeerId>(); // mates a link came up with
  const add = (swarmId: SwarmId, peerId: PeerId, addressTag?: string | undefined) => {
    (mates.get(peerId) ?? mates.set(peerId, new Set()).get(peerId)!).add(swarmId);
    if (addressTag !== undefined) addresses.set(peerId, addressTag);
  };
  return {
    has: (peerId) => mates.has(peerId),
    add,
    setMembers(swarmId, members, keep) {
      for (const [peerId, swarms] of mates) if (!keep(peerId)) swarms.delete(swarmId);
      for (const m of members) add(swarmId, m.peerId, m.addressTag);
    },
    addressOf: (peerId) => addresses.get(peerId) ?? peerId,
    markLinked: (peerId) => void linked.add(peerId),
    isNewcomer: (peerId) => !linked.has(peerId),
    remove: (swarmId, peerId) => void mates.get(peerId)?.delete(swarmId),
    takeStrangers() {
      const gone = [...mates].filter(([, swarms]) => swarms.size === 0).map(([p]) => p);
      for (const p of gone) {
        mates.delete(p);
        origins.delete(p);
        addresses.delete(p);
        linked.delete(p);
      }
      return gone;
    },
    addOrigin(peerId) {
      if (!mates.has(peerId) || origins.has(peerId)) return false;
      origins.add(peerId);
      return true;
    },
    candidates() {
      const order = [...mates].map(([p, swarms]) => ({ p, origin: origins.has(p) ? 1 : 0, shared: swarms.size, r: random() }));
      order.sort((a, b) => b.origin - a.origin || b.shared - a.shared || a.r - b.r);
      return order.map((o) => o.p);
    },
    copy: () => new Map([...mates].map(([p, s]) => [p, new Set(s)])),
    clear: () => {
      mates.clear();
      origins.clear();
      addresses.clear();
      linked.clear();
    },
  };
}
