import type { PeerId, SwarmId } from '../../../shared/ids.ts';
import type { Logger } from '../../log.ts';
import type { RedisBus } from './bus.ts';
import { leaveKeys, procKeys, swarmKeys, type SwarmScripts } from './keys.ts';
import type { RedisMirror } from './mirror.ts';

// What keeps the shared state true over time: each process beats (its own liveness key, the expiry of its
// swarms' keys), removes the members of a process that stopped beating (SIGKILL, power cut) and tells their
// swarms, and after a Redis outage publishes its own members, announcements and codes again.

export interface UpkeepDeps {
  bus: RedisBus;
  scripts: SwarmScripts;
  prefix: string;
  procId: string;
  ttlMs: number;
  logger: Logger;
  mirror: RedisMirror;
  /** The swarms this process has members in, and those members. */
  localSwarms(): Iterable<SwarmId>;
  localMembers(swarmId: SwarmId): Iterable<PeerId>;
  /** Adds or refreshes a local peer's membership in Redis. */
  joinShared(peerId: PeerId, swarmId: SwarmId): Promise<unknown>;
  /** peer-left for the members of a dead process, to every process's sockets. */
  peerLeft(swarmId: SwarmId, peerId: PeerId): void;
}

export interface Upkeep {
  beat(): Promise<void>;
  reapDead(): Promise<number>;
  republish(): Promise<void>;
}

export function createUpkeep(d: UpkeepDeps): Upkeep {
  const me = procKeys(d.prefix, d.procId);
  const procsKey = `${d.prefix}procs`;

  async function beat(): Promise<void> {
    await d.bus.run((redis) => {
      const batch = redis.pipeline().set(me.alive, '1', 'PX', d.ttlMs).sadd(procsKey, d.procId).pexpire(me.memberships, d.ttlMs * 4);
      for (const swarmId of d.localSwarms()) {
        const k = swarmKeys(d.prefix, swarmId);
        batch.pexpire(k.members, d.ttlMs).pexpire(k.announcements, d.ttlMs).pexpire(k.announcedBytes, d.ttlMs).pexpire(k.code, d.ttlMs);
        const code = d.mirror.codeOf(swarmId);
        if (code) batch.pexpire(`${d.prefix}c:${code}`, d.ttlMs);
      }
      return batch.exec();
    });
  }

  /** Removes one dead process's memberships; one survivor does it (a short lock), the others skip. */
  async function reap(procId: string): Promise<number> {
    const dead = procKeys(d.prefix, procId);
    const locked = await d.bus.run((redis) => redis.set(`${d.prefix}reap:${procId}`, d.procId, 'PX', d.ttlMs, 'NX'));
    if (locked !== 'OK') return 0;
    const entries = (await d.bus.run((redis) => redis.smembers(dead.memberships))) ?? [];
    let reaped = 0;
    for (const entry of entries) {
      const [swarmId, peerId] = entry.split(' ') as [SwarmId, PeerId];
      const left = await d.bus.run(() => d.scripts.leave(leaveKeys(d.prefix, swarmId, dead.memberships), peerId, entry, `${d.prefix}c:`));
      if (left === 1) {
        reaped += 1;
        d.peerLeft(swarmId, peerId);
      }
    }
    await d.bus.run((redis) => redis.multi().del(dead.memberships).srem(procsKey, procId).exec());
    if (reaped > 0) d.logger.info('removed the members of a process that stopped', { processId: procId, members: reaped });
    return reaped;
  }

  async function reapDead(): Promise<number> {
    const procs = (await d.bus.run((redis) => redis.smembers(procsKey))) ?? [];
    let reaped = 0;
    for (const procId of procs) {
      if (procId === d.procId) continue;
      const alive = await d.bus.run((redis) => redis.exists(procKeys(d.prefix, procId).alive));
      if (alive === 0) reaped += await reap(procId);
    }
    return reaped;
  }

  async function republish(): Promise<void> {
    await beat();
    for (const swarmId of d.localSwarms()) {
      const k = swarmKeys(d.prefix, swarmId);
      for (const peerId of d.localMembers(swarmId)) await d.joinShared(peerId, swarmId);
      for (const [fileId, { json, order }] of d.mirror.entries(swarmId)) {
        await d.bus.run(() => d.scripts.restoreAnnouncement([k.announcements, k.announcedBytes], fileId, `${order}|${json}`, json.length, d.ttlMs));
      }
      const code = d.mirror.codeOf(swarmId);
      if (code) {
        await d.bus.run((redis) => redis.multi().set(`${d.prefix}c:${code}`, swarmId, 'PX', d.ttlMs, 'NX').set(k.code, code, 'PX', d.ttlMs, 'NX').exec());
      }
    }
  }

  return { beat, reapDead, republish };
}
