import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import { createByteBudget, type ByteBudgetLimits } from './byte-budget.ts';
import type { Manifest } from '../../shared/manifest.ts';
import { SHARE_CODE_ALPHABET } from '../../shared/signaling.ts';
import { SHARE_CODE_LENGTH } from '../../shared/limits.ts';

// Swarm membership, the announcement store and short codes. Keyed by peerId, not socket, so a
// resumed session keeps its memberships by rebinding its socket. Every operation is O(1) or
// O(size of the one swarm / the one peer's swarms) — never a scan of all swarms.

export interface StoredAnnouncement {
  fileId: FileId;
  from: PeerId;
  address: string; // the announcer's, charged for `json` until the swarm is forgotten
  /** `{"fileId":…,"manifest":…,"from":…}` serialized once, replayed to every joiner as it is (the only copy kept). */
  json: string;
}

interface Swarm {
  members: Set<PeerId>; // insertion order = join order
  announcements: Map<FileId, StoredAnnouncement>; // insertion order = announce order
  announcedBytes: number; // sum of announcement json lengths
  code: string | null; // short code, once someone asked for one
}

export interface RoomLimits extends ByteBudgetLimits {
  maxSwarmsPerSocket: number;
  maxMembersPerSwarm: number;
  maxAnnouncementsPerSwarm: number;
  maxAnnouncedBytesPerSwarm: number;
}

export type JoinOutcome = 'joined' | 'already-member' | 'too-many-swarms' | 'swarm-full';
export type AnnounceOutcome =
  | 'stored' | 'duplicate' | 'not-member' | 'too-many' | 'too-large' | 'over-peer-budget' | 'over-address-budget' | 'over-total-budget';

export interface Rooms {
  join(peerId: PeerId, swarmId: SwarmId): JoinOutcome;
  /** False when the peer was not a member. An emptied swarm is forgotten with its announcements and code. */
  leave(peerId: PeerId, swarmId: SwarmId): boolean;
  /** Leaves every swarm; returns the swarms left. */
  leaveAll(peerId: PeerId): SwarmId[];
  isMember(peerId: PeerId, swarmId: SwarmId): boolean;
  members(swarmId: SwarmId): ReadonlySet<PeerId>;
  swarmsOf(peerId: PeerId): ReadonlySet<SwarmId>;
  sharesSwarm(a: PeerId, b: PeerId): boolean;
  announce(swarmId: SwarmId, from: PeerId, address: string, fileId: FileId, manifest: Manifest): AnnounceOutcome;
  announcements(swarmId: SwarmId): Iterable<StoredAnnouncement>;
  /** Same code for the same swarm while it lives; null when the swarm does not exist. */
  shareCode(swarmId: SwarmId): string | null;
  resolveCode(code: string): SwarmId | null;
  stats(): { swarms: number; peers: number; codes: number; announcedBytes: number };
}

const EMPTY: ReadonlySet<never> = new Set();

/** A code from `randomInt(n)`: SHARE_CODE_LENGTH letters of SHARE_CODE_ALPHABET. */
export function randomShareCode(randomInt: (n: number) => number): string {
  let code = '';
  for (let i = 0; i < SHARE_CODE_LENGTH; i++) code += SHARE_CODE_ALPHABET[randomInt(SHARE_CODE_ALPHABET.length)];
  return code;
}

export function createRooms(limits: RoomLimits, randomInt: (n: number) => number): Rooms {
  const swarms = new Map<SwarmId, Swarm>();
  const swarmsByPeer = new Map<PeerId, Set<SwarmId>>();
  const swarmByCode = new Map<string, SwarmId>();
  const budget = createByteBudget(limits);

  function forget(swarmId: SwarmId, swarm: Swarm): void {
    if (swarm.code !== null) swarmByCode.delete(swarm.code);
    for (const a of swarm.announcements.values()) budget.release(a.from, a.address, a.json.length);
    swarms.delete(swarmId);
  }

  function leave(peerId: PeerId, swarmId: SwarmId): boolean {
    const swarm = swarms.get(swarmId);
    if (!swarm?.members.delete(peerId)) return false;
    const mine = swarmsByPeer.get(peerId);
    mine?.delete(swarmId);
    if (mine?.size === 0) swarmsByPeer.delete(peerId);
    if (swarm.members.size === 0) forget(swarmId, swarm);
    return true;
  }

  function join(peerId: PeerId, swarmId: SwarmId): JoinOutcome {
    const mine = swarmsByPeer.get(peerId) ?? new Set<SwarmId>();
    if (mine.has(swarmId)) return 'already-member';
    if (mine.size >= limits.maxSwarmsPerSocket) return 'too-many-swarms';
    const swarm = swarms.get(swarmId) ?? { members: new Set(), announcements: new Map(), announcedBytes: 0, code: null };
    if (swarm.members.size >= limits.maxMembersPerSwarm) return 'swarm-full';
    swarm.members.add(peerId);
    swarms.set(swarmId, swarm);
    mine.add(swarmId);
    swarmsByPeer.set(peerId, mine);
    return 'joined';
  }

  function announce(swarmId: SwarmId, from: PeerId, address: string, fileId: FileId, manifest: Manifest): AnnounceOutcome {
    const swarm = swarms.get(swarmId);
    if (!swarm?.members.has(from)) return 'not-member';
    if (swarm.announcements.has(fileId)) return 'duplicate';
    if (swarm.announcements.size >= limits.maxAnnouncementsPerSwarm) return 'too-many';
    const json = JSON.stringify({ fileId, manifest, from });
    if (swarm.announcedBytes + json.length > limits.maxAnnouncedBytesPerSwarm) return 'too-large';
    const verdict = budget.charge(from, address, json.length);
    if (verdict !== 'ok') return `over-${verdict}-budget`;
    swarm.announcements.set(fileId, { fileId, from, address, json });
    swarm.announcedBytes += json.length;
    return 'stored';
  }

  function shareCode(swarmId: SwarmId): string | null {
    const swarm = swarms.get(swarmId);
    if (!swarm) return null;
    if (swarm.code !== null) return swarm.code;
    let code = randomShareCode(randomInt);
    while (swarmByCode.has(code)) code = randomShareCode(randomInt);
    swarm.code = code;
    swarmByCode.set(code, swarmId);
    return code;
  }

  function sharesSwarm(a: PeerId, b: PeerId): boolean {
    const ours = swarmsByPeer.get(a);
    const theirs = swarmsByPeer.get(b);
    if (!ours || !theirs) return false;
    const [small, large] = ours.size <= theirs.size ? [ours, theirs] : [theirs, ours];
    for (const swarmId of small) if (large.has(swarmId)) return true;
    return false;
  }

  return {
    join,
    leave,
    leaveAll: (peerId) => [...(swarmsByPeer.get(peerId) ?? [])].filter((swarmId) => leave(peerId, swarmId)),
    isMember: (peerId, swarmId) => swarms.get(swarmId)?.members.has(peerId) ?? false,
    members: (swarmId) => swarms.get(swarmId)?.members ?? EMPTY,
    swarmsOf: (peerId) => swarmsByPeer.get(peerId) ?? EMPTY,
    sharesSwarm,
    announce,
    announcements: (swarmId) => swarms.get(swarmId)?.announcements.values() ?? [],
    shareCode,
    resolveCode: (code) => swarmByCode.get(code) ?? null,
    stats: () => ({ swarms: swarms.size, peers: swarmsByPeer.size, codes: swarmByCode.size, announcedBytes: budget.total() }),
  };
}
