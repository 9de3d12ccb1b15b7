import type { FileId, SwarmId } from '../../shared/ids.ts';
import { buildFileTree, folderTotals, type FolderTotals, type TreeFolder } from '../../shared/file-tree.ts';
import type { FileSnapshot, SwarmSnapshot } from '../../peer/snapshot-types.ts';
import type { TabswarmApi } from '../api.ts';
import { formatBytes, h, setAttr, setText } from './dom.ts';
import type { Say } from './event-log.ts';
import { createFileCard, type FileCard } from './file-card.ts';
import { createSaveButtons, createSaveStatus, type SaveButtons } from './save-controls.ts';

// One swarm's files as a tree of folders (shared/file-tree.ts): each folder a disclosure button (aria-expanded)
// with its size, progress and "Save folder"; above it "Save all". The DOM is rebuilt only when the set of
// files changes (rows are kept, so focus and open folders survive); a render updates the rows people can see
// (a collapsed folder's rows catch up when it opens), so 256 downloading files stay cheap to show.

/** Up to this many files every folder starts open; above it only the top level does. */
const OPEN_ALL_UP_TO = 32;
/** Up to this many files every piece map starts shown (the lesson's few big files); above it, on demand. */
const MAPS_SHOWN_UP_TO = 8;

interface FolderRow {
  node: TreeFolder<FileSnapshot>;
  root: HTMLElement;
  toggle: HTMLButtonElement;
  stats: HTMLElement;
  progress: HTMLProgressElement;
  children: HTMLElement;
  save: SaveButtons;
  open: boolean;
}

export interface SwarmTree {
  readonly element: HTMLElement;
  render(swarm: SwarmSnapshot, nicknames: ReadonlyMap<string, string>): void;
  destroy(): void;
}

let nextTreeId = 0;

const progressOf = (f: FileSnapshot) => ({ size: f.size, bytesHad: f.storedBytes, complete: f.state === 'complete' });

function totalsText(t: FolderTotals): string {
  const files = t.files === 1 ? '1 file' : `${t.files} files`;
  const percent = t.bytes === 0 ? 100 : Math.floor((100 * t.bytesHad) / t.bytes);
  return `${files} · ${formatBytes(t.bytes)} · ${percent} % · ${t.complete} complete`;
}

const structureKey = (swarm: SwarmSnapshot): string => swarm.files.map((f) => `${f.fileId}:${f.name}`).sort().join('|');

