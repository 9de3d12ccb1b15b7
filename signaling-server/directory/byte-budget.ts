// Stored manifest bytes, counted by the peer that announced them, by its address and in total, so no peer,
// laptop or class can grow the server past a known size (the per-swarm cap alone let one socket fill 32 swarms).
// Bytes are charged when an announcement is stored and released when its swarm is forgotten.

export interface ByteBudgetLimits {
  maxAnnouncedBytesPerPeer: number;
  maxAnnouncedBytesPerAddress: number;
  maxAnnouncedBytesTotal: number;
}

/** 'ok': charged; otherwise the budget that would be exceeded (nothing charged). */
export type BudgetVerdict = 'ok' | 'peer' | 'address' | 'total';

export interface ByteBudget {
  charge(peer: string, address: string, bytes: number): BudgetVerdict;
  release(peer: string, address: string, bytes: number): void;
  total(): number;
}

export function createByteBudget(limits: ByteBudgetLimits): ByteBudget {
  const byPeer = new Map<string, number>();
  const byAddress = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, bytes: number) => {
    const next = (map.get(key) ?? 0) + bytes;
    if (next > 0) map.set(key, next);
    else map.delete(key);
  };
  return {
    charge(peer, address, bytes) {
      if ((byPeer.get(peer) ?? 0) + bytes > limits.maxAnnouncedBytesPerPeer) return 'peer';
      if ((byAddress.get(address) ?? 0) + bytes > limits.maxAnnouncedBytesPerAddress) return 'address';
      if (total + bytes > limits.maxAnnouncedBytesTotal) return 'total';
      add(byPeer, peer, bytes);
      add(byAddress, address, bytes);
      total += bytes;
      return 'ok';
    },
    release(peer, address, bytes) {
      add(byPeer, peer, -bytes);
      add(byAddress, address, -bytes);
      total -= bytes;
    },
    total: () => total,
  };
}
