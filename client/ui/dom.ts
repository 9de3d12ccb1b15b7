import { formatBytes } from '../../peer/engine/storage-use.ts';

// Small DOM and formatting helpers for the classroom page.

export { formatBytes };

type Child = Node | string;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  // The page's CSP refuses style attributes (no 'unsafe-inline'); styles set through the CSSOM are allowed.
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'style') node.style.cssText = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** Sets text only when it changed, so a 5 Hz render does not churn the DOM or screen readers. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(node: Element, name: string, value: string): void {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** A titled panel: <section aria-labelledby> with an <h2>. */
export function panel(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

/** Records main-thread time since `start` under `name`, keeping one entry (a PerformanceObserver sees each). */
export function measureSince(name: string, start: number): void {
  performance.clearMeasures(name);
  performance.measure(name, { start });
}

export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s left`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min left`;
}

export const clock = (t: number): string => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
