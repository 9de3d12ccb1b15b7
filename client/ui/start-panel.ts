import type { TabswarmApi } from '../api.ts';
import { errorText, h, panel, setText } from './dom.ts';

// Create a swarm, or join one by link, swarm ID or short code. The swarm this page shows lives in the URL
// fragment (#swarm=<id>): it never reaches a server log, and the address bar is itself the join link.

export interface StartPanel {
  readonly element: HTMLElement;
  /** Compact once this tab is in a swarm: joining another stays possible. */
  setInSwarm(inSwarm: boolean): void;
}

export const showSwarm = (swarmId: string): void => {
  if (location.hash !== `#swarm=${swarmId}`) location.hash = `swarm=${swarmId}`;
};

export function createStartPanel(api: TabswarmApi): StartPanel {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const create = h('button', { type: 'button', id: 'create-swarm', class: 'button primary' }, 'Create a swarm');
  const input = h('input', {
    type: 'text', id: 'join-input', 'aria-label': 'Swarm link or code', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', placeholder: 'Paste a link or type a code, e.g. K7MP2Q',
  });
  const join = h('button', { type: 'submit', class: 'button' }, 'Join swarm');
  const form = h('form', { class: 'join-form', 'aria-label': 'Join a swarm' }, input, join);
  const intro = h('p', { class: 'lead' }, 'Start a swarm and share files with everyone in the room, or join one someone shared with you.');
  const element = panel('start-panel', 'Start', intro,
    h('div', { class: 'start-actions' }, create, h('span', { class: 'or', 'aria-hidden': 'true' }, 'or'), form), status);

  create.addEventListener('click', () => {
    create.disabled = true;
    api.createSwarm()
      .then(({ swarmId }) => {
        showSwarm(swarmId);
        setText(status, 'Swarm created. Share it with the link, the QR code or the code.');
      })
      .catch((e: unknown) => setText(status, `Could not create a swarm: ${errorText(e)}`))
      .finally(() => void (create.disabled = false));
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim() === '') return setText(status, 'Paste a swarm link or type the code you were given.');
    const submitted = input.value;
    join.disabled = true;
    setText(status, 'Joining…');
    api.joinSwarm(submitted)
      .then((swarmId) => {
        showSwarm(swarmId);
        if (input.value === submitted) input.value = ''; // keep a link pasted while this join ran
        setText(status, 'Joined. Files announced in the swarm appear below.');
      })
      .catch((err: unknown) => setText(status, `Could not join: ${errorText(err)}. Check the link or code.`))
      .finally(() => void (join.disabled = false));
  });
  return {
    element,
    setInSwarm(inSwarm) {
      element.classList.toggle('compact', inSwarm);
      setText(element.querySelector('h2')!, inSwarm ? 'Another swarm' : 'Start');
      intro.hidden = inSwarm;
    },
  };
}
