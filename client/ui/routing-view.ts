import type { FileSnapshot, SwarmSnapshot, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { h, panel, setText } from './dom.ts';
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

/** The text of a route's cells after its name: had, missing, requested, received from, served to, holders. */
function routeCells(f: FileSnapshot, nicknames: ReadonlyMap<string, string>): string[] {
  const selfPieces = f.pieceSources.filter((s) => s === 'self').length;
  const sources = counts(f.sources, nicknames);
  const from = selfPieces > 0 ? `${f.seeded ? 'seeded here' : 'stored here'}: ${selfPieces}${sources === '–' ? '' : `, ${sources}`}` : sources;
  return [String(f.piecesHad), String(f.pieceCount - f.piecesHad), String(f.piecesRequested), from,
    counts(f.servedTo, nicknames), f.holders.length === 0 ? '–' : f.holders.map((id) => peerName(id, nicknames)).join(', ')];
}

const NUMERIC_CELLS = 3;

/** A route's row, kept across renders; only cells whose text changed are written. */
function createRouteRow(f: FileSnapshot): { row: HTMLElement; update(f: FileSnapshot, nicknames: ReadonlyMap<string, string>): void } {
  const cells = Array.from({ length: 6 }, (_, i) => h('td', i < NUMERIC_CELLS ? { class: 'num' } : {}));
  const row = h('tr', { 'data-file-id': f.fileId },
    h('th', { scope: 'row' }, h('span', { class: 'route-file' }, f.name), ' ', shortId(f.fileId)), ...cells);
  return {
    row,
    update: (file, nicknames) => routeCells(file, nicknames).forEach((text, i) => setText(cells[i]!, text)),
  };
}

function swarmHead(s: SwarmSnapshot): HTMLElement {
  return h('tr', { class: 'swarm-row' },
    h('th', { scope: 'rowgroup', colspan: '7' }, 'Swarm ', shortId(s.swarmId),
      ` · ${s.members.length} other member(s) · ${s.files.length} file(s)`));
}

const emptyRow = (text: string) => h('tr', {}, h('td', { colspan: '7', class: 'empty' }, text));

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
  // Rows are rebuilt only when the swarms, their members or their routes change; otherwise each route's cells
  // are updated in place (a 256-file swarm would otherwise rebuild 1,800 cells five times a second).
  const routes = new Map<string, ReturnType<typeof createRouteRow>>();
  let shape = '';
  return {
    element,
    render(snap, nicknames) {
      const nextShape = snap.swarms.map((s) => `${s.swarmId}/${s.members.length}:${s.files.map((f) => f.fileId).join(',')}`).join('|');
      if (nextShape !== shape) {
        shape = nextShape;
        routes.clear();
        const rows = snap.swarms.length === 0 ? [emptyRow('No swarm yet: create or join one to see its routes.')]
          : snap.swarms.flatMap((s) => [swarmHead(s), ...(s.files.length === 0 ? [emptyRow('No file announced in this swarm yet.')]
            : s.files.map((f) => {
              const route = createRouteRow(f);
              routes.set(`${s.swarmId}:${f.fileId}`, route);
              return route.row;
            }))]);
        body.replaceChildren(...rows);
      }
      for (const s of snap.swarms) for (const f of s.files) routes.get(`${s.swarmId}:${f.fileId}`)?.update(f, nicknames);
    },
  };
}
