import type { TabswarmApi } from '../api.ts';
import type { FileSnapshot, FileState } from '../../peer/snapshot-types.ts';
import { shownState } from './file-state.ts';
import { errorText, formatBytes, formatEta, formatRate, h, setAttr, setText } from './dom.ts';
import type { Say } from './event-log.ts';
import { peerName } from './peer-colors.ts';
import { createPieceMap, type PieceMap } from './piece-map.ts';

// One file in the tree: state, progress, rate, ETA, sources, a Save button once complete, and its live piece
// map on demand (a canvas per file costs too much for a 256-file folder). Updated in place: focus survives.

const STATE_LABELS: Record<FileState, string> = {
  announced: 'Announced',
  downloading: 'Downloading',
  verifying: 'Verifying',
  complete: 'Complete',
  error: 'Error',
};

export interface FileCard {
  readonly root: HTMLElement;
  update(file: FileSnapshot, nicknames: ReadonlyMap<string, string>): void;
  destroy(): void;
}

let nextMapId = 0;

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

/** The piece map, drawn only while shown; `Pieces` toggles it (aria-expanded), `open` is the starting state. */
function createPieceToggle(file: FileSnapshot, open: boolean) {
  const id = `piece-map-${nextMapId++}`;
  const holder = h('div', { id, class: 'piece-map-holder' });
  const button = h('button', {
    type: 'button', class: 'button small', 'aria-controls': id, 'aria-label': `Pieces of ${file.name}`,
  }, 'Pieces');
  let map: PieceMap | null = null;
  let last: [FileSnapshot, ReadonlyMap<string, string>] | null = null;
  const show = (on: boolean) => {
    setAttr(button, 'aria-expanded', String(on));
    holder.hidden = !on;
    if (on && map === null) {
      map = createPieceMap();
      holder.append(map.element);
      if (last) map.update(...last);
    } else if (!on && map !== null) {
      map.destroy();
      map.element.remove();
      map = null;
    }
  };
  button.addEventListener('click', () => show(map === null));
  show(open);
  return {
    button, holder,
    update(f: FileSnapshot, nicknames: ReadonlyMap<string, string>) {
      last = [f, nicknames];
      map?.update(f, nicknames);
    },
    destroy: () => map?.destroy(),
  };
}

/** A card for `file`, shown under its tree name (the last segment of its path); `mapOpen`: piece map shown at first. */
export function createFileCard(api: TabswarmApi, file: FileSnapshot, shownName: string, mapOpen: boolean, say: Say): FileCard {
  const badge = h('span', { class: 'badge' });
  const save = h('button', { type: 'button', class: 'button primary', 'aria-label': `Save ${file.name}` }, 'Save');
  save.hidden = true;
  save.addEventListener('click', () => {
    api.save(file.fileId).catch((e: unknown) => say('warn', `Could not save ${file.name}: ${errorText(e)}`));
  });
  const remove = createRemoveButton(api, file, say);
  const pieces = createPieceToggle(file, mapOpen);
  const progress = h('progress', { max: String(Math.max(1, file.pieceCount)), value: '0', 'aria-label': `${file.name} progress` });
  const stats = h('p', { class: 'file-stats' });
  const detail = h('p', { class: 'file-detail' });
  const root = h('li', { class: 'file-card', 'data-file-id': file.fileId },
    h('div', { class: 'file-head' },
      h('h3', { class: 'file-name', title: file.name }, shownName), badge, save, pieces.button, remove),
    progress, stats, detail, pieces.holder);
  return {
    root,
    update(f, nicknames) {
      const state = shownState(f);
      setText(badge, state === 'complete' && f.seeded ? 'Sharing' : STATE_LABELS[state]);
      setAttr(root, 'data-state', state);
      setAttr(badge, 'data-state', state);
      setAttr(progress, 'value', String(f.piecesHad));
      setText(stats, statusLine(f, state));
      setText(detail, detailLine(f, state, nicknames));
      save.hidden = state !== 'complete';
      pieces.update(f, nicknames);
    },
    destroy: () => pieces.destroy(),
  };
}
