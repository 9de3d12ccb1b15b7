import { blockingGaps, unavailableNotes, type Capabilities } from '../capabilities.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { h, panel } from './dom.ts';
import { peerName } from './peer-colors.ts';

// Plain-language checks: is the server reachable, does each swarm mate get a peer link, what the browser
// cannot do here. Tells "server reachable, peer link failed" (isolating Wi-Fi) apart from "server unreachable".

/** WebRTC on a LAN connects in about a second; a link still missing after this has most likely failed. */
const LINK_PATIENCE_MS = 20_000;
/** A short server blip (a restart) is not worth alarming anyone about. */
const SERVER_PATIENCE_MS = 3_000;
/** Each tab seeks this many links itself (peer/links/link-manager.ts): past it, unlinked mates are normal. */
const LINKS_SOUGHT = 8;

type Level = 'ok' | 'wait' | 'bad';
interface Check { level: Level; text: string }

export interface Diagnostics {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>, now: number): void;
}

const ICONS: Record<Level, string> = { ok: '✓', wait: '…', bad: '!' };

function serverCheck(snap: TabswarmSnapshot, downSince: number | null, now: number): Check {
  if (snap.server === 'connected') return { level: 'ok', text: 'Server reachable: this tab can find other peers.' };
  if (downSince === null || now - downSince < SERVER_PATIENCE_MS) return { level: 'wait', text: 'Contacting the server…' };
  return {
    level: 'bad',
    text: 'Server unreachable. The laptop running tabswarm may be off, asleep or on another network; ' +
      'check the address you opened. The page keeps trying, and files already here stay here.',
  };
}

function peerChecks(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>, waitingSince: Map<string, number>, now: number): Check[] {
  const linked = new Set(snap.peers.map((p) => p.peerId));
  const checks: Check[] = snap.peers.map((p) => ({
    level: p.linkState === 'connected' ? 'ok' : 'wait',
    text: `${peerName(p.peerId, nicknames)}: ${p.linkState !== 'connected' ? `link ${p.linkState}`
      : p.relayed ? 'linked, relayed through the server laptop (TURN)' : 'linked directly'}.`,
  }));
  const mates = new Set(snap.swarms.flatMap((s) => s.members).filter((id) => !linked.has(id)));
  for (const id of mates) {
    const waited = now - (waitingSince.get(id) ?? now);
    const who = peerName(id, nicknames);
    if (snap.peers.length >= LINKS_SOUGHT) checks.push({ level: 'ok', text: `${who}: not linked (each tab keeps about ${LINKS_SOUGHT} links; others pass pieces on).` });
    else if (snap.server !== 'connected' || waited < LINK_PATIENCE_MS) checks.push({ level: 'wait', text: `${who}: connecting…` });
    else {
      checks.push({
        level: 'bad',
        text: `${who}: server reachable, but the link to ${who} failed (no connection after ${Math.round(waited / 1000)} s). ` +
          'This Wi-Fi may isolate devices from each other (guest and school networks often do): ask the teacher ' +
          'to turn on the relay (TURN) or to use a hotspot, or try another network.',
      });
    }
  }
  return checks;
}

function checkList(checks: Check[], label: string): HTMLElement {
  return h('ul', { class: 'checks', 'aria-label': label }, ...checks.map((c) =>
    h('li', { class: `check check-${c.level}` }, h('span', { class: 'check-icon', 'aria-hidden': 'true' }, ICONS[c.level]), c.text)));
}

export function createDiagnostics(caps: Capabilities): Diagnostics {
  const live = h('div', { class: 'diag-live' });
  const errors = h('ul', { id: 'errors', class: 'notes notes-bad' }, ...blockingGaps(caps).map((t) => h('li', {}, t)));
  const notes = h('ul', { id: 'notes', class: 'notes' }, ...unavailableNotes(caps).map((t) => h('li', {}, t)));
  const secure = caps.secureContext
    ? h('p', { class: 'hint' }, 'Secure context (https or localhost): every browser feature tabswarm can use is on.')
    : h('p', { class: 'hint' }, 'Not a secure context (plain http from a network address). tabswarm hashes and stores pieces ' +
      'without the missing features, so sharing and downloading work the same; only the extras below are off.');
  const privacy = h('p', { class: 'privacy' }, 'Files stay in this browser (this tab’s own storage) and travel directly between peers. ' +
    'Nothing is stored on the server: it only introduces peers to each other.');
  const element = panel('diagnostics-panel', 'Connection check', live, errors, secure, notes, privacy);
  const waitingSince = new Map<string, number>(); // swarm mate without a link → since when
  let downSince: number | null = null; // server not connected since
  let lastKey = '';
  return {
    element,
    render(snap, nicknames, now) {
      downSince = snap.server === 'connected' ? null : downSince ?? now;
      const linked = new Set(snap.peers.map((p) => p.peerId));
      const mates = new Set(snap.swarms.flatMap((s) => s.members));
      for (const id of [...waitingSince.keys()]) if (linked.has(id) || !mates.has(id)) waitingSince.delete(id);
      for (const id of mates) if (!linked.has(id) && !waitingSince.has(id)) waitingSince.set(id, now);
      const checks = [serverCheck(snap, downSince, now), ...peerChecks(snap, nicknames, waitingSince, now)];
      const key = JSON.stringify(checks);
      if (key === lastKey) return;
      lastKey = key;
      live.replaceChildren(checkList(checks, 'Connection checks'));
    },
  };
}
