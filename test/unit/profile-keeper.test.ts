import { afterEach, describe, expect, it } from 'vitest';
import { createProfileKeeper, type ProfileKeeper } from '../../client/storage/profile.ts';
import { ORPHAN_GRACE_MS } from '../../client/storage/profile-census.ts';
import { randomHex } from '../../shared/ids.ts';

// Tabs of one browser: one localStorage and one set of databases, a sessionStorage each, and real
// BroadcastChannels (Node's deliver between instances of one name in one process).

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() { return this.items.size; }
  key(i: number) { return [...this.items.keys()][i] ?? null; }
  getItem(k: string) { return this.items.get(k) ?? null; }
  setItem(k: string, v: string) { this.items.set(k, String(v)); }
  removeItem(k: string) { this.items.delete(k); }
  clear() { this.items.clear(); }
}

interface Browser {
  local: MemoryStorage;
  databases: Set<string>;
  channelName: string;
  now: number;
}

const newBrowser = (): Browser => ({ local: new MemoryStorage(), databases: new Set(), channelName: `census-${randomHex(8)}`, now: 1e12 });
const keepers: ProfileKeeper[] = [];

function openTab(browser: Browser, session = new MemoryStorage(), lost: string[] = [], tabId?: string): { keeper: ProfileKeeper; session: MemoryStorage } {
  const keeper = createProfileKeeper({
    ...(tabId === undefined ? {} : { tabId }),
    local: browser.local, session, channel: new BroadcastChannel(browser.channelName),
    listDatabases: async () => [...browser.databases],
    deleteDatabase: async (id) => void browser.databases.delete(id),
    onLost: (id) => lost.push(id),
    now: () => browser.now,
  });
  keepers.push(keeper);
  return { keeper, session };
}

async function claimAndCreate(browser: Browser, tab: { keeper: ProfileKeeper }) {
  const claimed = await tab.keeper.claim();
  browser.databases.add(claimed.profileId); // openProfileStore creates it
  return claimed;
}

afterEach(() => {
  for (const k of keepers.splice(0)) k.close();
});

describe('profile keeper', () => {
  it('profile keeper: a closed tab\'s profile is adopted by the next tab; a reload keeps its own', async () => {
    const browser = newBrowser();
    const first = openTab(browser);
    const mine = await claimAndCreate(browser, first);
    expect(mine.how).toBe('fresh');
    first.keeper.close();
    const next = await claimAndCreate(browser, openTab(browser));
    expect(next).toEqual({ how: 'adopted', profileId: mine.profileId });
    const reloaded = openTab(browser, first.session); // a reload keeps sessionStorage; its profile is taken now
    expect((await reloaded.keeper.claim()).profileId).not.toBe(mine.profileId);
  });

  it('profile keeper: a duplicated tab (same sessionStorage) does not share its original\'s profile', async () => {
    const browser = newBrowser();
    const original = openTab(browser);
    const mine = await claimAndCreate(browser, original);
    const copy = new MemoryStorage();
    copy.setItem('tabswarm.profileId', original.session.getItem('tabswarm.profileId')!);
    copy.setItem('tabswarm.identity', '{"peerId":"p","resumeSecret":"s"}');
    const duplicate = await claimAndCreate(browser, openTab(browser, copy));
    expect(duplicate.profileId).not.toBe(mine.profileId);
    expect(copy.getItem('tabswarm.identity')).toBeNull();
  });

  it('profile keeper: the identity a new tab\'s own welcome saved while its claim ran survives the claim', async () => {
    const browser = newBrowser();
    await claimAndCreate(browser, openTab(browser)); // a live tab: the new one asks the census and waits
    const fresh = openTab(browser);
    const claiming = fresh.keeper.claim();
    fresh.session.setItem('tabswarm.identity', '{"peerId":"mine","resumeSecret":"s"}'); // the socket was welcomed
    expect((await claiming).how).toBe('fresh');
    expect(fresh.session.getItem('tabswarm.identity')).toBe('{"peerId":"mine","resumeSecret":"s"}');

    const copy = new MemoryStorage(); // a duplicated tab: its original's identity goes, its own new one stays
    copy.setItem('tabswarm.profileId', fresh.session.getItem('tabswarm.profileId')!);
    copy.setItem('tabswarm.identity', '{"peerId":"original","resumeSecret":"s"}');
    const duplicate = openTab(browser, copy);
    const claimingCopy = duplicate.keeper.claim();
    copy.setItem('tabswarm.identity', '{"peerId":"copy","resumeSecret":"t"}');
    expect((await claimingCopy).how).toBe('fresh');
    expect(copy.getItem('tabswarm.identity')).toBe('{"peerId":"copy","resumeSecret":"t"}');
  });

  it('profile keeper: tabs opening at the same moment never claim one orphan twice', async () => {
    const browser = newBrowser();
    const orphans = [randomHex(8), randomHex(8)];
    for (const id of orphans) browser.databases.add(id);
    const claims = await Promise.all(Array.from({ length: 4 }, () => claimAndCreate(browser, openTab(browser))));
    const ids = claims.map((c) => c.profileId);
    expect(new Set(ids).size).toBe(4);
    expect(ids.filter((id) => orphans.includes(id)).sort()).toEqual([...orphans].sort());
  });

  it('profile keeper: orphans are pruned after the grace period, never while a tab holds them', async () => {
    const browser = newBrowser();
    const closedTab = openTab(browser);
    const gone = await claimAndCreate(browser, closedTab);
    const live = await claimAndCreate(browser, openTab(browser));
    closedTab.keeper.close();
    const pruner = openTab(browser);
    await claimAndCreate(browser, pruner); // adopts `gone`: nothing left to prune
    expect(await pruner.keeper.prune({ all: true })).toEqual([]);
    const stray = randomHex(8);
    browser.databases.add(stray);
    expect(await pruner.keeper.prune()).toEqual([]); // its grace period starts now
    expect((await pruner.keeper.orphans()).map((o) => o.profileId)).toEqual([stray]);
    browser.now += ORPHAN_GRACE_MS;
    expect(await pruner.keeper.prune()).toEqual([stray]);
    expect([...browser.databases].sort()).toEqual([gone.profileId, live.profileId].sort());
  });

  it('profile keeper: a holder that answers a claim late (its page was busy) keeps its profile; the claimer yields', async () => {
    const browser = newBrowser();
    const lost: string[] = [];
    const late = await claimAndCreate(browser, openTab(browser, new MemoryStorage(), lost, 'tab-b'));
    const holder = new BroadcastChannel(browser.channelName);
    holder.postMessage({ type: 'held', profileIds: [late.profileId], claiming: [], to: 'tab-b' });
    await new Promise((r) => setTimeout(r, 50));
    holder.close();
    expect(lost).toEqual([late.profileId]);
  });

  it('profile keeper: a tab whose profile was taken while it was frozen is told', async () => {
    const browser = newBrowser();
    const lost: string[] = [];
    const frozen = openTab(browser, new MemoryStorage(), lost);
    const mine = await claimAndCreate(browser, frozen);
    browser.local.setItem(`tabswarm.profile.${mine.profileId}`, JSON.stringify({ owner: 'other-tab', at: browser.now, closed: false, bytes: 0 }));
    await new Promise((r) => setTimeout(r, 5_100)); // one heartbeat
    expect(lost).toEqual([mine.profileId]);
  }, 10_000);
});
