// Which profile database a new tab takes, and which ones nobody will take any more: pure decisions over what
// the tab found when it opened (the profiles this browser holds, which of them a live tab answered for, the
// heartbeat records in localStorage). The browser side (client/profile.ts) gathers those facts and acts.

/** Live tabs refresh their record this often; a record also tells how long ago its tab was last alive. */
export const HEARTBEAT_EVERY_MS = 5_000;
/** Where no BroadcastChannel can ask the live tabs, a heartbeat this recent means a live tab holds the profile. */
export const HEARTBEAT_FRESH_MS = 3 * HEARTBEAT_EVERY_MS;
/**
 * An orphaned profile that no tab adopted within this long after its tab was last alive is deleted. Long enough
 * for a person to reopen the closed tabs of a lesson (each new tab adopts one); short enough that a laptop does
 * not carry a lesson's files into the next one unseen.
 */
export const ORPHAN_GRACE_MS = 60 * 60_000;

/** A profile id is this many random bytes, in hex: the name of its database (tabswarm-<id>) and its records. */
export const PROFILE_ID_BYTES = 8;
const PROFILE_ID = new RegExp(`^[0-9a-f]{${PROFILE_ID_BYTES * 2}}$`);
export const isProfileId = (id: string): boolean => PROFILE_ID.test(id);

/** A profile's heartbeat record (localStorage), written by the tab that holds it. */
export interface ProfileRecord {
  /** The tab (a random id per page load) that last held it. */
  owner: string;
  /** When that tab last said it was alive, or when it closed. */
  at: number;
  /** Its tab closed (pagehide) rather than stopping without a word. */
  closed: boolean;
  /** Bytes its pieces took when last counted: shown for orphans without opening their databases. */
  bytes: number;
  /** Its tab closed in no swarm: nothing to carry on, so it is never adopted and goes without a grace period. */
  empty: boolean;
}

export interface Census {
  now: number;
  /** The profile this tab had before a reload (sessionStorage), if any. */
  sessionProfileId: string | null;
  /** Every profile this browser holds: databases named tabswarm-<id>, and heartbeat records. */
  profiles: ReadonlyMap<string, ProfileRecord | null>;
  /** Profiles live tabs answered for (or are claiming); null where BroadcastChannel is missing. */
  answered: ReadonlySet<string> | null;
}

export type ProfileChoice =
  | { how: 'resumed' | 'adopted'; profileId: string }
  | { how: 'fresh' };

/** A live tab holds it: it answered the census, or (no BroadcastChannel) its heartbeat is recent. */
export function isHeld(census: Census, profileId: string): boolean {
  if (census.answered !== null) return census.answered.has(profileId);
  const record = census.profiles.get(profileId) ?? null;
  return record !== null && !record.closed && census.now - record.at < HEARTBEAT_FRESH_MS;
}

const isEmpty = (census: Census, id: string): boolean => census.profiles.get(id)?.empty === true;

/** Profiles no live tab holds, most recently alive first (never-recorded ones last). */
export function orphansOf(census: Census, except: ReadonlySet<string> = new Set()): string[] {
  const lastAlive = (id: string) => census.profiles.get(id)?.at ?? -Infinity;
  return [...census.profiles.keys()]
    .filter((id) => !except.has(id) && !isHeld(census, id))
    .sort((a, b) => lastAlive(b) - lastAlive(a) || (a < b ? -1 : 1));
}

/**
 * A reload takes its own profile back; otherwise the tab adopts the orphan alive most recently (its swarms and
 * pieces keep serving), else starts fresh. `lost`: profiles another tab won while this one tried to claim them.
 */
export function chooseProfile(census: Census, lost: ReadonlySet<string> = new Set()): ProfileChoice {
  const own = census.sessionProfileId;
  if (own !== null && !lost.has(own) && !isHeld(census, own)) return { how: 'resumed', profileId: own };
  const orphan = orphansOf(census, lost).find((id) => !isEmpty(census, id));
  return orphan === undefined ? { how: 'fresh' } : { how: 'adopted', profileId: orphan };
}

export interface PrunePlan {
  /** Orphans past their grace period: delete them. */
  prune: string[];
  /** Orphans without a record: write one now, so their grace period starts. */
  startGrace: string[];
}

/** Which orphans to delete now; `mine` are the profiles this tab holds. */
export function planPrune(census: Census, mine: ReadonlySet<string>, graceMs = ORPHAN_GRACE_MS): PrunePlan {
  const plan: PrunePlan = { prune: [], startGrace: [] };
  for (const id of orphansOf(census, mine)) {
    const record = census.profiles.get(id) ?? null;
    if (record === null) plan.startGrace.push(id);
    else if (record.empty || census.now - record.at >= graceMs) plan.prune.push(id);
  }
  return plan;
}

/** A record read back from localStorage, or null when it is missing or not one of ours. */
export function parseRecord(text: string | null): ProfileRecord | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<Record<keyof ProfileRecord, unknown>> | null;
    if (typeof v?.owner !== 'string' || typeof v.at !== 'number' || !Number.isFinite(v.at)) return null;
    const bytes = typeof v.bytes === 'number' && Number.isFinite(v.bytes) && v.bytes >= 0 ? v.bytes : 0;
    return { owner: v.owner, at: v.at, closed: v.closed === true, bytes, empty: v.empty === true };
  } catch {
    return null;
  }
}
