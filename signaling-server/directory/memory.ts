import type { PeerId } from '../../shared/ids.ts';
import type { PeerInfo } from '../../shared/signaling.ts';
import type { Directory, LocalPeers } from './contract.ts';
import { createRooms, type RoomLimits } from './rooms.ts';

// The embedded default: one process knows every socket, so the directory is its own rooms.

export function createMemoryDirectory(limits: RoomLimits, randomInt: (n: number) => number, local: LocalPeers): Directory {
  const rooms = createRooms(limits, randomInt);
  const infos = (peerIds: Iterable<PeerId>): PeerInfo[] => {
    const out: PeerInfo[] = [];
    for (const peerId of peerIds) {
      const info = local.info(peerId);
      if (info) out.push(info);
    }
    return out;
  };
  return {
    join: async (peerId, swarmId) => rooms.join(peerId, swarmId),
    leave: async (peerId, swarmId) => rooms.leave(peerId, swarmId),
    leaveAll: async (peerId) => rooms.leaveAll(peerId),
    isMember: async (peerId, swarmId) => rooms.isMember(peerId, swarmId),
    localSwarmsOf: (peerId) => rooms.swarmsOf(peerId),
    members: async (swarmId) => infos(rooms.members(swarmId)),
    updatePeer: async () => {},
    announce: async (swarmId, from, address, fileId, manifest) => rooms.announce(swarmId, from, address, fileId, manifest),
    announcements: async (swarmId) => Array.from(rooms.announcements(swarmId), (a) => a.json),
    shareCode: async (swarmId) => rooms.shareCode(swarmId),
    resolveCode: async (code) => rooms.resolveCode(code),
    broadcast: (swarmId, text, except) => {
      for (const peerId of rooms.members(swarmId)) if (peerId !== except) local.deliver(peerId, text);
    },
    broadcastOnce: (swarmIds, text, except) => {
      const reached = new Set<PeerId>([except]);
      for (const swarmId of swarmIds) {
        for (const peerId of rooms.members(swarmId)) {
          if (reached.has(peerId)) continue;
          reached.add(peerId);
          local.deliver(peerId, text);
        }
      }
    },
    relay: async (from, to, text) => rooms.sharesSwarm(from, to) && local.deliver(to, text),
    stats: () => rooms.stats(),
    health: () => ({ mode: 'memory', processId: 'local' }),
    close: async () => {},
  };
}

