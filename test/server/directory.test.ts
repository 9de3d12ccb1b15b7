import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newPeerId, newSwarmId, type PeerId } from '../../shared/ids.ts';
import type { PeerInfo } from '../../shared/signaling.ts';
import type { Directory, LocalPeers } from '../../signaling-server/directory/contract.ts';
import { DEFAULT_LIMITS } from '../../signaling-server/hub.ts';
import { silentLogger } from '../../signaling-server/log.ts';
import { createMemoryDirectory } from '../../signaling-server/directory/memory.ts';
import { createRedisDirectory } from '../../signaling-server/directory/redis/directory.ts';
import type { RoomLimits } from '../../signaling-server/directory/rooms.ts';
import { hasRedis, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { makeFile } from './fixture.ts';

// One contract, two implementations: what the handlers rely on holds for the in-memory default and for Redis,
// where the "processes" are separate directories on one real redis-server (each with its own sockets).

interface Process {
  directory: Directory;
  connect(nickname: string): PeerInfo;
  inbox(peerId: PeerId): string[];
}

interface Cluster {
  processes: Process[];
  close(): Promise<void>;
}

function localPeers(): LocalPeers & { add(peer: PeerInfo): void; inbox(peerId: PeerId): string[] } {
  const peers = new Map<PeerId, PeerInfo>();
  const inboxes = new Map<PeerId, string[]>();
  return {
    add: (peer) => {
      peers.set(peer.peerId, peer);
      inboxes.set(peer.peerId, []);
    },
    deliver: (peerId, text) => inboxes.get(peerId)?.push(text) !== undefined,
    info: (peerId) => peers.get(peerId),
    inbox: (peerId) => inboxes.get(peerId) ?? [],
  };
}

function processOf(make: (local: LocalPeers) => Directory, shared?: ReturnType<typeof localPeers>): Process {
  const local = shared ?? localPeers();
  const directory = make(local);
  return {
    directory,
    connect: (nickname) => {
      const peerId = newPeerId();
      const peer = { peerId, nickname, addressTag: peerId.slice(0, 16) };
      local.add(peer);
      return peer;
    },
    inbox: (peerId) => local.inbox(peerId),
  };
}

const LIMITS: RoomLimits = { ...DEFAULT_LIMITS, maxMembersPerSwarm: 3 };

const memoryCluster = async (n: number, limits = LIMITS): Promise<Cluster> => {
  const one = processOf((local) => createMemoryDirectory(limits, randomInt, local));
  return { processes: Array.from({ length: n }, () => one), close: () => one.directory.close() };
};

/**
 * Keys live two beats (TTL 2 × heartbeat, refreshed every half beat): at 200 ms, a 300 ms stall of this one test
 * process on a loaded machine let a live process's members expire. Nothing here tests expiry (redis-cluster does).
 */
const HEARTBEAT_MS = 2_000;
/**
 * Waits on Redis (a process connecting: two connections, each a TCP connect plus ioredis's ready check; a pub/sub
 * message arriving): the first cluster of the file took 1.4 s to connect at load 10, where vi.waitFor's default
 * gives up after 1 s. Only a Redis that hangs takes this long.
 */
const REDIS_WAIT = { timeout: 10_000 };

let redis: TestRedis | null = null;
const redisCluster = async (n: number, limits = LIMITS): Promise<Cluster> => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const processes = Array.from({ length: n }, () => processOf((local) => createRedisDirectory({
    url: redis!.url, limits, local, logger: silentLogger, heartbeatMs: HEARTBEAT_MS, randomInt, prefix,
  })));
  await vi.waitFor(() => expect(processes.every((p) => p.directory.health().mode === 'redis')).toBe(true), REDIS_WAIT);
  return { processes, close: async () => void (await Promise.all(processes.map((p) => p.directory.close()))) };
};

const kinds = [
  ['memory', memoryCluster],
  ...(hasRedis ? [['redis', redisCluster] as const] : []),
] as const;

