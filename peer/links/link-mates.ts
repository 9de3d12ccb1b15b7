import type { PeerId, SwarmId } from '../../shared/ids.ts';

// Swarm mates: remote peers that share at least one swarm with this tab, and which swarms; and which of them
// announced a file there (origins: the teacher's sharer), linked to first: the piece picker asks a file's origin
// first (setPreferredSource), and on a shared Wi-Fi channel a byte from it costs the air half a student's.

export interface MateBook {
  has(peerId: PeerId): boolean;
  add(swarmId: SwarmId, peerId: PeerId): void;
  /** The swarm's member list is now `peerIds`; mates for whom `keep` says true stay in it anyway. */
  setMembers(swarmId: SwarmId, peerIds: PeerId[], keep: (peerId: PeerId) => boolean): void;
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
  const add = (swarmId: SwarmId, peerId: PeerId) => void (mates.get(peerId) ?? mates.set(peerId, new Set()).get(peerId)!).add(swarmId);
  return {
    has: (peerId) => mates.has(peerId),
    add,
    setMembers(swarmId, peerIds, keep) {
      for (const [peerId, swarms] of mates) if (!keep(peerId)) swarms.delete(swarmId);
      for (const p of peerIds) add(swarmId, p);
    },
    remove: (swarmId, peerId) => void mates.get(peerId)?.delete(swarmId),
    takeStrangers() {
      const gone = [...mates].filter(([, swarms]) => swarms.size === 0).map(([p]) => p);
      for (const p of gone) {
        mates.delete(p);
        origins.delete(p);
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
    },
  };
}
