import type { SwarmId } from '../../shared/ids.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import type { TabswarmApi } from '../api.ts';
import { h, measureSince, panel } from './dom.ts';
import type { Say } from './event-log.ts';
import { createSwarmTree, type SwarmTree } from './file-tree-view.ts';

// Every file in this tab's swarms, one folder tree per swarm (file-tree-view.ts). Each render is measured
// (`tabswarm:files-render` in the browser's performance timeline) so a bench can observe it with 256 files.

export interface FilesPanel {
  readonly element: HTMLElement;
  render(snap: TabswarmSnapshot, nicknames: ReadonlyMap<string, string>): void;
}

const FILES_RENDER_MEASURE = 'tabswarm:files-render';

export function createFilesPanel(api: TabswarmApi, say: Say): FilesPanel {
  const trees = h('div', { class: 'swarm-trees' });
  const empty = h('p', { class: 'empty' }, 'No files yet. Share one above, or wait for someone in your swarm to share.');
  const element = panel('files-panel', 'Files', empty, trees);
  const bySwarm = new Map<SwarmId, SwarmTree>();

  return {
    element,
    render(snap, nicknames) {
      const started = performance.now();
      const shown = snap.swarms.filter((s) => s.files.length > 0);
      for (const swarm of shown) {
        let tree = bySwarm.get(swarm.swarmId);
        if (!tree) {
          tree = createSwarmTree(api, swarm.swarmId, say);
          bySwarm.set(swarm.swarmId, tree);
          trees.append(tree.element);
        }
        tree.render(swarm, nicknames);
      }
      const ids = new Set(shown.map((s) => s.swarmId));
      for (const [id, tree] of bySwarm) {
        if (ids.has(id)) continue;
        tree.destroy();
        tree.element.remove();
        bySwarm.delete(id);
      }
      empty.hidden = shown.length > 0;
      measureSince(FILES_RENDER_MEASURE, started);
    },
  };
}