beforeAll(async () => {
  if (hasRedis) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(kinds)('directory (%s)', (_kind, makeCluster) => {
  it('directory: members joined on two processes see each other, in join order', async () => {
    const { processes: [p0, p1], close } = await makeCluster(2);
    try {
      const swarmId = newSwarmId();
      const a = p0!.connect('Ada');
      const b = p1!.connect('Bo');
      expect(await p0!.directory.join(a.peerId, swarmId)).toBe('joined');
      expect(await p1!.directory.join(b.peerId, swarmId)).toBe('joined');
      expect(await p1!.directory.join(b.peerId, swarmId)).toBe('already-member');
      expect((await p0!.directory.members(swarmId)).map((m) => m.nickname).sort()).toEqual(['Ada', 'Bo']);
      expect(await p0!.directory.isMember(b.peerId, swarmId)).toBe(true);
      expect(await p1!.directory.isMember(newPeerId(), swarmId)).toBe(false);
    } finally {
      await close();
    }
  });

  it('directory: the member limit holds across processes', async () => {
    const { processes, close } = await makeCluster(2);
    try {
      const swarmId = newSwarmId();
      for (let i = 0; i < 3; i++) {
        const p = processes[i % 2]!;
        expect(await p.directory.join(p.connect(`m${i}`).peerId, swarmId)).toBe('joined');
      }
      const late = processes[1]!.connect('late');
      expect(await processes[1]!.directory.join(late.peerId, swarmId)).toBe('swarm-full');
      expect(await processes[1]!.directory.isMember(late.peerId, swarmId)).toBe(false);
    } finally {
      await close();
    }
  });

  it('directory: a broadcast reaches members on every process but the sender, a relay only swarm-mates', async () => {
    const { processes: [p0, p1], close } = await makeCluster(2);
    try {
      const swarmId = newSwarmId();
      const [a, b, c] = [p0!.connect('a'), p1!.connect('b'), p1!.connect('c')];
      for (const [p, peer] of [[p0!, a], [p1!, b]] as const) await p.directory.join(peer.peerId, swarmId);
      p0!.directory.broadcast(swarmId, 'hello all', a.peerId);
      await vi.waitFor(() => expect(p1!.inbox(b.peerId)).toEqual(['hello all']), REDIS_WAIT);
      expect(p0!.inbox(a.peerId)).toEqual([]);
      expect(await p0!.directory.relay(a.peerId, b.peerId, 'offer')).toBe(true);
      await vi.waitFor(() => expect(p1!.inbox(b.peerId)).toEqual(['hello all', 'offer']), REDIS_WAIT);
      expect(await p0!.directory.relay(a.peerId, c.peerId, 'offer')).toBe(false); // c joined no swarm
      expect(p1!.inbox(c.peerId)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('directory: announcements replay on another process, duplicates and limits counted once', async () => {
    const { processes: [p0, p1], close } = await makeCluster(2);
    try {
      const swarmId = newSwarmId();
      const a = p0!.connect('a');
      await p0!.directory.join(a.peerId, swarmId);
      const file = await makeFile(100_000, 1);
      expect(await p0!.directory.announce(swarmId, a.peerId, '127.0.0.1', file.fileId, file.manifest)).toBe('stored');
      const b = p1!.connect('b');
      await p1!.directory.join(b.peerId, swarmId);
      expect(await p1!.directory.announce(swarmId, b.peerId, '127.0.0.1', file.fileId, file.manifest)).toBe('duplicate');
      const replay = (await p1!.directory.announcements(swarmId)).map((json) => JSON.parse(json) as { fileId: string; from: string });
      expect(replay).toEqual([expect.objectContaining({ fileId: file.fileId, from: a.peerId })]);
      expect(await p1!.directory.announce(swarmId, newPeerId(), '127.0.0.1', file.fileId, file.manifest)).toBe('not-member');
    } finally {
      await close();
    }
  });

  it('directory: a manifest budget stays charged while the announcement lives on another process, released once forgotten', async () => {
    const file1 = await makeFile(100_000, 1);
    const file2 = await makeFile(100_000, 2);
    const bytesOf = (f: typeof file1, from: string) => JSON.stringify({ fileId: f.fileId, manifest: f.manifest, from }).length;
    const { processes: [p0, p1], close } = await makeCluster(2, { ...LIMITS, maxAnnouncedBytesPerPeer: 1.5 * bytesOf(file1, newPeerId()) });
    try {
      const [swarm, other] = [newSwarmId(), newSwarmId()];
      const a = p0!.connect('a');
      const b = p1!.connect('b');
      await p0!.directory.join(a.peerId, swarm);
      await p1!.directory.join(b.peerId, swarm);
      expect(await p0!.directory.announce(swarm, a.peerId, '127.0.0.9', file1.fileId, file1.manifest)).toBe('stored');
      // a leaves: its process has no member left in the swarm, but b keeps the swarm and a's manifest alive.
      await p0!.directory.leave(a.peerId, swarm);
      await vi.waitFor(async () => expect((await p1!.directory.announcements(swarm)).length).toBe(1), REDIS_WAIT);
      await p0!.directory.join(a.peerId, other);
      expect(await p0!.directory.announce(other, a.peerId, '127.0.0.9', file2.fileId, file2.manifest)).toBe('over-peer-budget');
      await p1!.directory.leave(b.peerId, swarm); // the swarm and its manifests are forgotten everywhere
      await vi.waitFor(async () => { // released on p0's next upkeep tick (every half heartbeat)
        expect(await p0!.directory.announce(other, a.peerId, '127.0.0.9', file2.fileId, file2.manifest)).toBe('stored');
      }, { timeout: 5 * HEARTBEAT_MS, interval: 100 });
    } finally {
      await close();
    }
  });

  it('directory: a share code made on one process resolves on another until the swarm empties', async () => {
    const { processes: [p0, p1], close } = await makeCluster(2);
    try {
      const swarmId = newSwarmId();
      const a = p0!.connect('a');
      expect(await p0!.directory.shareCode(swarmId)).toBeNull();
      await p0!.directory.join(a.peerId, swarmId);
      const code = await p0!.directory.shareCode(swarmId);
      expect(code).toEqual(expect.any(String));
      expect(await p0!.directory.shareCode(swarmId)).toBe(code);
      expect(await p1!.directory.resolveCode(code!)).toBe(swarmId);
      expect(await p0!.directory.leaveAll(a.peerId)).toEqual([swarmId]);
      expect(await p1!.directory.resolveCode(code!)).toBeNull();
      expect(await p1!.directory.members(swarmId)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('directory: one peer\'s manifests are budgeted across its swarms, and freed when those swarms empty', async () => {
    const file1 = await makeFile(100_000, 11);
    const file2 = await makeFile(100_000, 12);
    const bytes = JSON.stringify({ fileId: file1.fileId, manifest: file1.manifest, from: newPeerId() }).length; // ids: one length
    const { processes: [p0], close } = await makeCluster(1, { ...LIMITS, maxAnnouncedBytesPerPeer: Math.floor(bytes * 1.5) });
    try {
      const peer = p0!.connect('a');
      const [s1, s2] = [newSwarmId(), newSwarmId()];
      for (const swarmId of [s1, s2]) await p0!.directory.join(peer.peerId, swarmId);
      expect(await p0!.directory.announce(s1, peer.peerId, '127.0.0.9', file1.fileId, file1.manifest)).toBe('stored');
      expect(await p0!.directory.announce(s2, peer.peerId, '127.0.0.9', file2.fileId, file2.manifest)).toBe('over-peer-budget');
      await p0!.directory.leave(peer.peerId, s1);
      expect(await p0!.directory.announce(s2, peer.peerId, '127.0.0.9', file2.fileId, file2.manifest)).toBe('stored');
    } finally {
      await close();
    }
  });
});
