import { isSwarmId, newSwarmId, type SwarmId } from '../shared/ids.ts';
import { blockingGaps, detectCapabilities, unavailableNotes } from './capabilities.ts';
import { bootEngine } from './engine/boot.ts';
import { createLinkManager, type LinkManager } from './link-manager.ts';
import { installLinkTestHook } from './link-test-hook.ts';
import { createPeerLink } from './peer-link.ts';
import { openProfileStore } from './piece-store.ts';
import { claimProfile, loadIdentity, saveIdentity } from './profile.ts';
import { createSignalingClient, type SignalingClient } from './signaling-client.ts';

// Minimal page shell: connects, joins the swarm in the URL fragment (#swarm=<id>), shows links.
// The engine and window.tabswarm come next (issue 4); the full classroom UI is its own issue.

const SWARM_FRAGMENT = /^#swarm=([0-9a-f]{32})$/;

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page is missing #${id}`);
  return el;
};

function listItems(list: HTMLElement, lines: string[]): void {
  list.replaceChildren(...lines.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
}

function swarmFromFragment(): SwarmId | null {
  const id = SWARM_FRAGMENT.exec(location.hash)?.[1];
  return id !== undefined && isSwarmId(id) ? id : null;
}

function showSwarm(swarmId: SwarmId): void {
  const link = byId('share-link') as HTMLAnchorElement;
  link.href = `${location.origin}${location.pathname}#swarm=${swarmId}`;
  link.textContent = link.href;
  byId('swarm-line').hidden = false;
}

function wireUi(signaling: SignalingClient, links: LinkManager): void {
  const joinFromFragment = () => {
    const swarmId = swarmFromFragment();
    if (swarmId === null) return;
    signaling.join(swarmId);
    showSwarm(swarmId);
  };
  byId('create-swarm').addEventListener('click', () => {
    location.hash = `swarm=${newSwarmId()}`; // hashchange joins it
  });
  window.addEventListener('hashchange', joinFromFragment);
  joinFromFragment();
  const showPeers = () => listItems(byId('peers'), links.links().map((l) => `${l.remotePeerId} (${l.state})`));
  const priorOnLink = links.onLink;
  links.onLink = (link) => {
    priorOnLink?.(link);
    link.onStateChange = ((inner) => (state) => {
      inner?.(state);
      showPeers();
    })(link.onStateChange);
    showPeers();
  };
  links.onLinkClosed = showPeers;
  signaling.subscribe({
    onStatus: (status) => void (byId('status').textContent = status),
    onWelcome: ({ peerId }) => void (byId('peer-id').textContent = peerId),
    onError: (e) => console.warn('signaling:', e.code, e.message),
  });
}

/** Bench knob: ?lowWaterKiB=N sets the links' backpressure threshold. */
function lowWaterFromQuery(): number | undefined {
  const kib = Number(new URLSearchParams(location.search).get('lowWaterKiB'));
  return Number.isInteger(kib) && kib > 0 ? kib * 1024 : undefined;
}

async function start(): Promise<void> {
  const caps = detectCapabilities();
  listItems(byId('errors'), blockingGaps(caps));
  listItems(byId('notes'), unavailableNotes(caps));
  const profileId = await claimProfile();
  const store = await openProfileStore(profileId);
  const signaling = createSignalingClient({ identity: { load: () => loadIdentity(), save: (id) => saveIdentity(id) } });
  const lowWaterBytes = lowWaterFromQuery();
  const links = createLinkManager({
    signaling,
    createLink: (opts) => createPeerLink({ ...opts, ...(lowWaterBytes !== undefined ? { lowWaterBytes } : {}) }),
  });
  wireUi(signaling, links);
  const { engine } = await bootEngine({ signaling, links, store, secureContext: caps.secureContext });
  // The link test hook takes every link's messages away from the engine: only when a test asks for it.
  if (new URLSearchParams(location.search).has('linkTestHook')) installLinkTestHook(links);
  window.addEventListener('pagehide', () => {
    engine.close();
    links.close();
    signaling.close();
    store.close();
  });
}

start().catch((e: unknown) => {
  console.error('tabswarm failed to start:', e);
  listItems(byId('errors'), [`tabswarm could not start: ${e instanceof Error ? e.message : String(e)}`]);
});
