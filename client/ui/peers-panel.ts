import type { PeerSnapshot, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { formatRate, h, panel } from './dom.ts';
import { peerColor, peerName } from './peer-colors.ts';

// Every connected peer: nickname, how the link goes (direct or relayed), rates, and pieces both ways:
// the "one peer serves many clients" half of the lab.

export interface PeersPanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>): void;
}

function connectionText(p: PeerSnapshot): string {
  if (p.linkState === 'connecting') return 'connecting…';
  if (p.linkState === 'reconnecting') return 'reconnecting…';
  if (p.linkState === 'closed') return 'closed';
  const path = p.relayed === null ? 'connected' : p.relayed ? 'relayed (TURN)' : 'direct';
  return p.rttMs === null ? path : `${path} · ${Math.round(p.rttMs)} ms`;
}

function peerRow(p: PeerSnapshot, nicknames: ReadonlyMap<string, string>): HTMLElement {
  const name = peerName(p.peerId, nicknames);
  const stat = (label: string, value: string) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value));
  return h('li', { class: 'peer-row', 'data-peer-id': p.peerId, 'data-link-state': p.linkState, 'aria-label': `Peer ${name}` },
    h('div', { class: 'peer-head' },
      h('span', { class: 'swatch', style: `--swatch:${peerColor(p.peerId)}`, 'aria-hidden': 'true' }),
      h('strong', { class: 'peer-name' }, name), ' ',
      h('code', { class: 'peer-id' }, p.peerId.slice(0, 8)),
      h('span', { class: `link-state link-${p.relayed ? 'relayed' : p.linkState}` }, connectionText(p))),
    h('dl', { class: 'peer-stats' },
      stat('Upload', formatRate(p.upBytesPerSecond)),
      stat('Download', formatRate(p.downBytesPerSecond)),
      stat('Pieces served to', String(p.piecesSentTo)),
      stat('Pieces received from', String(p.piecesReceivedFrom)),
      stat('Requests out / queued', `${p.requestsInFlight} / ${p.peerRequestsQueued}`)));
}

export function createPeersPanel(): PeersPanel {
  const list = h('ul', { id: 'peers', class: 'peer-list', 'aria-label': 'Connected peers' });
  const empty = h('p', { class: 'empty' }, 'No peer connected yet. Share the swarm link, QR code or code.');
  const element = panel('peers-panel', 'Peers', empty, list);
  let lastKey = '';
  return {
    element,
    render(snap, nicknames) {
      const key = JSON.stringify([snap.peers, [...nicknames]]);
      if (key === lastKey) return;
      lastKey = key;
      list.replaceChildren(...snap.peers.map((p) => peerRow(p, nicknames)));
      empty.hidden = snap.peers.length > 0;
    },
  };
}
