import type { TabswarmApi } from '../api.ts';
import type { FileSnapshot, FileState, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { shownState } from './file-state.ts';
import { errorText, formatBytes, formatEta, formatRate, h, panel, setAttr, setText } from './dom.ts';
import type { EventKind } from './event-log.ts';
import { peerName } from './peer-colors.ts';
import { createPieceMap, type PieceMap } from './piece-map.ts';

// Every file in this tab's swarms: state, progress, rate, ETA, sources, a Save button once complete, and
// its live piece map. Cards are keyed by file id and updated in place (focus and canvases survive renders).

const STATE_LABELS: Record<FileState, string> = {
  announced: 'Announced',
  downloading: 'Downloading',
  verifying: 'Verifying',
  complete: 'Complete',
  error: 'Error',
};

interface FileCard {
  root: HTMLElement;
  badge: HTMLElement;
  progress: HTMLProgressElement;
  stats: HTMLElement;
  detail: HTMLElement;
  save: HTMLButtonElement;
  remove: HTMLButtonElement;
  map: PieceMap;
}

/** Writes to the page's event log. */
export type Say = (kind: EventKind, text: string) => void;

export interface FilesPanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>): void;
}

/** Asks once, saying what it frees; the engine tells the file's peers and deletes its pieces. */
function createRemoveButton(api: TabswarmApi, file: FileSnapshot, say: Say): HTMLButtonElement {
  const remove = h('button', { type: 'button', class: 'button', 'aria-label': `Remove ${file.name}` }, 'Remove');
  remove.addEventListener('click', () => {
    const copies = api.snapshot().swarms.flatMap((s) => s.files).filter((f) => f.fileId === file.fileId);
    const where = copies.length > 1 ? ` from all ${copies.length} of your swarms` : '';
    const frees = formatBytes(copies[0]?.storedBytes ?? 0);
    if (!confirm(`Remove ${file.name}${where}? This stops sharing and downloading it and frees ${frees} in this browser.`)) return;
    remove.disabled = true;
    api.remove(file.fileId)
      .then((freed) => say('file', `Removed ${file.name}: ${formatBytes(freed)} freed.`))
      .catch((e: unknown) => {
        remove.disabled = false;
        say('warn', `Could not remove ${file.name}: ${errorText(e)}`);
      });
  });
  return remove;
}

function createCard(api: TabswarmApi, file: FileSnapshot, say: Say): FileCard {
  const badge = h('span', { class: 'badge' });
  const save = h('button', { type: 'button', class: 'button primary', 'aria-label': `Save ${file.name}` }, 'Save');
  save.hidden = true;
  save.addEventListener('click', () => {
    api.save(file.fileId).catch((e: unknown) => say('warn', `Could not save ${file.name}: ${errorText(e)}`));
  });
  const remove = createRemoveButton(api, file, say);
  const progress = h('progress', { max: String(Math.max(1, file.pieceCount)), value: '0', 'aria-label': `${file.name} progress` });
  const stats = h('p', { class: 'file-stats' });
  const detail = h('p', { class: 'file-detail' });
  const map = createPieceMap();
  const root = h('li', { class: 'file-card', 'data-file-id': file.fileId },
    h('div', { class: 'file-head' },
      h('h3', { class: 'file-name', title: file.name }, file.name), badge, save, remove),
    progress, stats, detail, map.element);
  return { root, badge, progress, stats, detail, save, remove, map };
}

function statusLine(file: FileSnapshot, state: FileState): string {
  const percent = file.pieceCount === 0 ? 100 : Math.floor((100 * file.piecesHad) / file.pieceCount);
  const sources = Object.keys(file.sources).length;
  const parts = [`${percent} %`, `${formatBytes(file.size)}`, `${file.piecesHad}/${file.pieceCount} pieces`, `${formatBytes(file.storedBytes)} stored here`];
  if (file.awaitingVerification.length > 0) parts.push(`${file.awaitingVerification.length} being checked`);
  if (state === 'downloading' || state === 'verifying') {
    parts.push(formatRate(file.bytesPerSecond), formatEta(file.etaSeconds));
  }
  parts.push(sources === 1 ? '1 source' : `${sources} sources`);
  return parts.filter(Boolean).join(' · ');
}

function detailLine(file: FileSnapshot, state: FileState, nicknames: ReadonlyMap<string, string>): string {
  if (state === 'error') return file.error ?? 'Something went wrong with this file.';
  if (state === 'announced') {
    return file.holders.length === 0 ? 'Announced. Waiting for a connected peer that has pieces of it.'
      : `Announced. ${file.holders.length} connected peer(s) have pieces; starting.`;
  }
  if (state === 'verifying') return 'All pieces are in; checking the last ones against their SHA-256.';
  const from = Object.entries(file.sources).map(([id, n]) => `${peerName(id, nicknames)} ${n}`);
  const served = Object.values(file.servedTo).reduce((a, b) => a + b, 0);
  const lines = [];
  if (file.seeded) lines.push('You shared this file.');
  if (from.length > 0) lines.push(`Pieces from ${from.join(', ')}.`);
  if (served > 0) lines.push(`Served ${served} piece(s) to others.`);
  return lines.join(' ');
}

function updateCard(card: FileCard, file: FileSnapshot, nicknames: ReadonlyMap<string, string>): void {
  const state = shownState(file);
  const label = state === 'complete' && file.seeded ? 'Sharing' : STATE_LABELS[state];
  setText(card.badge, label);
  setAttr(card.root, 'data-state', state);
  setAttr(card.badge, 'data-state', state);
  setAttr(card.progress, 'value', String(file.piecesHad));
  setText(card.stats, statusLine(file, state));
  setText(card.detail, detailLine(file, state, nicknames));
  card.save.hidden = state !== 'complete';
  card.map.update(file, nicknames);
}

export function createFilesPanel(api: TabswarmApi, say: Say): FilesPanel {
  const list = h('ul', { id: 'files', class: 'file-list', 'aria-label': 'Files' });
  const empty = h('p', { class: 'empty' }, 'No files yet. Share one above, or wait for someone in your swarm to share.');
  const element = panel('files-panel', 'Files', empty, list);
  const cards = new Map<string, FileCard>();

  return {
    element,
    render(snap, nicknames) {
      const files = snap.swarms.flatMap((s) => s.files);
      const seen = new Set<string>();
      for (const file of files) {
        const key = `${file.swarmId}:${file.fileId}`; // one file may be in two swarms
        seen.add(key);
        let card = cards.get(key);
        if (!card) {
          card = createCard(api, file, say);
          cards.set(key, card);
          list.append(card.root);
        }
        updateCard(card, file, nicknames);
      }
      for (const [id, card] of cards) {
        if (seen.has(id)) continue;
        card.map.destroy();
        card.root.remove();
        cards.delete(id);
      }
      empty.hidden = files.length > 0;
    },
  };
}