export function createSwarmTree(api: TabswarmApi, swarmId: SwarmId, say: Say): SwarmTree {
  const treeId = nextTreeId++;
  const status = createSaveStatus(say);
  const saveAll = createSaveButtons(api, swarmId, '', status);
  const summary = h('p', { class: 'tree-summary' });
  const list = h('ul', { class: 'file-tree', 'aria-label': `Files of swarm ${swarmId.slice(0, 8)}` });
  const element = h('div', { class: 'swarm-files', 'data-swarm-id': swarmId },
    h('div', { class: 'tree-bar' }, summary, ...saveAll.buttons), status.element, list);
  const cards = new Map<FileId, FileCard>();
  const rows = new Map<string, FolderRow>();
  let nextRowId = 0;
  let key = '';
  let tree: TreeFolder<FileSnapshot> | null = null;
  let last: [SwarmSnapshot, ReadonlyMap<string, string>] | null = null;

  function folderRow(node: TreeFolder<FileSnapshot>, fileCount: number): FolderRow {
    const known = rows.get(node.path);
    if (known) return Object.assign(known, { node });
    const childrenId = `tree-${treeId}-${nextRowId++}`;
    const toggle = h('button', { type: 'button', class: 'folder-toggle', 'aria-controls': childrenId, title: node.path },
      h('span', { class: 'folder-icon', 'aria-hidden': 'true' }), node.name);
    const stats = h('span', { class: 'folder-stats' });
    const progress = h('progress', { max: '1000', value: '0', 'aria-label': `${node.path} progress` });
    const children = h('ul', { id: childrenId, class: 'folder-children' });
    const save = createSaveButtons(api, swarmId, node.path, status);
    const root = h('li', { class: 'folder', 'data-path': node.path },
      h('div', { class: 'folder-head' }, toggle, stats, ...save.buttons), progress, children);
    const row: FolderRow = { node, root, toggle, stats, progress, children, save, open: fileCount <= OPEN_ALL_UP_TO || node.depth === 0 };
    toggle.addEventListener('click', () => {
      row.open = !row.open;
      showOpen(row);
      if (row.open && last) render(...last); // its rows catch up now
    });
    showOpen(row);
    rows.set(node.path, row);
    return row;
  }

  function showOpen(row: FolderRow): void {
    setAttr(row.toggle, 'aria-expanded', String(row.open));
    row.children.hidden = !row.open;
  }

  /** Lays out the folder's rows and cards in tree order, reusing every row and card that still exists. */
  function place(node: TreeFolder<FileSnapshot>, into: HTMLElement, swarm: SwarmSnapshot): void {
    const items: HTMLElement[] = [];
    for (const child of node.folders) {
      const row = folderRow(child, swarm.files.length);
      place(child, row.children, swarm);
      items.push(row.root);
    }
    for (const leaf of node.files) {
      let card = cards.get(leaf.file.fileId);
      if (!card) {
        card = createFileCard(api, leaf.file, leaf.name, swarm.files.length <= MAPS_SHOWN_UP_TO, say);
        cards.set(leaf.file.fileId, card);
      }
      items.push(card.root);
    }
    into.replaceChildren(...items);
  }

  function rebuild(swarm: SwarmSnapshot): void {
    tree = buildFileTree(swarm.files);
    const ids = new Set(swarm.files.map((f) => f.fileId));
    for (const [id, card] of cards) if (!ids.has(id)) (card.destroy(), cards.delete(id));
    const paths = new Set<string>();
    const walk = (n: TreeFolder<FileSnapshot>) => n.folders.forEach((c) => (paths.add(c.path), walk(c)));
    walk(tree);
    for (const path of rows.keys()) if (!paths.has(path)) rows.delete(path);
    place(tree, list, swarm);
  }

  /** Updates the visible rows and cards under `node` from the current snapshots. */
  function update(node: TreeFolder<FileSnapshot>, byId: Map<FileId, FileSnapshot>, nicknames: ReadonlyMap<string, string>): void {
    const current = (f: FileSnapshot) => byId.get(f.fileId) ?? f;
    for (const child of node.folders) {
      const row = rows.get(child.path)!;
      const totals = folderTotals(child, (f) => progressOf(current(f)));
      setText(row.stats, totalsText(totals));
      setAttr(row.progress, 'value', String(totals.bytes === 0 ? 1000 : Math.floor((1000 * totals.bytesHad) / totals.bytes)));
      row.save.setReady(totals.complete > 0);
      if (row.open) update(child, byId, nicknames);
    }
    for (const leaf of node.files) cards.get(leaf.file.fileId)?.update(current(leaf.file), nicknames);
  }

  function render(swarm: SwarmSnapshot, nicknames: ReadonlyMap<string, string>): void {
    last = [swarm, nicknames];
    const next = structureKey(swarm);
    if (next !== key || tree === null) {
      key = next;
      rebuild(swarm);
    }
    const byId = new Map(swarm.files.map((f) => [f.fileId, f]));
    const totals = folderTotals(tree!, (f) => progressOf(byId.get(f.fileId) ?? f));
    setText(summary, totalsText(totals));
    saveAll.setReady(totals.complete > 0);
    update(tree!, byId, nicknames);
  }

  return {
    element,
    render,
    destroy() {
      for (const card of cards.values()) card.destroy();
      cards.clear();
    },
  };
}
