import type { TabswarmApi } from '../api.ts';
import type { FileSnapshot, TabswarmSnapshot } from '../snapshot-types.ts';
import { el, formatBytes, formatEta } from './basic-dom.ts';

// A plain page section that works: join by link or code, share files through a file picker, watch
// progress, save finished files. The classroom UI (issue 5) replaces it; tests drive it by label.

const SWARM_FRAGMENT = /#swarm=([0-9a-f]{32})/;

/** The swarm this page is "in": the one in the URL fragment, else the first joined. */
function currentSwarm(snap: TabswarmSnapshot): string | null {
  return SWARM_FRAGMENT.exec(location.hash)?.[1] ?? snap.swarms[0]?.swarmId ?? null;
}

export function mountBasicUi(root: HTMLElement, api: TabswarmApi): () => void {
  const status = el('p', { role: 'status', 'aria-live': 'polite' });
  const joinInput = el('input', { type: 'text', id: 'join-input', 'aria-label': 'Swarm link or code', placeholder: 'Paste a swarm link or type a code' });
  const joinButton = el('button', { type: 'submit' }, 'Join swarm');
  const joinForm = el('form', { 'aria-label': 'Join a swarm' }, joinInput, joinButton);
  const seedInput = el('input', { type: 'file', id: 'seed-input', multiple: '', 'aria-label': 'Files to share' });
  const seeding = el('ul', { 'aria-label': 'Files being prepared' });
  const files = el('ul', { id: 'files', 'aria-label': 'Files' });
  root.append(el('section', { id: 'basic-ui', 'aria-label': 'Files in your swarms' },
    el('h2', {}, 'Files'), joinForm, el('p', {}, el('label', { for: 'seed-input' }, 'Share files: '), seedInput),
    status, seeding, files));

  joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const typed = joinInput.value;
    joinInput.value = '';
    api.joinSwarm(typed)
      .then((swarmId) => void (location.hash = `swarm=${swarmId}`))
      .catch((err: unknown) => void (status.textContent = `Could not join: ${String(err instanceof Error ? err.message : err)}`));
  });
  seedInput.addEventListener('change', () => void seedPicked());

  async function seedPicked(): Promise<void> {
    const picked = [...(seedInput.files ?? [])];
    if (picked.length === 0) return;
    let swarmId = currentSwarm(api.snapshot());
    if (swarmId === null) {
      swarmId = (await api.createSwarm()).swarmId;
      location.hash = `swarm=${swarmId}`;
    }
    try {
      await api.seed(swarmId, picked);
      status.textContent = `Sharing ${picked.length} file(s).`;
    } catch (err) {
      status.textContent = `Could not share: ${err instanceof Error ? err.message : String(err)}`;
    }
    seedInput.value = '';
  }

  const render = (snap: TabswarmSnapshot) => {
    seeding.replaceChildren(...snap.seeding.map((s) =>
      el('li', {}, `${s.phase === 'hashing' ? 'Hashing' : 'Storing'} ${s.name}: ${formatBytes(s.doneBytes)} of ${formatBytes(s.totalBytes)}`)));
    files.replaceChildren(...snap.swarms.flatMap((s) => s.files.map((f) => fileRow(api, f))));
  };
  render(api.snapshot());
  return api.onChange(render);
}

function fileRow(api: TabswarmApi, f: FileSnapshot): HTMLElement {
  const progress = el('progress', { max: String(Math.max(1, f.pieceCount)), value: String(f.pieceCount === 0 ? 1 : f.piecesHad), 'aria-label': `${f.name} progress` });
  const sources = Object.keys(f.sources).length;
  const detail = [
    f.state, `${f.piecesHad}/${f.pieceCount} pieces`, formatBytes(f.size),
    f.state === 'downloading' ? `${formatBytes(f.bytesPerSecond)}/s, ${formatEta(f.etaSeconds)}, ${sources} source(s)` : '',
    f.error ?? '',
  ].filter(Boolean).join(' · ');
  const row = el('li', { 'data-file-id': f.fileId, 'data-state': f.state }, el('strong', {}, f.name), ' ', progress, ' ', el('span', {}, detail));
  if (f.state === 'complete') {
    const save = el('button', { type: 'button', 'aria-label': `Save ${f.name}` }, 'Save');
    save.addEventListener('click', () => void api.save(f.fileId));
    row.append(' ', save);
  }
  return row;
}
