import { randomBytes } from 'node:crypto';
import type { FileId, PeerId, SwarmId } from '../../../shared/ids.ts';
import type { Manifest } from '../../../shared/manifest.ts';
import { encodeFrame, type PeerInfo } from '../../../shared/signaling.ts';
import { createByteBudget } from '../byte-budget.ts';
import type { Directory, LocalPeers } from '../contract.ts';
import type { Logger } from '../../log.ts';
import { createRedisBus, type BusMessage } from './bus.ts';
import { DEFAULT_PREFIX, defineScripts, leaveKeys, membershipEntry, procKeys, swarmKeys } from './keys.ts';
import { createRedisMirror } from './mirror.ts';
import { createUpkeep } from './upkeep.ts';
import { createRooms, randomShareCode, type AnnounceOutcome, type JoinOutcome, type RoomLimits } from '../rooms.ts';

// Signaling state shared by the processes of one school through Redis (keys in keys.ts). This process's
// own sockets are also kept in memory: local rooms, and a mirror of what their swarms hold. So while Redis is
// down the process keeps serving its sockets from memory, and publishes that state again once Redis is back.

export interface RedisDirectoryOptions {
  url: string;
  limits: RoomLimits;
  local: LocalPeers;
  logger: Logger;
  /** Beat, expiry and dead-process detection follow the socket heartbeat: gone within about two beats. */
  heartbeatMs: number;
  randomInt: (n: number) => number;
  /** Key and channel prefix: several deployments (or tests) can share one Redis. */
  prefix?: string;
}

interface StoredMember extends PeerInfo { proc: string; seq: number }

const MAX_CODE_ATTEMPTS = 16;

