import { randomHex } from '../../shared/ids.ts';
import type { StoredIdentity } from '../../peer/signaling/client.ts';
import {
  chooseProfile, HEARTBEAT_EVERY_MS, isProfileId, orphansOf, ORPHAN_GRACE_MS, parseRecord, planPrune, PROFILE_ID_BYTES,
  type Census, type ProfileRecord,
} from './profile-census.ts';

// Each tab is its own peer with its own profile database, tabswarm-<profileId> (docs/page.md, Storage). The profileId lives
// in sessionStorage, so a reload takes its profile back; a new tab adopts a profile no live tab holds (a closed
// tab's swarms and pieces keep serving) or starts fresh. Live-ness works without a secure context (Web Locks
// need one): live tabs answer a census on a BroadcastChannel and keep a heartbeat record in localStorage, which
// also says how long an orphan has been alone (profile-census.ts decides; this file gathers and acts).
// A claim is announced and held only if no tab with priority (a smaller tab id) claims or holds it meanwhile.

const PROFILE_KEY = 'tabswarm.profileId';
const IDENTITY_KEY = 'tabswarm.identity';
const RECORD_PREFIX = 'tabswarm.profile.';
const CHANNEL_NAME = 'tabswarm-profiles';
/** How long a tab waits for live tabs to answer; tabs of one browser answer within a few ms. */
const CENSUS_WAIT_MS = 150;
/** How long a claim stays open to a competing claim from a tab opened at the same moment. */
const CLAIM_WAIT_MS = 150;
/** A claim heard this recently counts as held in the census of a tab still deciding. */
const CLAIM_HEARD_MS = 2_000;

type CensusMessage =
  | { type: 'census' }
  /** Profiles the sender holds (a claim on them loses) and is claiming now (a census counts them as taken). */
  | { type: 'held'; profileIds: string[]; claiming: string[]; to?: string }
  | { type: 'claim'; from: string; profileId: string };

const DATABASE_PREFIX = 'tabswarm-';
export const databaseName = (profileId: string): string => `${DATABASE_PREFIX}${profileId}`;

export interface ClaimedProfile {
  profileId: string;
  how: 'resumed' | 'adopted' | 'fresh';
}

export interface OrphanProfile {
  profileId: string;
  /** Bytes its tab last counted (0 when it never did). */
  bytes: number;
  /** When it is deleted unless a new tab adopts it first. */
  pruneAt: number | null;
}

export interface ProfileKeeperDeps {
  local: Storage;
  session: Storage;
  /** null where the browser has no BroadcastChannel: heartbeats alone then say who is alive. */
  channel: BroadcastChannel | null;
  /** Profile ids of the tabswarm-<id> databases (indexedDB.databases()); [] where the browser cannot list them. */
  listDatabases: () => Promise<string[]>;
  deleteDatabase: (profileId: string) => Promise<void>;
  /** Another tab took a profile this tab held (this tab was frozen and missed the census). */
  onLost: (profileId: string) => void;
  now?: () => number;
  tabId?: string;
}

export interface ProfileKeeper {
  claim(): Promise<ClaimedProfile>;
  orphans(): Promise<OrphanProfile[]>;
  /** Deletes orphans past their grace period, or every orphan with `all`; returns the ids deleted. */
  prune(opts?: { all?: boolean }): Promise<string[]>;
  /** Bytes this tab's profile holds, written with each heartbeat. */
  setBytes(bytes: number): void;
  /** The page is going away: the record says so, and the profile is free at once. `empty`: it is in no swarm. */
  close(opts?: { empty?: boolean }): void;
}

