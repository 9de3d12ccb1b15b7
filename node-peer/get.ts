import type { SwarmId } from '../shared/ids.ts';
import { verifyManifest } from '../shared/manifest.ts';
import { TAB_LINK_CAPS } from '../peer/links/link-policy.ts';
import type { FileSnapshot, SwarmSnapshot } from '../peer/snapshot-types.ts';
import { withWarmCache } from '../peer/storage/warm-store.ts';
import { announcedOnJoin, swarmOf } from './get-list.ts';
import type { GetRules } from './get-rules.ts';
import { openGetStore, type GetStore, type SkippedFile } from './get-store.ts';
import { startNodePeer, type NodePeer } from './node-peer.ts';
import { describeLinkBudget } from './fd-budget.ts';
import { reportServerState, whenOpen } from './terminal.ts';

// `get`: joins the swarm a link, id or code names, downloads the files announced in it that its rules take
// (get-rules.ts) into the output folder (verified piece by piece, resumable), and resolves once each of them is
// complete or has failed: one file's failure leaves the others going.

export interface GetProgress {
  files: FileSnapshot[];
  /** Bytes of the swarm's files already verified on disk. */
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
}

export interface Getting {
  peer: NodePeer;
  store: GetStore;
  swarmId: SwarmId;
  /** Resolves once every file is written, failed (a full disk, a name the disk refused) or left out. */
  done: Promise<GetOutcome>;
  close(): void;
}

const hadBytes = (f: FileSnapshot): number =>
  Math.min(f.size, f.piecesHad * f.pieceLength);

export function progressOf(swarm: SwarmSnapshot | undefined): GetProgress {
  const files = swarm?.files ?? [];
  return {
    files,
    doneBytes: files.reduce((n, f) => n + (f.state === 'complete' ? f.size : hadBytes(f)), 0),
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    bytesPerSecond: files.reduce((n, f) => n + f.bytesPerSecond, 0),
  };
}

/** How a `get` ended: the files written, those that failed, and those the rules left out (with the reason). */
export interface GetOutcome {
  done: string[];
  failed: Array<{ name: string; error: string }>;
  skipped: SkippedFile[];
}

/** Resolves once every file announced on join (and any since) is complete, failed, or left out by the store. */
function waitForFiles(
  peer: NodePeer, store: GetStore, swarmId: SwarmId, expected: Set<string>, onProgress: (p: GetProgress) => void,
  onSkipped: (recheck: () => void) => void,
): Promise<GetOutcome> {
  return new Promise((resolve) => {
    let finished = false;
    const check = () => {
      if (finished) return;
      const swarm = peer.engine.snapshot().swarms.find((s) => s.swarmId === swarmId);
      const progress = progressOf(swarm);
      onProgress(progress);
      const skipped = store.skipped();
      const accounted = new Set([...progress.files.map((f) => f.fileId), ...skipped.map((f) => f.fileId)]);
      if (accounted.size === 0 || ![...expected].every((id) => accounted.has(id))) return;
      if (!progress.files.every((f) => f.state === 'complete' || f.state === 'error')) return;
      finished = true;
      unsubscribe();
      const done = progress.files.filter((f) => f.state === 'complete').map((f) => store.targetOf(f.fileId) ?? f.name);
      const failed = [
        ...progress.files.filter((f) => f.state === 'error').map((f) => ({ name: f.name, error: f.error ?? 'it could not be stored' })),
        ...skipped.filter((f) => f.failed).map((f) => ({ name: f.name, error: f.reason })),
      ];
      void store.settled().then(() => resolve({ done, failed, skipped: skipped.filter((f) => !f.failed) }));
    };
    const unsubscribe = peer.engine.onChange(check);
    onSkipped(check);
    check();
  });
}

export async function startGetting(opts: {
  target: string;
  out: string;
  server: string;
  rules?: Partial<GetRules>;
  onProgress?: (p: GetProgress) => void;
  /** Told when the server cannot be reached and when it is back, and of files of the person's kept as they are. */
  log?: (line: string) => void;
}): Promise<Getting> {
  let recheck = () => {};
  const store = await openGetStore(opts.out, {
    ...(opts.rules === undefined ? {} : { rules: opts.rules }),
    ...(opts.log === undefined ? {} : { onNotice: opts.log }),
    onSkipped: () => recheck(),
  });
  const peer = startNodePeer({ server: opts.server, store: withWarmCache(store) });
  const stopReporting = opts.log ? reportServerState(peer.signaling, opts.server, opts.log) : () => {};
  if (peer.linkBudget !== null) opts.log?.(`note: ${describeLinkBudget(peer.linkBudget, TAB_LINK_CAPS.max)}`);
  const close = () => {
    stopReporting();
    peer.close();
  };
  try {
    await whenOpen(peer.signaling);
    const swarmId = await swarmOf(opts.target, peer.signaling);
    // Announcements whose manifest does not hash to their fileId are dropped by the engine: not waited for.
    const announced = announcedOnJoin(peer.signaling, swarmId).then(async (list) =>
      new Set((await Promise.all(list.map(async (a) => ((await verifyManifest(a.fileId, a.manifest)).ok ? [a.fileId] : [])))).flat()));
    await peer.engine.start(); // resumes the files this folder already holds
    await peer.engine.joinSwarm(swarmId);
    const done = announced.then((expected) => waitForFiles(peer, store, swarmId, expected, opts.onProgress ?? (() => {}), (r) => void (recheck = r)));
    return { peer, store, swarmId, done, close };
  } catch (e) {
    close();
    throw e;
  }
}
