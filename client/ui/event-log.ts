import type { SignalingClient } from '../../peer/signaling/client.ts';
import type { PeerSnapshot, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { clock, formatBytes, h, panel } from './dom.ts';
import { peerName } from './peer-colors.ts';

// What happened, newest first: server events (joins, announcements, reconnects) straight from the signaling
// client, link and piece events by diffing successive snapshots.

/** Enough to read back a lesson's worth of events without the list growing without bound. */
const MAX_ENTRIES = 200;

export type EventKind = 'info' | 'join' | 'file' | 'link' | 'warn';

/** Writes to the page's event log. */
export type Say = (kind: EventKind, text: string) => void;

export interface EventLog {
  readonly element: HTMLElement;
  add(kind: EventKind, text: string): void;
  /** Compares with the previous snapshot and logs link, piece and file changes. */
  observe(snap: TabswarmSnapshot): void;
  close(): void;
}

const linkText = (p: PeerSnapshot): string =>
  p.relayed === true ? 'relayed through the TURN server' : p.relayed === false ? 'direct' : 'connected';

export function createEventLog(signaling: Pick<SignalingClient, 'subscribe'>, nicknames: ReadonlyMap<string, string>): EventLog {
  const list = h('ol', { class: 'event-list' });
  // The log role goes on a wrapper: on the <ol> itself it would hide the list (and its items) from screen readers.
  const scroller = h('div', { id: 'event-log', class: 'event-log', role: 'log', tabindex: '0', 'aria-label': 'Event log', 'aria-live': 'off' }, list);
  const element = panel('log-panel', 'Event log', scroller);
  const name = (id: string) => peerName(id, nicknames);
  let prev: TabswarmSnapshot | null = null;
  let wasOpen = false;

  function add(kind: EventKind, text: string): void {
    list.prepend(h('li', { class: `event event-${kind}` }, h('time', {}, clock(Date.now())), ' ', text));
    while (list.childElementCount > MAX_ENTRIES) list.lastElementChild?.remove();
  }

  const unsubscribe = signaling.subscribe({
    onStatus: (s) => {
      if (s === 'open') add('info', wasOpen ? 'Reconnected to the server.' : 'Connected to the server.');
      else if (s === 'connecting' && wasOpen) add('warn', 'Lost the server; reconnecting…');
      if (s === 'open') wasOpen = true;
    },
    onJoined: (swarmId, members, announcements) =>
      add('join', `Joined swarm ${swarmId.slice(0, 8)}: ${members.length} other member(s), ${announcements.length} file(s) announced.`),
    onPeerJoined: (swarmId, peer) =>
      add('join', `${peer.nickname || name(peer.peerId)} joined swarm ${swarmId.slice(0, 8)}.`),
    onPeerLeft: (swarmId, peerId) => add('join', `${name(peerId)} left swarm ${swarmId.slice(0, 8)}.`),
    onAnnouncement: (_swarmId, a) =>
      add('file', `${name(a.from)} announced ${a.manifest.name} (${formatBytes(a.manifest.size)}, ${a.manifest.pieceHashes.length} pieces).`),
    onError: (e) => add('warn', `Server said: ${e.message} (${e.code}).`),
  });

  function diffPeers(before: TabswarmSnapshot, now: TabswarmSnapshot): void {
    const old = new Map(before.peers.map((p) => [p.peerId, p]));
    for (const p of now.peers) {
      const was = old.get(p.peerId);
      old.delete(p.peerId);
      if (!was) add('link', `Connected to ${name(p.peerId)} (${linkText(p)}).`);
      else if (was.linkState !== p.linkState) add(p.linkState === 'connected' ? 'link' : 'warn', `Link to ${name(p.peerId)}: ${p.linkState}.`);
      else if (was.relayed === null && p.relayed !== null) add('link', `Link to ${name(p.peerId)} is ${linkText(p)}.`);
    }
    for (const id of old.keys()) add('warn', `Link to ${name(id)} closed.`);
  }

  function diffFiles(before: TabswarmSnapshot, now: TabswarmSnapshot): void {
    const old = new Map(before.swarms.flatMap((s) => s.files.map((f) => [`${f.swarmId}:${f.fileId}`, f.state])));
    for (const f of now.swarms.flatMap((s) => s.files)) {
      const was = old.get(`${f.swarmId}:${f.fileId}`);
      if (was === f.state || f.state === 'verifying') continue;
      if (f.state === 'complete' && was !== undefined) add('file', `${f.name} is complete and verified.`);
      else if (f.state === 'downloading' && was === 'announced') add('file', `Downloading ${f.name}.`);
      else if (f.state === 'error') add('warn', `${f.name}: ${f.error ?? 'error'}.`);
    }
  }

  function diffCounters(before: TabswarmSnapshot, now: TabswarmSnapshot): void {
    const corrupt = now.counters.piecesCorrupt - before.counters.piecesCorrupt;
    if (corrupt > 0) add('warn', `Rejected ${corrupt} piece(s) whose SHA-256 did not match; fetching them again.`);
    const rejects = now.counters.rejectsReceived - before.counters.rejectsReceived;
    if (rejects > 0) add('warn', `${rejects} request(s) refused by a peer; asking others.`);
    const store = now.counters.storeErrors - before.counters.storeErrors;
    if (store > 0) add('warn', `${store} piece(s) could not be stored (disk full?).`);
  }

  return {
    element,
    add,
    observe(snap) {
      if (prev !== null) {
        diffPeers(prev, snap);
        diffFiles(prev, snap);
        diffCounters(prev, snap);
      } else if (snap.counters.piecesResumed > 0) {
        add('info', `Resumed ${snap.counters.piecesResumed} verified piece(s) from this tab's storage.`);
      }
      prev = snap;
    },
    close: unsubscribe,
  };
}
