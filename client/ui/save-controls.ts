import type { SwarmId } from '../../shared/ids.ts';
import type { TabswarmApi } from '../api.ts';
import { directoryPicker, type SavedFiles, type SaveOptions } from '../save/save-files.ts';
import { errorText, formatBytes, h, setText } from './dom.ts';
import type { Say } from './event-log.ts';

// The buttons that save many files at once, and the one status line (with a progress bar) where a swarm says
// how far the zip (or the folder write) has got. "Save into a folder…" exists only where the browser lets a
// page write into a folder the user picks (File System Access: Chromium on https or localhost).

export interface SaveStatus {
  readonly element: HTMLElement;
  /** Runs one save, showing its progress; resolves when it ended (errors are shown and logged, not thrown). */
  run(what: string, save: (opts: SaveOptions) => Promise<SavedFiles>): Promise<void>;
}

export function createSaveStatus(say: Say): SaveStatus {
  const text = h('p', { class: 'save-text', role: 'status' });
  const bar = h('progress', { max: '1000', value: '0', 'aria-label': 'Saving' });
  bar.hidden = true;
  const element = h('div', { class: 'save-status' }, text, bar);
  return {
    element,
    async run(what, save) {
      bar.hidden = false;
      setText(text, `Preparing ${what}…`);
      const onProgress = (done: number, total: number) => {
        bar.value = total === 0 ? 1000 : Math.floor((1000 * done) / total);
        setText(text, `Writing ${what}: ${formatBytes(done)} of ${formatBytes(total)}`);
      };
      try {
        const saved = await save({ onProgress });
        const left = saved.left.length === 0 ? '' : ` ${saved.left.length} file(s) not complete yet were left out.`;
        const done = `Saved ${saved.name}: ${saved.files} file(s), ${formatBytes(saved.bytes)}.${left}`;
        setText(text, done);
        say('file', done);
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') return void setText(text, ''); // picker cancelled
        setText(text, `Could not save ${what}: ${errorText(e)}`);
        say('warn', `Could not save ${what}: ${errorText(e)}`);
      } finally {
        bar.hidden = true;
      }
    },
  };
}

export interface SaveButtons {
  readonly buttons: HTMLButtonElement[];
  /** Enables the buttons while something under them is complete. */
  setReady(ready: boolean): void;
}

/**
 * "Save all" (folder '') or "Save folder" for `folder`, and "Save into a folder…" where the browser has a
 * folder picker. `label` names the folder for screen readers.
 */
export function createSaveButtons(api: TabswarmApi, swarmId: SwarmId, folder: string, status: SaveStatus): SaveButtons {
  const whole = folder === '';
  const zipLabel = whole ? 'Save all' : `Save folder ${folder} as a zip`;
  const zip = h('button', { type: 'button', class: `button small${whole ? ' primary' : ''}`, 'aria-label': zipLabel },
    whole ? 'Save all' : 'Save folder');
  let busy = false;
  let ready = false;
  const buttons = [zip];
  const sync = () => buttons.forEach((b) => void (b.disabled = busy || !ready));
  const runSave = (what: string, save: (opts: SaveOptions) => Promise<SavedFiles>) => {
    busy = true;
    sync();
    void status.run(what, save).finally(() => {
      busy = false;
      sync();
    });
  };
  const opts = (o: SaveOptions): SaveOptions => ({ ...o, folder });
  zip.addEventListener('click', () => runSave('the zip', (o) => api.saveZip(swarmId, opts(o))));
  if (directoryPicker() !== null) {
    const label = whole ? 'Save into a folder…' : `Save folder ${folder} into a folder…`;
    const into = h('button', { type: 'button', class: 'button small', 'aria-label': label }, 'Save into a folder…');
    into.addEventListener('click', () => runSave('the files', (o) => api.saveToFolder(swarmId, opts(o))));
    buttons.push(into);
  }
  sync();
  return {
    buttons,
    setReady(now) {
      if (now === ready) return;
      ready = now;
      sync();
    },
  };
}
