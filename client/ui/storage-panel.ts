import type { StorageReport, TabswarmApi } from '../api.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { errorText, formatBytes, h, panel, setText } from './dom.ts';
import type { Say } from './event-log.ts';

// What this browser holds for tabswarm: this tab's files (the store's own count), what closed tabs left (and
// when it goes), the browser's own figures where it gives them. Leave a swarm, or clear everything; each asks
// once and says what it frees.

/** The store is counted this often, and sooner (at most every RECOUNT_MS) when the engine's count moved. */
const COUNT_EVERY_MS = 5000;
/** A count is a cursor over every stored piece: cheap, but not for every frame. */
const RECOUNT_MS = 1000;

export interface StoragePanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot): void;
}

function totalLine(report: StorageReport): string {
  const files = report.files.length === 1 ? '1 file' : `${report.files.length} files`;
  const own = `This tab stores ${formatBytes(report.totalBytes)} (${files}).`;
  if (report.browser === null) {
    return `${own} The browser does not report its storage on this page (not a secure context): these are tabswarm's own counts.`;
  }
  return `${own} The browser counts ${formatBytes(report.browser.usage)} used for this page, of ${formatBytes(report.browser.quota)} allowed.`;
}

function orphanLine(report: StorageReport): string {
  if (report.orphans.length === 0) return '';
  const bytes = report.orphans.reduce((sum, o) => sum + o.bytes, 0);
  const when = Math.min(...report.orphans.map((o) => o.pruneAt ?? Infinity));
  const at = Number.isFinite(when) ? ` from ${new Date(when).toLocaleTimeString()}` : '';
  const count = report.orphans.length === 1 ? '1 closed tab' : `${report.orphans.length} closed tabs`;
  return `Left by ${count}: ${formatBytes(bytes)}, deleted${at} unless a new tab takes it over.`;
}

export function createStoragePanel(api: TabswarmApi, say: Say): StoragePanel {
  const total = h('p', { id: 'storage-total' });
  const orphans = h('p', { id: 'storage-orphans' });
  const swarms = h('ul', { class: 'storage-swarms', 'aria-label': 'Storage per swarm' });
  const clear = h('button', { type: 'button', id: 'clear-everything', class: 'button' }, 'Clear everything');
  const element = panel('storage-panel', 'Storage', total, swarms, orphans, clear);
  let report: StorageReport | null = null;
  let countedAt = 0;

  const recount = () => {
    countedAt = Date.now();
    api.storage().then((r) => {
      report = r;
      setText(total, totalLine(r));
      setText(orphans, orphanLine(r));
      orphans.hidden = r.orphans.length === 0;
    }).catch((e: unknown) => setText(total, `Could not count storage: ${errorText(e)}`));
  };

  clear.addEventListener('click', () => {
    const bytes = (report?.totalBytes ?? 0) + (report?.orphans.reduce((s, o) => s + o.bytes, 0) ?? 0);
    if (!confirm(`Clear everything tabswarm holds in this browser? This leaves every swarm, deletes every file and frees ${formatBytes(bytes)}.`)) return;
    clear.disabled = true;
    api.clearAll()
      .then((freed) => say('file', `Cleared everything: ${formatBytes(freed)} freed.`))
      .catch((e: unknown) => say('warn', `Could not clear everything: ${errorText(e)}`))
      .finally(() => {
        clear.disabled = false;
        recount();
      });
  });

  /** Bytes leaving frees: the swarm's files that no other swarm of this tab lists. */
  function leaveFrees(swarmId: string): number {
    const snap = api.snapshot();
    const elsewhere = new Set(snap.swarms.filter((s) => s.swarmId !== swarmId).flatMap((s) => s.files.map((f) => f.fileId)));
    const files = snap.swarms.find((s) => s.swarmId === swarmId)?.files ?? [];
    return files.filter((f) => !elsewhere.has(f.fileId)).reduce((n, f) => n + f.storedBytes, 0);
  }

  function leaveButton(swarmId: string): HTMLButtonElement {
    const name = swarmId.slice(0, 8);
    const leave = h('button', { type: 'button', class: 'button', 'aria-label': `Leave swarm ${name}` }, 'Leave');
    leave.addEventListener('click', () => {
      if (!confirm(`Leave swarm ${name}? Its files stop being shared here, and ${formatBytes(leaveFrees(swarmId))} is freed.`)) return;
      leave.disabled = true;
      api.leave(swarmId)
        .then((freed) => say('join', `Left swarm ${name}: ${formatBytes(freed)} freed.`))
        .catch((e: unknown) => {
          leave.disabled = false;
          say('warn', `Could not leave the swarm: ${errorText(e)}`);
        });
    });
    return leave;
  }

  const rows = new Map<string, HTMLElement>(); // swarmId → its line's text
  return {
    element,
    render(snap) {
      const files = new Map(snap.swarms.flatMap((s) => s.files.map((f) => [f.fileId, f.storedBytes] as const)));
      const engineCount = [...files.values()].reduce((a, b) => a + b, 0);
      const since = Date.now() - countedAt;
      if (since >= COUNT_EVERY_MS || (since >= RECOUNT_MS && engineCount !== (report?.totalBytes ?? 0))) recount();
      const ids = snap.swarms.map((s) => s.swarmId);
      if (ids.join() !== [...rows.keys()].join()) { // rebuilt only when swarms change: focus survives renders
        rows.clear();
        swarms.replaceChildren(...ids.map((swarmId) => {
          const text = h('span', {});
          rows.set(swarmId, text);
          return h('li', { 'data-swarm-id': swarmId }, text, ' ', leaveButton(swarmId));
        }));
      }
      for (const s of snap.swarms) {
        const bytes = s.files.reduce((n, f) => n + f.storedBytes, 0);
        const files = s.files.length === 1 ? '1 file' : `${s.files.length} files`;
        setText(rows.get(s.swarmId)!, `Swarm ${s.swarmId.slice(0, 8)}: ${files}, ${formatBytes(bytes)}`);
      }
    },
  };
}
