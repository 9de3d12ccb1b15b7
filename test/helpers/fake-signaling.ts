import type { SignalingClient } from '../../peer/signaling/client.ts';
import type { SignalingHandlers } from '../../peer/signaling/events.ts';
import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import { ok } from '../../shared/result.ts';

// An in-memory signaling server and its clients: joins, member lists, announcement replay and broadcast,
// delivered on later macrotasks like frames over a socket. No WebRTC signals (links are piped directly).

export interface FakeHub {
  client(peerId: PeerId): SignalingClient;
}

interface Swarm {
  members: Set<PeerId>;
  announcements: Map<FileId, { fileId: FileId; manifest: Manifest; from: PeerId }>;
}

export function createFakeHub(): FakeHub {
  const swarms = new Map<SwarmId, Swarm>();
  const handlers = new Map<PeerId, Set<Partial<SignalingHandlers>>>();
  const later = (fn: () => void) => setTimeout(fn, 0);
  const emit = <K extends keyof SignalingHandlers>(to: PeerId, name: K, ...args: Parameters<SignalingHandlers[K]>) =>
    later(() => {
      for (const h of handlers.get(to) ?? []) (h[name] as ((...a: typeof args) => void) | undefined)?.(...args);
    });
  const swarmOf = (id: SwarmId): Swarm => swarms.get(id) ?? swarms.set(id, { members: new Set(), announcements: new Map() }).get(id)!;

  return {
    client(peerId) {
      handlers.set(peerId, new Set());
      const joined = new Set<SwarmId>();
      later(() => {
        emit(peerId, 'onStatus', 'open');
        emit(peerId, 'onWelcome', { peerId, resumed: false, iceServers: [] });
      });
      return {
        status: 'open',
        peerId,
        iceServers: [],
        subscribe(h) {
          handlers.get(peerId)!.add(h);
          return () => void handlers.get(peerId)?.delete(h);
        },
        join(swarmId) {
          if (joined.has(swarmId)) return;
          joined.add(swarmId);
          const swarm = swarmOf(swarmId);
          const members = [...swarm.members].map((p) => ({ peerId: p, nickname: p.slice(0, 4), addressTag: p.slice(0, 16) }));
          emit(peerId, 'onJoined', swarmId, members, [...swarm.announcements.values()]);
          for (const m of swarm.members) emit(m, 'onPeerJoined', swarmId, { peerId, nickname: peerId.slice(0, 4), addressTag: peerId.slice(0, 16) });
          swarm.members.add(peerId);
        },
        leave(swarmId) {
          joined.delete(swarmId);
          swarmOf(swarmId).members.delete(peerId);
          for (const m of swarmOf(swarmId).members) emit(m, 'onPeerLeft', swarmId, peerId);
        },
        announce(swarmId, fileId, manifest) {
          const swarm = swarmOf(swarmId);
          if (swarm.announcements.has(fileId)) return;
          swarm.announcements.set(fileId, { fileId, manifest, from: peerId });
          for (const m of swarm.members) if (m !== peerId) emit(m, 'onAnnouncement', swarmId, { fileId, manifest, from: peerId });
        },
        signal: () => true,
        setNickname() {},
        shareCode: async () => ok('ABCDEF'),
        resolveCode: async () => ok('0'.repeat(32)),
        joinedSwarms: () => [...joined],
        close() {
          handlers.delete(peerId);
        },
      };
    },
  };
}
