import { randomHex } from '../../shared/ids.ts';
import type { StoredIdentity } from '../../peer/signaling/signaling-client.ts';

// Each tab is its own peer with its own profile: tabs of one browser share IndexedDB, so the
// profileId in sessionStorage names this tab's database. A reload keeps sessionStorage (resume); a new tab
// starts empty (fresh). A duplicated tab copies sessionStorage, so it would share the original's profile and
// peer identity: claimProfile asks the other tabs first and starts fresh when the profile is taken.

const PROFILE_KEY = 'tabswarm.profileId';
const IDENTITY_KEY = 'tabswarm.identity';
const PROFILE_CHANNEL = 'tabswarm-profiles';
/** How long a probing tab waits for another tab to say "mine"; tabs of one browser answer within a few ms. */
const PROBE_WAIT_MS = 150;
const PROFILE_ID_BYTES = 8;

type ProbeMessage = { type: 'probe'; profileId: string } | { type: 'taken'; profileId: string };

export const databaseName = (profileId: string): string => `tabswarm-${profileId}`;

function readProfileId(storage: Storage): string | null {
  const id = storage.getItem(PROFILE_KEY);
  return id !== null && /^[0-9a-f]{16}$/.test(id) ? id : null;
}

function startFresh(storage: Storage): string {
  const id = randomHex(PROFILE_ID_BYTES);
  storage.setItem(PROFILE_KEY, id);
  storage.removeItem(IDENTITY_KEY);
  return id;
}

function probeTaken(channel: BroadcastChannel, profileId: string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), PROBE_WAIT_MS);
    const onAnswer = (e: MessageEvent<ProbeMessage>) => {
      if (e.data?.type === 'taken' && e.data.profileId === profileId) finish(true);
    };
    function finish(taken: boolean) {
      clearTimeout(timer);
      channel.removeEventListener('message', onAnswer);
      resolve(taken);
    }
    channel.addEventListener('message', onAnswer);
    channel.postMessage({ type: 'probe', profileId } satisfies ProbeMessage);
  });
}

/**
 * This tab's profileId: the one in sessionStorage unless another open tab holds it (duplicated tab).
 * Keeps answering other tabs' probes for the life of the page.
 */
export async function claimProfile(storage: Storage = sessionStorage): Promise<string> {
  const existing = readProfileId(storage);
  if (typeof BroadcastChannel === 'undefined') return existing ?? startFresh(storage);
  const channel = new BroadcastChannel(PROFILE_CHANNEL);
  const taken = existing !== null && (await probeTaken(channel, existing));
  const profileId = existing !== null && !taken ? existing : startFresh(storage);
  channel.addEventListener('message', (e: MessageEvent<ProbeMessage>) => {
    if (e.data?.type === 'probe' && e.data.profileId === profileId) {
      channel.postMessage({ type: 'taken', profileId } satisfies ProbeMessage);
    }
  });
  return profileId;
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
