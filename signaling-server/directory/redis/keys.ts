import type { Redis } from 'ioredis';

// The Redis layout of a school's shared signaling state, and the scripts that change it atomically, so the
// per-swarm limits hold across processes. Every swarm key expires unless a process with members refreshes it,
// so state a crashed cluster left behind disappears by itself.
//
//   proc:{procId}      "1", expires unless its process beats        procs        set of processIds
//   pm:{procId}        set of "swarmId peerId" memberships held by that process (what a reaper removes)
//   m:{swarmId}        hash peerId → {"peerId","nickname","proc","seq"}
//   a:{swarmId}        hash fileId → "<seq>|<announcement json>"   ab:{swarmId}  announced bytes
//   sc:{swarmId}       its share code                                c:{code}     swarmId
//   s:{swarmId}        pub/sub: frames for the swarm's members       p:{procId}   pub/sub: frames for one process
//   resume-key         the resume-secret key every process shares (bus.ts)

/** Before every key and channel; another prefix lets several deployments (or tests) share one Redis. */
export const DEFAULT_PREFIX = 'tabswarm:';

export const swarmKeys = (prefix: string, swarmId: string) => ({
  members: `${prefix}m:${swarmId}`,
  announcements: `${prefix}a:${swarmId}`,
  announcedBytes: `${prefix}ab:${swarmId}`,
  code: `${prefix}sc:${swarmId}`,
  channel: `${prefix}s:${swarmId}`,
});

export const procKeys = (prefix: string, procId: string) => ({
  alive: `${prefix}proc:${procId}`,
  memberships: `${prefix}pm:${procId}`,
  channel: `${prefix}p:${procId}`,
});

export const membershipEntry = (swarmId: string, peerId: string): string => `${swarmId} ${peerId}`;

/** The LEAVE script's keys for a membership held by the process whose memberships set is `memberships`. */
export function leaveKeys(prefix: string, swarmId: string, memberships: string): [string, string, string, string, string] {
  const k = swarmKeys(prefix, swarmId);
  return [k.members, k.announcements, k.announcedBytes, k.code, memberships];
}

// KEYS: members, memberships  ARGV: peerId, memberJson, maxMembers, entry, ttlMs
const JOIN = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 'already-member' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'swarm-full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[4])
return 'joined'`;

// KEYS: members, announcements, announcedBytes, code, memberships  ARGV: peerId, entry, codeKeyPrefix
const LEAVE = `
redis.call('SREM', KEYS[5], ARGV[2])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HLEN', KEYS[1]) == 0 then
  local code = redis.call('GET', KEYS[4])
  if code then redis.call('DEL', ARGV[3] .. code) end
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
return 1`;

// KEYS: members, announcements, announcedBytes  ARGV: from, fileId, value, maxCount, maxBytes, jsonLength, ttlMs
const ANNOUNCE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 'not-member' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'duplicate' end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return 'too-many' end
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0') + tonumber(ARGV[6])
if bytes > tonumber(ARGV[5]) then return 'too-large' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[3], bytes, 'PX', ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return 'stored'`;

// KEYS: members, code, candidateCodeKey  ARGV: candidate, swarmId, ttlMs
const SHARE_CODE = `
if redis.call('HLEN', KEYS[1]) == 0 then return false end
local code = redis.call('GET', KEYS[2])
if code then return code end
if redis.call('EXISTS', KEYS[3]) == 1 then return '' end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return ARGV[1]`;

// Republishing after an outage: an announcement kept unless the swarm already has it.
// KEYS: announcements, announcedBytes  ARGV: fileId, value, jsonLength, ttlMs
const RESTORE_ANNOUNCEMENT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCRBY', KEYS[2], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

export interface SwarmScripts {
  join(keys: [string, string], peerId: string, memberJson: string, maxMembers: number, entry: string, ttlMs: number): Promise<string>;
  leave(keys: [string, string, string, string, string], peerId: string, entry: string, codePrefix: string): Promise<number>;
  announce(
    keys: [string, string, string], from: string, fileId: string, value: string,
    maxCount: number, maxBytes: number, jsonLength: number, ttlMs: number,
  ): Promise<string>;
  shareCode(keys: [string, string, string], candidate: string, swarmId: string, ttlMs: number): Promise<string | null>;
  restoreAnnouncement(keys: [string, string], fileId: string, value: string, jsonLength: number, ttlMs: number): Promise<number>;
}

/** Registers the scripts on a connection (EVALSHA, loaded again by ioredis after a Redis restart). */
export function defineScripts(redis: Redis): SwarmScripts {
  redis.defineCommand('tsJoin', { numberOfKeys: 2, lua: JOIN });
  redis.defineCommand('tsLeave', { numberOfKeys: 5, lua: LEAVE });
  redis.defineCommand('tsAnnounce', { numberOfKeys: 3, lua: ANNOUNCE });
  redis.defineCommand('tsShareCode', { numberOfKeys: 3, lua: SHARE_CODE });
  redis.defineCommand('tsRestoreAnnouncement', { numberOfKeys: 2, lua: RESTORE_ANNOUNCEMENT });
  const call = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  return {
    join: (keys, ...args) => call['tsJoin']!(...keys, ...args) as Promise<string>,
    leave: (keys, ...args) => call['tsLeave']!(...keys, ...args) as Promise<number>,
    announce: (keys, ...args) => call['tsAnnounce']!(...keys, ...args) as Promise<string>,
    shareCode: (keys, ...args) => call['tsShareCode']!(...keys, ...args) as Promise<string | null>,
    restoreAnnouncement: (keys, ...args) => call['tsRestoreAnnouncement']!(...keys, ...args) as Promise<number>,
  };
}
