import type { TabswarmApi } from '../api.ts';
import type { SwarmId } from '../../shared/ids.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { errorText, formatBytes, h, panel, setText } from './dom.ts';
import { showSwarm } from './start-panel.ts';

// Share files: drop them on the zone or pick them. Each is hashed into a manifest (progress shown), copied
// into this tab's storage, and announced to the swarm.

export interface SeedPanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot): void;
}

export function createSeedPanel(api: TabswarmApi, currentSwarm: () => SwarmId | null): SeedPanel {
  const input = h('input', { type: 'file', id: 'seed-input', class: 'visually-hidden', multiple: '', 'aria-label': 'Files to share' });
  const zone = h('label', { for: 'seed-input', class: 'drop-zone' },
    h('span', { class: 'drop-icon', 'aria-hidden': 'true' }, '⇪'),
    h('span', { class: 'drop-title' }, 'Drop files here'),
    h('span', { class: 'drop-sub' }, 'or press to choose files. They are hashed here and never uploaded to the server.'));
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const progress = h('ul', { class: 'seeding-list', 'aria-label': 'Files being prepared' });
  const element = panel('seed-panel', 'Share files', input, zone, progress, status);

  async function seed(files: File[]): Promise<void> {
    if (files.length === 0) return;
    try {
      let swarmId = currentSwarm();
      if (swarmId === null) {
        swarmId = (await api.createSwarm()).swarmId;
        showSwarm(swarmId);
      }
      setText(status, `Preparing ${files.length} file(s)…`);
      await api.seed(swarmId, files);
      setText(status, `Sharing ${files.length} file(s). Others in the swarm see them now.`);
    } catch (e) {
      setText(status, `Could not share: ${errorText(e)}`);
    }
  }

  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    void seed(files);
  });
  const setOver = (over: boolean) => zone.classList.toggle('over', over);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    setOver(true);
  });
  zone.addEventListener('dragleave', () => setOver(false));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    setOver(false);
    void seed([...(e.dataTransfer?.files ?? [])]);
  });

  let lastKey = '';
  return {
    element,
    render(snap) {
      const key = JSON.stringify(snap.seeding);
      if (key === lastKey) return;
      lastKey = key;
      progress.replaceChildren(...snap.seeding.map((s) => {
        const verb = s.phase === 'hashing' ? 'Hashing' : 'Storing';
        return h('li', {},
          h('span', {}, `${verb} ${s.name}: ${formatBytes(s.doneBytes)} of ${formatBytes(s.totalBytes)}`),
          h('progress', { max: String(Math.max(1, s.totalBytes)), value: String(s.doneBytes), 'aria-label': `${verb} ${s.name}` }));
      }));
    },
  };
}