export function createProfileKeeper(deps: ProfileKeeperDeps): ProfileKeeper {
  const now = deps.now ?? Date.now;
  const tabId = deps.tabId ?? randomHex(16);
  const held = new Map<string, number>(); // profile → bytes
  const claiming = new Map<string, () => void>(); // profile → lose()
  const heardClaims = new Map<string, number>(); // profile → when another tab claimed it
  let answers: Set<string> | null = null; // collecting census answers
  let timer: ReturnType<typeof setInterval> | undefined;
  let mine: string | null = null; // the profile this tab runs on
  // The peer identity this page found in sessionStorage (a duplicated tab's is its original's), read before this
  // page's socket can have been welcomed: the page creates the keeper in the same task as its signaling client.
  const inheritedIdentity = deps.session.getItem(IDENTITY_KEY);
  const post = (m: CensusMessage) => deps.channel?.postMessage(m);

  deps.channel?.addEventListener('message', (e: MessageEvent<CensusMessage>) => {
    const m = e.data;
    if (m?.type === 'census') post({ type: 'held', profileIds: [...held.keys()], claiming: [...claiming.keys()] });
    else if (m?.type === 'held' && Array.isArray(m.profileIds)) {
      for (const id of [...m.profileIds, ...(Array.isArray(m.claiming) ? m.claiming : [])]) answers?.add(String(id));
      if (m.to === undefined || m.to === tabId) for (const id of m.profileIds) claiming.get(String(id))?.();
      if (m.to === tabId) for (const id of m.profileIds) if (held.has(String(id))) yieldProfile(String(id));
    } else if (m?.type === 'claim' && typeof m.from === 'string' && typeof m.profileId === 'string') onClaim(m.from, m.profileId);
  });

  /** Its holder answered our claim too late (its page was busy): the profile is its, not ours. */
  function yieldProfile(profileId: string): void {
    held.delete(profileId);
    deps.onLost(profileId);
  }

  function onClaim(from: string, profileId: string): void {
    heardClaims.set(profileId, now());
    answers?.add(profileId);
    const lose = claiming.get(profileId);
    if (held.has(profileId) || (lose && from > tabId)) post({ type: 'held', profileIds: [profileId], claiming: [], to: from });
    else lose?.();
  }

  const recordKey = (id: string) => `${RECORD_PREFIX}${id}`;
  const readRecord = (id: string) => parseRecord(deps.local.getItem(recordKey(id)));
  const writeRecord = (id: string, r: ProfileRecord) => deps.local.setItem(recordKey(id), JSON.stringify(r));

  /** With `ask` false, heartbeats alone say who is alive (no wait); then the choice can only err towards fresh. */
  async function takeCensus(ask = true): Promise<Census> {
    const ids = new Set(await deps.listDatabases().catch(() => []));
    for (let i = 0; i < deps.local.length; i++) {
      const key = deps.local.key(i);
      if (key?.startsWith(RECORD_PREFIX)) ids.add(key.slice(RECORD_PREFIX.length));
    }
    let answered: Set<string> | null = null;
    if (deps.channel !== null && ask) {
      answers = answered = new Set([...held.keys(), ...claiming.keys()]);
      post({ type: 'census' });
      await sleep(CENSUS_WAIT_MS);
      answers = null;
      for (const [id, at] of heardClaims) if (now() - at < CLAIM_HEARD_MS) answered.add(id);
    }
    const profiles = new Map([...ids].filter(isProfileId).map((id) => [id, readRecord(id)] as const));
    const stored = deps.session.getItem(PROFILE_KEY);
    return { now: now(), sessionProfileId: stored !== null && isProfileId(stored) ? stored : null, profiles, answered };
  }

  /**
   * Announces a claim and holds the profile unless a tab with priority claims or holds it meanwhile. A fresh
   * random id has no rival: it is held at once.
   */
  async function claimOne(profileId: string, contested = true): Promise<boolean> {
    let lost = false;
    claiming.set(profileId, () => void (lost = true));
    post({ type: 'claim', from: tabId, profileId });
    if (deps.channel !== null && contested) await sleep(CLAIM_WAIT_MS);
    claiming.delete(profileId);
    if (lost) return false;
    held.set(profileId, readRecord(profileId)?.bytes ?? 0);
    beat(profileId);
    return true;
  }

  function beat(profileId: string): void {
    writeRecord(profileId, { owner: tabId, at: now(), closed: false, bytes: held.get(profileId) ?? 0, empty: false });
  }

  function heartbeat(): void {
    for (const id of held.keys()) {
      const record = readRecord(id);
      if (record !== null && record.owner !== tabId) {
        held.delete(id);
        deps.onLost(id);
      } else beat(id);
    }
  }

  const keeper: ProfileKeeper = {
    async claim() {
      const lost = new Set<string>();
      // Every profile beating (live tabs, the usual case): fresh at once, without asking and waiting.
      let ask = chooseProfile(await takeCensus(false)).how !== 'fresh';
      for (;;) {
        const choice = chooseProfile(await takeCensus(ask), lost);
        ask = true;
        const profileId = choice.how === 'fresh' ? randomHex(PROFILE_ID_BYTES) : choice.profileId;
        if (!(await claimOne(profileId, choice.how !== 'fresh'))) {
          lost.add(profileId);
          continue;
        }
        mine = profileId;
        deps.session.setItem(PROFILE_KEY, profileId);
        // Not our profile: the identity we found was another tab's. One this page's own welcome saved meanwhile
        // (the socket opens while the census runs) is ours: dropped, the tab would get a new peerId after a restart.
        if (choice.how !== 'resumed' && deps.session.getItem(IDENTITY_KEY) === inheritedIdentity) deps.session.removeItem(IDENTITY_KEY);
        timer ??= setInterval(heartbeat, HEARTBEAT_EVERY_MS);
        return { profileId, how: choice.how };
      }
    },
    async orphans() {
      const census = await takeCensus();
      return orphansOf(census, new Set(held.keys())).map((profileId) => {
        const record = census.profiles.get(profileId) ?? null;
        return { profileId, bytes: record?.bytes ?? 0, pruneAt: record === null ? null : record.at + ORPHAN_GRACE_MS };
      });
    },
    async prune(opts = {}) {
      const census = await takeCensus();
      const plan = planPrune(census, new Set(held.keys()), opts.all === true ? -Infinity : ORPHAN_GRACE_MS);
      for (const id of plan.startGrace) writeRecord(id, { owner: '', at: census.now, closed: true, bytes: 0, empty: false });
      const deleted: string[] = [];
      for (const id of opts.all === true ? [...plan.prune, ...plan.startGrace] : plan.prune) {
        if (!(await claimOne(id))) continue; // a tab adopted it meanwhile
        await deps.deleteDatabase(id);
        deps.local.removeItem(recordKey(id)); // after the database: an interrupted prune is retried
        held.delete(id);
        deleted.push(id);
      }
      return deleted;
    },
    setBytes(bytes) {
      if (mine !== null && held.has(mine)) held.set(mine, bytes);
    },
    close(opts = {}) {
      clearInterval(timer);
      for (const [id, bytes] of held) writeRecord(id, { owner: tabId, at: now(), closed: true, bytes, empty: id === mine && opts.empty === true });
      held.clear();
      deps.channel?.close();
    },
  };
  return keeper;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The keeper for this page: localStorage, sessionStorage, BroadcastChannel and IndexedDB where they exist. */
export function browserProfileKeeper(onLost: (profileId: string) => void): ProfileKeeper {
  return createProfileKeeper({
    local: localStorage,
    session: sessionStorage,
    channel: typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL_NAME),
    async listDatabases() {
      if (typeof indexedDB.databases !== 'function') return [];
      const dbs = await indexedDB.databases();
      return dbs.flatMap((d) => (d.name?.startsWith(DATABASE_PREFIX) ? [d.name.slice(DATABASE_PREFIX.length)] : []));
    },
    deleteDatabase: (profileId) => new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(databaseName(profileId));
      request.onsuccess = () => resolve();
      request.onblocked = () => resolve(); // a connection still open: deleted as soon as it closes
      request.onerror = () => reject(request.error ?? new Error(`could not delete ${databaseName(profileId)}`));
    }),
    onLost,
  });
}

export function loadIdentity(storage: Storage = sessionStorage): StoredIdentity | null {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(IDENTITY_KEY) ?? 'null');
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { peerId, resumeSecret } = parsed as Record<string, unknown>;
    return typeof peerId === 'string' && typeof resumeSecret === 'string' ? { peerId, resumeSecret } : null;
  } catch {
    return null;
  }
}

export function saveIdentity(identity: StoredIdentity | null, storage: Storage = sessionStorage): void {
  if (identity === null) storage.removeItem(IDENTITY_KEY);
  else storage.setItem(IDENTITY_KEY, JSON.stringify(identity));
}
