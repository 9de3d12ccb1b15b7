import { detectCapabilities } from './capabilities.ts';
import { swarmInFragment } from '../peer/signaling/join-target.ts';
import { bootEngine } from './boot.ts';
import type { SwarmEngine } from '../peer/engine/swarm-engine.ts';
import { createLinkManager, type LinkManager } from '../peer/links/link-manager.ts';
import { createPeerLink } from '../peer/links/peer-link.ts';
import { openProfileStore } from './storage/piece-store.ts';
import { openPieceSink } from './storage/piece-sink.ts';
import { browserProfileKeeper, loadIdentity, saveIdentity } from './storage/profile.ts';
import { createSignalingClient } from '../peer/signaling/client.ts';
import { milestone } from '../peer/milestones.ts';
import type { EngineParams } from '../peer/snapshot-types.ts';
import { mountApp } from './ui/app.ts';

// Page shell: builds the adapters (profile store, signaling, links), boots the engine and window.tabswarm,
// and mounts the classroom page (client/ui/app.ts), which joins the swarm in the URL fragment (#swarm=<id>).
// The page students load starts it with every default (main.ts); the tests and benchmarks build their own
// entry (test/e2e/test-page.ts) that sets the options below from the URL.

export interface PageOptions {
  /** Engine parameters over DEFAULT_PARAMS (peer/engine/swarm-engine.ts). */
  params?: Partial<EngineParams>;
  /** The links' backpressure threshold (default: peer/links/peer-link.ts). */
  lowWaterBytes?: number;
  /** false runs the engine without the classroom page. */
  ui?: boolean;
}

export interface StartedPage {
  engine: SwarmEngine;
  links: LinkManager;
}

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page is missing #${id}`);
  return el;
};

/** Orphaned profiles reach the end of their grace period while tabs stay open for hours. */
const PRUNE_EVERY_MS = 10 * 60_000;

export async function startPage(opts: PageOptions = {}): Promise<StartedPage> {
  milestone('script');
  const caps = detectCapabilities();
  // The socket opens (and joins the swarm of a join link) and links to its members are negotiated while the
  // profile is claimed and IndexedDB opens; the engine hears the held signaling events and the links once it listens.
  const signaling = createSignalingClient({
    identity: { load: () => loadIdentity(), save: (id) => saveIdentity(id) }, holdEvents: true,
  });
  const { lowWaterBytes } = opts;
  let booted: SwarmEngine | null = null; // built on the links below; its usage lets idle links give way
  const links = createLinkManager({
    signaling, subscribeSignaling: (h) => signaling.subscribeUnheld(h),
    createLink: (opts) => createPeerLink({ ...opts, ...(lowWaterBytes !== undefined ? { lowWaterBytes } : {}) }),
    lastUsed: (peerId) => booted?.lastUsed(peerId),
  });
  const linked = swarmInFragment(location.hash);
  if (linked !== null) signaling.join(linked);
  // A tab frozen long enough for another to adopt its profile must not keep writing to it: start over.
  const keeper = browserProfileKeeper(() => location.reload());
  const store = await keeper.claim().then(({ profileId }) => openProfileStore(profileId, { sink: openPieceSink })).catch((e: unknown) => {
    links.close();
    signaling.close();
    throw e;
  });
  milestone('profile-open');
  const { engine } = await bootEngine({
    signaling, links, store, keeper, secureContext: caps.secureContext, params: opts.params ?? {},
    mountUi: (api) => {
      if (opts.ui !== false) mountApp(byId('app'), { api, signaling, caps });
    },
  });
  booted = engine;
  // Orphans past their grace period go now and while this tab stays open.
  const prune = () => void keeper.prune().catch((e: unknown) => console.warn('tabswarm: pruning old profiles failed', e));
  prune();
  setInterval(prune, PRUNE_EVERY_MS);
  window.addEventListener('pagehide', () => {
    const empty = engine.snapshot().swarms.length === 0; // read before close() leaves the swarms
    engine.close();
    links.close();
    signaling.close();
    store.close();
    keeper.close({ empty });
  });
  // Back from the back/forward cache: its heartbeat stopped and another tab may hold the profile now.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) location.reload();
  });
  return { engine, links };
}

/** What the page shows when it could not start (no IndexedDB, a profile it cannot open…). */
export function showStartError(e: unknown): void {
  console.error('tabswarm failed to start:', e);
  const message = Object.assign(document.createElement('p'), {
    className: 'start-error', role: 'alert', textContent: `tabswarm could not start: ${e instanceof Error ? e.message : String(e)}`,
  });
  byId('app').replaceChildren(message);
}
