import { createTabswarmApi, joinLinkFor, type Housekeeping, type TabswarmApi } from './api.ts';
import type { LinkSource, ProfileStore } from '../peer/contracts.ts';
import type { HeldSignalingClient } from '../peer/signaling/client.ts';
import type { EngineParams } from '../peer/snapshot-types.ts';
import { withWarmCache } from '../peer/storage/warm-store.ts';
import { createSwarmEngine, type SwarmEngine } from '../peer/engine/swarm-engine.ts';

// What the page shell calls once its adapters exist: the engine, window.tabswarm and the page's UI.

export interface BootedEngine {
  engine: SwarmEngine;
  api: TabswarmApi;
}

export async function bootEngine(deps: {
  /** Its held events are released once the engine listens (before the profile's swarms load). */
  signaling: HeldSignalingClient;
  links: LinkSource;
  store: ProfileStore;
  keeper: Housekeeping;
  secureContext: boolean;
  params: Partial<EngineParams>;
  /** The page's UI (the classroom page, client/ui/app.ts). */
  mountUi: (api: TabswarmApi) => void;
}): Promise<BootedEngine> {
  const engine = createSwarmEngine({
    signaling: deps.signaling, links: deps.links, store: withWarmCache(deps.store), secureContext: deps.secureContext,
    params: deps.params, joinLink: (swarmId) => joinLinkFor(swarmId),
  });
  const api = createTabswarmApi(engine, deps.signaling, deps.keeper);
  window.tabswarm = api;
  deps.mountUi(api);
  deps.signaling.releaseEvents();
  await engine.start();
  return { engine, api };
}
