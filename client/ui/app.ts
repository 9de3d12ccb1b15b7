import type { SwarmId } from '../../shared/ids.ts';
import { swarmInFragment } from '../../peer/signaling/join-target.ts';
import type { TabswarmApi } from '../api.ts';
import type { Capabilities } from '../capabilities.ts';
import type { SignalingClient } from '../../peer/signaling/client.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { createDiagnostics } from './diagnostics.ts';
import { errorText, h, measureSince } from './dom.ts';
import { createEventLog } from './event-log.ts';
import { createFilesPanel } from './files-panel.ts';
import { createHeader } from './header.ts';
import { createPeersPanel } from './peers-panel.ts';
import { createRoutingView } from './routing-view.ts';
import { createSeedPanel } from './seed-panel.ts';
import { createSharePanel } from './share-panel.ts';
import { createStartPanel } from './start-panel.ts';
import { createStoragePanel } from './storage-panel.ts';

// The classroom page: every panel renders from window.tabswarm snapshots, at most RENDER_EVERY_MS apart.

/** ~5 renders a second: smooth enough for progress, cheap next to a transfer. */
const RENDER_EVERY_MS = 200;
/** Diagnostics count seconds even when nothing changes. */
const TICK_EVERY_MS = 1000;

export interface AppDeps {
  api: TabswarmApi;
  signaling: Pick<SignalingClient, 'subscribe' | 'shareCode'>;
  caps: Capabilities;
}

/** Each render's main-thread time, and the snapshot's part of it, in the browser's performance timeline. */
const RENDER_MEASURE = 'tabswarm:render';
const SNAPSHOT_MEASURE = 'tabswarm:snapshot';

const fragmentSwarm = (): SwarmId | null => swarmInFragment(location.hash);

/** The swarm the page shows: the one in the URL fragment when joined, else the first joined. */
function currentSwarm(snap: TabswarmSnapshot): SwarmId | null {
  const wanted = fragmentSwarm();
  if (wanted !== null && snap.swarms.some((s) => s.swarmId === wanted)) return wanted;
  return snap.swarms[0]?.swarmId ?? null;
}

/** Nicknames of every peer heard of: from the server's member lists and from linked peers. */
function trackNicknames(signaling: Pick<SignalingClient, 'subscribe'>, into: Map<string, string>): () => void {
  const remember = (p: { peerId: string; nickname: string }) => void (p.nickname && into.set(p.peerId, p.nickname));
  return signaling.subscribe({
    onJoined: (_s, members) => members.forEach(remember),
    onPeerJoined: (_s, peer) => remember(peer),
    onPeerUpdated: remember,
  });
}

export function mountApp(root: HTMLElement, deps: AppDeps): () => void {
  const { api } = deps;
  const nicknames = new Map<string, string>();
  const stopNicknames = trackNicknames(deps.signaling, nicknames);
  const log = createEventLog(deps.signaling, nicknames);
  const header = createHeader(api);
  const start = createStartPanel(api);
  const share = createSharePanel(deps.signaling);
  const seed = createSeedPanel(api, () => currentSwarm(api.snapshot()));
  const files = createFilesPanel(api, (kind, text) => log.add(kind, text));
  const peers = createPeersPanel();
  const routing = createRoutingView();
  const diagnostics = createDiagnostics(deps.caps);
  const storage = createStoragePanel(api, (kind, text) => log.add(kind, text));
  root.replaceChildren(header.element, h('main', { class: 'layout' },
    h('div', { class: 'area-start' }, share.element, start.element),
    h('div', { class: 'area-seed' }, seed.element),
    h('div', { class: 'area-files' }, files.element),
    h('div', { class: 'area-peers' }, peers.element, storage.element, diagnostics.element),
    h('div', { class: 'area-routing' }, routing.element),
    h('div', { class: 'area-log' }, log.element)));

  function render(): void {
    const started = performance.now();
    const snap = api.snapshot();
    measureSince(SNAPSHOT_MEASURE, started);
    for (const p of snap.peers) if (p.nickname) nicknames.set(p.peerId, p.nickname);
    const current = currentSwarm(snap);
    header.render(snap);
    start.setInSwarm(current !== null);
    share.render(snap, current);
    seed.render(snap);
    files.render(snap, nicknames);
    storage.render(snap);
    peers.render(snap, nicknames);
    routing.render(snap, nicknames);
    diagnostics.render(snap, nicknames, Date.now());
    log.observe(snap);
    measureSince(RENDER_MEASURE, started);
  }

  let dirty = true;
  let lastRender = 0;
  const unsubscribe = api.onChange(() => void (dirty = true));
  const renderNow = () => {
    dirty = false;
    lastRender = Date.now();
    render();
  };
  const timer = setInterval(() => {
    if (dirty || Date.now() - lastRender >= TICK_EVERY_MS) renderNow();
  }, RENDER_EVERY_MS);

  const joinFragment = () => {
    const swarmId = fragmentSwarm();
    if (swarmId === null || api.snapshot().swarms.some((s) => s.swarmId === swarmId)) return void (dirty = true);
    api.joinSwarm(swarmId).catch((e: unknown) => log.add('warn', `Could not join the swarm in the address: ${errorText(e)}`));
  };
  window.addEventListener('hashchange', joinFragment);
  joinFragment();
  // First render at the next frame: a tab opened from a join link first hands the server's answer to the
  // engine (links start connecting), then lays out the page. The interval covers tabs that get no frames.
  requestAnimationFrame(() => {
    if (dirty) renderNow();
  });

  return () => {
    clearInterval(timer);
    unsubscribe();
    stopNicknames();
    log.close();
    window.removeEventListener('hashchange', joinFragment);
  };
}
