import type { TabswarmApi } from '../api.ts';
import type { ServerState, TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { checkNickname } from '../../shared/nickname.ts';
import { h, setAttr, setText } from './dom.ts';

// Title, server status, this tab's nickname (shown to the others) and peer ID.

const NICKNAME_KEY = 'tabswarm-nickname';
const ADJECTIVES = ['Calm', 'Brave', 'Swift', 'Quiet', 'Bright', 'Lucky', 'Clever', 'Gentle', 'Sunny', 'Bold'];
const ANIMALS = ['Otter', 'Falcon', 'Panda', 'Fox', 'Heron', 'Lynx', 'Koala', 'Wren', 'Badger', 'Orca'];

const SERVER_TEXT: Record<ServerState, string> = {
  connecting: 'Connecting to the server…',
  connected: 'Connected',
  reconnecting: 'Server lost, reconnecting…',
  closed: 'Disconnected',
};

export interface Header {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot): void;
}

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

/** This tab's nickname: kept across reloads of the tab (sessionStorage), a friendly random one at first. */
function initialNickname(): string {
  try {
    const saved = sessionStorage.getItem(NICKNAME_KEY);
    if (saved && checkNickname(saved).ok) return saved;
  } catch { /* storage blocked: a fresh name each load is fine */ }
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}

function saveNickname(name: string): void {
  try {
    sessionStorage.setItem(NICKNAME_KEY, name);
  } catch { /* see initialNickname */ }
}

export function createHeader(api: TabswarmApi): Header {
  const status = h('span', { id: 'status', class: 'server-status', 'data-server': 'connecting' }, SERVER_TEXT.connecting);
  const peerId = h('code', { id: 'peer-id', class: 'peer-id', title: 'Your peer ID' }, '?');
  const nickname = h('input', { type: 'text', id: 'nickname', maxlength: '32', autocomplete: 'nickname', 'aria-label': 'Your nickname' });
  const refusal = h('p', { id: 'nickname-error', class: 'nickname-error', role: 'alert' });
  const form = h('form', { class: 'nickname-form', 'aria-label': 'Nickname' },
    h('label', { for: 'nickname' }, 'You are'), nickname, h('button', { type: 'submit', class: 'button small' }, 'Rename'));
  const element = h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), h('h1', {}, 'tabswarm'),
      h('p', { class: 'tagline' }, 'Browser tabs sharing files, piece by piece')),
    h('div', { class: 'identity' }, form, refusal, h('p', { class: 'who' }, status, ' · peer ', peerId)));

  /** The server checks the same rules (shared/nickname.ts); refusing here says why before anything is sent. */
  const apply = (typed: string) => {
    const checked = checkNickname(typed);
    setText(refusal, checked.ok ? '' : `Not renamed: ${checked.error}.`);
    setAttr(nickname, 'aria-invalid', String(!checked.ok));
    if (!checked.ok) return;
    saveNickname(checked.value);
    api.setNickname(checked.value);
    nickname.value = checked.value;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply(nickname.value);
  });
  nickname.addEventListener('change', () => apply(nickname.value));
  apply(initialNickname());

  return {
    element,
    render(snap) {
      setText(status, SERVER_TEXT[snap.server]);
      setAttr(status, 'data-server', snap.server);
      setText(peerId, snap.peerId ?? '?');
    },
  };
}
