import type { SwarmId } from '../../shared/ids.ts';
import type { Sha256Hex } from '../../shared/sha256.ts';
import type { WireMsg } from '../../shared/wire-messages.ts';
import type { ProfileStore } from '../contracts.ts';
import type { EngineState, PeerEntry } from './engine-state.ts';
import type { UploadHandler } from './upload-handler.ts';

// What the engine's parts share: its plain state and the few things they may do to the world. swarm-engine.ts
// builds the one context; each part takes only what it uses of it (`Pick<EngineContext, …>`).

export interface EngineContext {
  state: EngineState;
  /** The pieces, and this tab's records of swarms, files and removals. */
  store: ProfileStore;
  now: () => number;
  /** Verifies downloaded pieces (and smart ban's block copies) where the store does not. */
  sha256: Sha256Hex;
  /** Encodes and queues one message on the peer's link; never throws. */
  send: (peer: PeerEntry, msg: WireMsg) => void;
  /** Something the page shows changed (also announces downloads just completed). */
  changed: () => void;
  /** Only figures moved (bytes, requests, peers' pieces): the page redraws; a file completes only through changed. */
  progressed: () => void;
  uploads: UploadHandler;
  /** Tells the signaling server we left (it tells the swarm's members). */
  leaveOnServer: (swarmId: SwarmId) => void;
}
