import { toCanvas } from 'qrcode';
import type { SwarmId } from '../../shared/ids.ts';
import type { SignalingClient } from '../../peer/signaling/client.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { h, panel, setText } from './dom.ts';
import { showSwarm } from './start-panel.ts';

// Share the current swarm three ways: the link (swarm ID in the fragment), a QR code of it, and a short
// code from the server that a person can type.

/** A failed share-code request is retried at most this often (e.g. while the server is away). */
const CODE_RETRY_MS = 5_000;
/** The QR code is drawn this long after its swarm is shown, in an idle moment (at most QR_WAIT_MS later). */
const QR_DELAY_MS = 500;
const QR_WAIT_MS = 1_000;

export interface SharePanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, current: SwarmId | null): void;
}

/** Copies without the clipboard API too (plain http has none): a selected hidden textarea and execCommand. */
async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch { /* fall through to the old way */ }
  }
  const area = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' }, text);
  document.body.append(area);
  area.select();
  const done = document.execCommand('copy');
  area.remove();
  return done;
}

export function createSharePanel(signaling: Pick<SignalingClient, 'shareCode'>): SharePanel {
  const link = h('a', { id: 'share-link', class: 'share-link', href: '#' });
  const copy = h('button', { type: 'button', class: 'button' }, 'Copy link');
  const copied = h('span', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const qr = h('canvas', { class: 'qr', role: 'img', 'aria-label': 'QR code of the swarm link' });
  const code = h('output', { id: 'share-code', class: 'share-code', 'aria-label': 'Short code' }, '…');
  const picker = h('select', { 'aria-label': 'Swarm shown' });
  const pickerRow = h('label', { class: 'swarm-picker' }, 'Swarm: ', picker);
  const element = panel('share-panel', 'Invite others',
    pickerRow,
    h('div', { class: 'share-grid' },
      h('div', { class: 'share-text' },
        h('p', { class: 'share-label' }, 'Type this code on the start screen'), code,
        h('p', { class: 'share-label' }, 'or open this link'), h('p', { class: 'link-line' }, link),
        h('p', {}, copy, ' ', copied)),
      h('figure', { class: 'qr-figure' }, qr, h('figcaption', {}, 'Scan with a phone camera'))));
  element.hidden = true;
  const codes = new Map<SwarmId, string>();
  const asked = new Map<SwarmId, number>(); // share-code requests → when sent
  let shown: SwarmId | null = null;

  copy.addEventListener('click', () => {
    void copyText(link.href).then((okay) => setText(copied, okay ? 'Copied.' : 'Select the link and copy it by hand.'));
  });
  picker.addEventListener('change', () => showSwarm(picker.value));

  /**
   * Drawing a QR code is ~50 ms of cold JavaScript that would delay a joining tab's first pieces
   * (docs/performance.md): it is drawn half a second on, when the tab is idle.
   */
  function whenIdle(run: () => void): void {
    setTimeout(() => {
      if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: QR_WAIT_MS });
      else run();
    }, QR_DELAY_MS);
  }

  function requestCode(swarmId: SwarmId, snap: TabswarmSnapshot): void {
    if (codes.has(swarmId) || snap.server !== 'connected' || Date.now() - (asked.get(swarmId) ?? 0) < CODE_RETRY_MS) return;
    asked.set(swarmId, Date.now());
    void signaling.shareCode(swarmId).then((r) => {
      if (r.ok) codes.set(swarmId, r.value);
      if (shown === swarmId) setText(code, r.ok ? r.value : 'unavailable (server unreachable?)');
    });
  }

  function show(swarmId: SwarmId, href: string): void {
    shown = swarmId;
    link.href = href;
    setText(link, href);
    setText(copied, '');
    setText(code, codes.get(swarmId) ?? '…');
    whenIdle(() => {
      if (link.href !== href) return; // another swarm was shown meanwhile
      void toCanvas(qr, href, { margin: 1, width: 168, color: { dark: '#1f2a37', light: '#ffffff' } }).catch(() => undefined);
    });
  }

  return {
    element,
    render(snap, current) {
      const swarm = snap.swarms.find((s) => s.swarmId === current);
      element.hidden = swarm === undefined;
      if (swarm === undefined) return;
      requestCode(swarm.swarmId, snap);
      if (shown !== swarm.swarmId || link.href !== swarm.link) show(swarm.swarmId, swarm.link);
      const known = codes.get(swarm.swarmId);
      if (known !== undefined) setText(code, known);
      const ids = snap.swarms.map((s) => s.swarmId);
      pickerRow.hidden = ids.length < 2;
      if (picker.dataset['ids'] !== ids.join()) {
        picker.dataset['ids'] = ids.join();
        picker.replaceChildren(...ids.map((id) => h('option', { value: id }, `${id.slice(0, 8)}…`)));
      }
      picker.value = swarm.swarmId;
    },
  };
}
