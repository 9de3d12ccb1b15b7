import type { FileSnapshot } from '../../peer/snapshot-types.ts';
import { h, setAttr } from './dom.ts';
import { CHECKING_COLOR, IN_FLIGHT_COLOR, MISSING_COLOR, SELF_COLOR, peerColor, peerName } from './peer-colors.ts';

// A live grid with one cell per piece, coloured by the peer it came from. Only cells whose colour changed
// are redrawn, so a 128 MiB transfer costs a few fillRects per frame, not a full repaint.

/** Cells stay readable on a phone yet a 4096-piece file still fits in a few hundred pixels of height. */
const MIN_CELL_PX = 5;
const MAX_CELL_PX = 18;
const MAX_HEIGHT_PX = 220;
const IN_FLIGHT = 'in-flight';
const CHECKING = 'checking';
const MISSING = 'missing';

export interface PieceMap {
  readonly element: HTMLElement;
  update(file: FileSnapshot, nicknames: ReadonlyMap<string, string>): void;
  destroy(): void;
}

interface Layout {
  cell: number;
  cols: number;
  width: number;
}

function layoutFor(pieceCount: number, width: number): Layout {
  const fit = Math.floor(Math.sqrt((width * MAX_HEIGHT_PX) / Math.max(1, pieceCount)));
  const cell = Math.max(MIN_CELL_PX, Math.min(MAX_CELL_PX, fit));
  return { cell, cols: Math.max(1, Math.floor(width / cell)), width };
}

function cellKeys(file: FileSnapshot): string[] {
  const keys: string[] = file.pieceSources.map((s) => (s === null ? MISSING : s));
  for (const i of file.inFlight) if (keys[i] === MISSING) keys[i] = IN_FLIGHT;
  for (const i of file.awaitingVerification) if (keys[i] === IN_FLIGHT) keys[i] = CHECKING;
  return keys;
}

function drawCell(ctx: CanvasRenderingContext2D, lay: Layout, index: number, key: string): void {
  const x = (index % lay.cols) * lay.cell;
  const y = Math.floor(index / lay.cols) * lay.cell;
  const gap = lay.cell >= 8 ? 2 : 1;
  const size = lay.cell - gap;
  ctx.clearRect(x, y, lay.cell, lay.cell);
  if (key === IN_FLIGHT) {
    ctx.fillStyle = '#fff4d6';
    ctx.fillRect(x, y, size, size);
    ctx.strokeStyle = IN_FLIGHT_COLOR;
    ctx.lineWidth = Math.max(1, Math.floor(size / 5));
    const inset = ctx.lineWidth / 2;
    ctx.strokeRect(x + inset, y + inset, size - ctx.lineWidth, size - ctx.lineWidth);
    return;
  }
  ctx.fillStyle = key === MISSING ? MISSING_COLOR : key === CHECKING ? CHECKING_COLOR : key === 'self' ? SELF_COLOR : peerColor(key);
  ctx.fillRect(x, y, size, size);
}

function legendItems(file: FileSnapshot, nicknames: ReadonlyMap<string, string>): [string, string, number][] {
  const counts = new Map<string, number>();
  for (const s of file.pieceSources) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  const items: [string, string, number][] = [...counts].map(([source, n]) => [
    source === 'self' ? SELF_COLOR : peerColor(source),
    source === 'self' ? (file.seeded ? 'seeded here' : 'stored here') : `from ${peerName(source, nicknames)}`, n,
  ]);
  items.push([IN_FLIGHT_COLOR, 'in flight', file.inFlight.length - file.awaitingVerification.length]);
  items.push([CHECKING_COLOR, 'being checked', file.awaitingVerification.length]);
  items.push([MISSING_COLOR, 'missing', file.pieceCount - file.piecesHad - file.inFlight.length]);
  return items;
}

function renderLegend(list: HTMLElement, items: [string, string, number][]): void {
  const text = items.map(([, label, n]) => `${label} ${n}`).join('|');
  if (list.dataset['key'] === text) return;
  list.dataset['key'] = text;
  list.replaceChildren(...items.map(([color, label, n]) => h('li', {},
    h('span', { class: `swatch${label === 'in flight' ? ' swatch-flight' : ''}`, style: `--swatch:${color}`, 'aria-hidden': 'true' }),
    `${label} `, h('span', { class: 'count' }, String(n)))));
}

export function createPieceMap(): PieceMap {
  const canvas = h('canvas', { role: 'img', class: 'piece-canvas' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Piece map legend' });
  const element = h('div', { class: 'piece-map' }, canvas, legend);
  let drawn: string[] = [];
  let lay: Layout | null = null;
  let last: FileSnapshot | null = null;
  const resize = new ResizeObserver(() => {
    lay = null; // re-layout and repaint everything on the next update
    if (last) draw(last);
  });
  resize.observe(element);

  function draw(file: FileSnapshot): void {
    const ctx = canvas.getContext('2d');
    const width = Math.floor(element.clientWidth);
    if (ctx === null || width === 0) return;
    const keys = cellKeys(file);
    if (lay === null || lay.width !== width || drawn.length !== keys.length) {
      lay = layoutFor(keys.length, width);
      const ratio = window.devicePixelRatio || 1;
      const height = Math.ceil(keys.length / lay.cols) * lay.cell;
      canvas.width = Math.round(lay.cols * lay.cell * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${lay.cols * lay.cell}px`;
      canvas.style.height = `${height}px`;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      drawn = [];
    }
    for (let i = 0; i < keys.length; i++) {
      if (drawn[i] !== keys[i]) drawCell(ctx, lay, i, keys[i]!);
    }
    drawn = keys;
  }

  return {
    element,
    update(file, nicknames) {
      last = file;
      draw(file);
      const items = legendItems(file, nicknames);
      renderLegend(legend, items);
      setAttr(canvas, 'aria-label', `Piece map of ${file.name}: ${file.piecesHad} of ${file.pieceCount} pieces, ` +
        items.filter(([, , n]) => n > 0).map(([, label, n]) => `${n} ${label}`).join(', '));
    },
    destroy: () => resize.disconnect(),
  };
}
