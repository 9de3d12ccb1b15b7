import type { FileSnapshot, SwarmSnapshot, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { h, panel } from './dom.ts';
import { peerName } from './peer-colors.ts';

// The lab's routing table, live: every (swarm, file) route this tab knows, with its pieces had, missing and
// requested, and where they came from. Each piece message on the wire carries both IDs; this is where it goes.

export interface RoutingView {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>): void;
}

const shortId = (id: string) => h('code', { title: id }, `${id.slice(0, 8)}…`);

function counts(map: { [peerId: string]: number }, nicknames: ReadonlyMap<string, string>): string {
  const parts = Object.entries(map).filter(([, n]) => n > 0).map(([id, n]) => `${peerName(id, nicknames)}: ${n}`);
  return parts.length === 0 ? '–' : parts.join(', ');
}

function fileRow(f: FileSnapshot, nicknames: ReadonlyMap<string, string>): HTMLElement {
  const selfPieces = f.pieceSources.filter((s) => s === 'self').length;
  const sources = counts(f.sources, nicknames);
  const from = selfPieces > 0 ? `${f.seeded ? 'seeded here' : 'stored here'}: ${selfPieces}${sources === '–' ? '' : `, ${sources}`}` : sources;
  const missing = f.pieceCount - f.piecesHad;
  return h('tr', { 'data-file-id': f.fileId },
    h('th', { scope: 'row' }, h('span', { class: 'route-file' }, f.name), ' ', shortId(f.fileId)),
    h('td', { class: 'num' }, String(f.piecesHad)),
    h('td', { class: 'num' }, String(missing)),
    h('td', { class: 'num' }, String(f.piecesRequested)),
    h('td', {}, from),
    h('td', {}, counts(f.servedTo, nicknames)),
    h('td', {}, f.holders.length === 0 ? '–' : f.holders.map((id) => peerName(id, nicknames)).join(', ')));
}

function swarmRows(s: SwarmSnapshot, nicknames: ReadonlyMap<string, string>): HTMLElement[] {
  const head = h('tr', { class: 'swarm-row' },
    h('th', { scope: 'rowgroup', colspan: '7' }, 'Swarm ', shortId(s.swarmId),
      ` · ${s.members.length} other member(s) · ${s.files.length} file(s)`));
  if (s.files.length === 0) {
    return [head, h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No file announced in this swarm yet.'))];
  }
  return [head, ...s.files.map((f) => fileRow(f, nicknames))];
}

export function createRoutingView(): RoutingView {
  const body = h('tbody');
  const table = h('table', { class: 'routing-table' },
    h('caption', {}, 'Route (swarm ID, file ID) → pieces and their sources'),
    h('thead', {}, h('tr', {},
      ...['File', 'Had', 'Missing', 'Requested', 'Received from', 'Served to', 'Peers that have it']
        .map((t) => h('th', { scope: 'col' }, t)))),
    body);
  const element = panel('routing-panel', 'Routing table',
    h('p', { class: 'hint' }, 'Every piece message carries its swarm and file ID; this table is how a piece finds its file.'),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Routing table, scrollable' }, table));
  let lastKey = '';
  return {
    element,
    render(snap, nicknames) {
      const rows = snap.swarms.length > 0 ? snap.swarms.flatMap((s) => swarmRows(s, nicknames))
        : [h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No swarm yet: create or join one to see its routes.'))];
      const key = rows.map((r) => r.textContent).join('\n');
      if (key === lastKey) return;
      lastKey = key;
      body.replaceChildren(...rows);
    },
  };
}