export function createRedisDirectory(opts: RedisDirectoryOptions): Directory {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const procId = randomBytes(8).toString('hex');
  const me = procKeys(prefix, procId);
  const ttlMs = opts.heartbeatMs * 2;
  const rooms = createRooms(opts.limits, opts.randomInt); // this process's members
  const localSwarms = new Set<SwarmId>();
  const mirror = createRedisMirror();
  const budget = createByteBudget(opts.limits); // manifests this process's peers announced, by peer/address/total
  const charged = new Map<SwarmId, { from: PeerId; address: string; bytes: number }[]>();

  /** Frames for this process's sockets: members of the message's swarms, each once. */
  function deliverLocal(message: BusMessage): void {
    if (message.to !== undefined) return void opts.local.deliver(message.to, message.t);
    const reached = new Set<PeerId>(message.e === null ? [] : [message.e]);
    for (const swarmId of message.s) {
      if (!localSwarms.has(swarmId)) continue;
      if (message.ann) mirror.remember(swarmId, message.ann.fileId, message.ann.json, message.ann.order);
      if (message.t === '') continue;
      for (const peerId of rooms.members(swarmId)) {
        if (reached.has(peerId)) continue;
        reached.add(peerId);
        opts.local.deliver(peerId, message.t);
      }
    }
  }

  const bus = createRedisBus({
    url: opts.url, logger: opts.logger,
    onMessage: (message) => message.o !== procId && deliverLocal(message),
    onReady: async () => {
      await upkeep.republish();
      await upkeep.reapDead();
    },
  });
  const scripts = defineScripts(bus.cmd);
  const memberJson = (peerId: PeerId): string => {
    const info = opts.local.info(peerId);
    return JSON.stringify({ peerId, nickname: info?.nickname ?? '', addressTag: info?.addressTag, proc: procId, seq: mirror.nextOrder() });
  };
  /** Adds (or refreshes) a local peer's membership in Redis: on join, on a new nickname, after an outage. */
  const joinShared = (peerId: PeerId, swarmId: SwarmId) => bus.run(() => scripts.join(
    [swarmKeys(prefix, swarmId).members, me.memberships], peerId, memberJson(peerId),
    opts.limits.maxMembersPerSwarm, membershipEntry(swarmId, peerId), ttlMs,
  ));

  function send(swarmIds: SwarmId[], text: string, except: PeerId | null, ann?: BusMessage['ann']): void {
    const message: BusMessage = { o: procId, s: swarmIds, e: except, t: text, ...(ann ? { ann } : {}) };
    deliverLocal(message);
    for (const swarmId of swarmIds) bus.publish(swarmKeys(prefix, swarmId).channel, message);
  }

  const upkeep = createUpkeep({
    bus, scripts, prefix, procId, ttlMs, logger: opts.logger, mirror, joinShared,
    localSwarms: () => localSwarms,
    localMembers: (swarmId) => rooms.members(swarmId),
    peerLeft: (swarmId, peerId) => send([swarmId], encodeFrame({ type: 'peer-left', swarmId, peerId }), null),
  });
  /**
   * Manifests this process's peers announced stay charged to them while the announcement lives in Redis, on
   * whichever process still has members: leaving the swarm here must not free a budget the bytes still use.
   */
  async function releaseForgotten(only?: SwarmId): Promise<void> {
    for (const [swarmId, charges] of [...charged]) {
      if (localSwarms.has(swarmId) || (only !== undefined && swarmId !== only)) continue;
      const stored = await bus.run((r) => r.exists(swarmKeys(prefix, swarmId).announcements));
      if (stored !== 0 || localSwarms.has(swarmId) || charged.get(swarmId) !== charges) continue; // kept, unknown (Redis down) or changed
      for (const c of charges) budget.release(c.from, c.address, c.bytes);
      charged.delete(swarmId);
    }
  }
  const timer = setInterval(() => void upkeep.beat().then(() => upkeep.reapDead()).then(() => releaseForgotten()), Math.max(10, opts.heartbeatMs / 2));
  timer.unref();

  /** The first local member of a swarm: listen to its channel and mirror what it holds. */
  async function adopt(swarmId: SwarmId): Promise<void> {
    localSwarms.add(swarmId);
    const k = swarmKeys(prefix, swarmId);
    await bus.subscribe(k.channel);
    const [stored, code] = await Promise.all([bus.run((r) => r.hgetall(k.announcements)), bus.run((r) => r.get(k.code))]);
    for (const value of Object.values(stored ?? {})) {
      const bar = value.indexOf('|');
      const json = value.slice(bar + 1);
      mirror.remember(swarmId, (JSON.parse(json) as { fileId: FileId }).fileId, json, Number(value.slice(0, bar)));
    }
    if (code) mirror.rememberCode(swarmId, code);
  }

  /** The last local member left: stop listening. Its manifests' charges stay until the swarm is forgotten. */
  function release(swarmId: SwarmId): void {
    if (rooms.members(swarmId).size > 0) return;
    localSwarms.delete(swarmId);
    mirror.forget(swarmId);
    bus.unsubscribe(swarmKeys(prefix, swarmId).channel);
  }

  async function join(peerId: PeerId, swarmId: SwarmId): Promise<JoinOutcome> {
    const local = rooms.join(peerId, swarmId);
    if (local !== 'joined') return local;
    if ((await joinShared(peerId, swarmId)) === 'swarm-full') {
      rooms.leave(peerId, swarmId);
      return 'swarm-full';
    }
    if (!localSwarms.has(swarmId)) await adopt(swarmId);
    return 'joined';
  }

  async function leave(peerId: PeerId, swarmId: SwarmId): Promise<boolean> {
    if (!rooms.leave(peerId, swarmId)) return false;
    await bus.run(() => scripts.leave(leaveKeys(prefix, swarmId, me.memberships), peerId, membershipEntry(swarmId, peerId), `${prefix}c:`));
    release(swarmId);
    await releaseForgotten(swarmId); // at once when this was the swarm's last member anywhere
    return true;
  }

  async function members(swarmId: SwarmId): Promise<PeerInfo[]> {
    const local = [...rooms.members(swarmId)].flatMap((peerId) => opts.local.info(peerId) ?? []);
    const stored = await bus.run((r) => r.hvals(swarmKeys(prefix, swarmId).members));
    const remote = (stored ?? []).map((json) => JSON.parse(json) as StoredMember)
      .filter((m) => m.proc !== procId).sort((a, b) => a.seq - b.seq);
    return [...local, ...remote.map(({ peerId, nickname, addressTag }) => ({ peerId, nickname, addressTag }))];
  }

  /**
   * Per-swarm limits are checked by Redis for the whole school (against the mirror while Redis is down). The
   * per-peer, per-address and total manifest budgets are this process's: charged here, released once the swarm
   * and its announcements are gone from Redis (releaseForgotten), not when this process's members leave it.
   */
  async function announce(swarmId: SwarmId, from: PeerId, address: string, fileId: FileId, manifest: Manifest): Promise<AnnounceOutcome> {
    if (!rooms.isMember(from, swarmId)) return 'not-member';
    const json = JSON.stringify({ fileId, manifest, from });
    const verdict = budget.charge(from, address, json.length);
    if (verdict !== 'ok') return `over-${verdict}-budget`;
    const outcome = await announceShared(swarmId, from, fileId, json);
    if (outcome === 'stored') charged.set(swarmId, [...charged.get(swarmId) ?? [], { from, address, bytes: json.length }]);
    else budget.release(from, address, json.length);
    return outcome;
  }

  async function announceShared(swarmId: SwarmId, from: PeerId, fileId: FileId, json: string): Promise<AnnounceOutcome> {
    const order = mirror.nextOrder();
    const k = swarmKeys(prefix, swarmId);
    const shared = await bus.run(() => scripts.announce(
      [k.members, k.announcements, k.announcedBytes], from, fileId, `${order}|${json}`,
      opts.limits.maxAnnouncementsPerSwarm, opts.limits.maxAnnouncedBytesPerSwarm, json.length, ttlMs,
    )) as AnnounceOutcome | undefined;
    const outcome = shared ?? localAnnounceOutcome(swarmId, fileId, json.length);
    if (outcome === 'stored') send([swarmId], '', null, { fileId, json, order });
    return outcome;
  }

  function localAnnounceOutcome(swarmId: SwarmId, fileId: FileId, length: number): AnnounceOutcome {
    if (mirror.has(swarmId, fileId)) return 'duplicate';
    const { count, bytes } = mirror.size(swarmId);
    if (count >= opts.limits.maxAnnouncementsPerSwarm) return 'too-many';
    return bytes + length > opts.limits.maxAnnouncedBytesPerSwarm ? 'too-large' : 'stored';
  }

  async function shareCode(swarmId: SwarmId): Promise<string | null> {
    if (!localSwarms.has(swarmId)) return null;
    const known = mirror.codeOf(swarmId);
    for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS && bus.up; attempt++) {
      const candidate = known ?? randomShareCode(opts.randomInt);
      const k = swarmKeys(prefix, swarmId);
      const code = await bus.run(() => scripts.shareCode([k.members, k.code, `${prefix}c:${candidate}`], candidate, swarmId, ttlMs));
      if (code === undefined) break;
      if (code !== null && code !== '') return mirror.rememberCode(swarmId, code);
    }
    return known ?? mirror.rememberCode(swarmId, randomShareCode(opts.randomInt)); // published when Redis is back
  }

  async function relay(from: PeerId, to: PeerId, text: string): Promise<boolean> {
    if (rooms.sharesSwarm(from, to)) return opts.local.deliver(to, text);
    for (const swarmId of rooms.swarmsOf(from)) {
      const json = await bus.run((r) => r.hget(swarmKeys(prefix, swarmId).members, to));
      if (!json) continue;
      bus.publish(procKeys(prefix, (JSON.parse(json) as StoredMember).proc).channel, { o: procId, s: [], e: null, t: text, to });
      return true;
    }
    return false;
  }

  void bus.subscribe(me.channel);
  return {
    join,
    leave,
    leaveAll: async (peerId) => {
      const left: SwarmId[] = [];
      for (const swarmId of [...rooms.swarmsOf(peerId)]) if (await leave(peerId, swarmId)) left.push(swarmId);
      return left;
    },
    isMember: async (peerId, swarmId) =>
      rooms.isMember(peerId, swarmId) || (await bus.run((r) => r.hexists(swarmKeys(prefix, swarmId).members, peerId))) === 1,
    localSwarmsOf: (peerId) => rooms.swarmsOf(peerId),
    members,
    updatePeer: async (peer) => {
      for (const swarmId of rooms.swarmsOf(peer.peerId)) await joinShared(peer.peerId, swarmId);
    },
    announce,
    announcements: async (swarmId) => mirror.announcements(swarmId),
    shareCode,
    resolveCode: async (code) => ((await bus.run((r) => r.get(`${prefix}c:${code}`))) as SwarmId | null | undefined) ?? mirror.swarmOfCode(code),
    broadcast: (swarmId, text, except) => send([swarmId], text, except),
    broadcastOnce: (swarmIds, text, except) => send([...swarmIds], text, except),
    relay,
    stats: () => rooms.stats(),
    health: () => ({ mode: bus.up ? 'redis' : 'degraded', processId: procId }),
    close: async () => {
      clearInterval(timer);
      await upkeepOnClose();
      await bus.run((r) => r.multi().del(me.alive, me.memberships).srem(`${prefix}procs`, procId).exec());
      bus.close();
    },
  };

  /** A clean shutdown leaves nothing for the others to reap: its members leave now. */
  async function upkeepOnClose(): Promise<void> {
    for (const swarmId of [...localSwarms]) {
      for (const peerId of [...rooms.members(swarmId)]) {
        if (await leave(peerId, swarmId)) send([swarmId], encodeFrame({ type: 'peer-left', swarmId, peerId }), peerId);
      }
    }
  }
}
