import type { SwarmId } from '../shared/ids.ts';
import type { FileSnapshot, SwarmSnapshot } from '../peer/snapshot-types.ts';
import { parseJoinTarget } from '../peer/signaling/join-target.ts';
import { withWarmCache } from '../peer/storage/warm-store.ts';
import { openGetStore, type GetStore } from './get-store.ts';
import { startNodePeer, type NodePeer } from './node-peer.ts';
import { reportServerState, whenOpen } from './terminal.ts';

// `get`: joins the swarm a link, id or code names, downloads every file announced in it into the output
// folder (verified piece by piece, resumable), and resolves once all of them are complete.

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
  /** Resolves with the complete files' paths; rejects with the first file error (a full disk). */
  done: Promise<string[]>;
  close(): void;
}

/** A join target that names no swarm (a mistyped or expired code). */
export class JoinTargetError extends Error {
  override readonly name = 'JoinTargetError';
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

/** The fileIds the server listed for the swarm when we joined it: done means at least these are complete. */
function announcedOnJoin(peer: NodePeer, swarmId: SwarmId): Promise<Set<string>> {
  return new Promise((resolve) => {
    const unsubscribe = peer.signaling.subscribe({
      onJoined: (joined, _members, announcements) => {
        if (joined !== swarmId) return;
        unsubscribe();
        resolve(new Set(announcements.map((a) => a.fileId)));
      },
    });
  });
}

function waitForFiles(
  peer: NodePeer, store: GetStore, swarmId: SwarmId, expected: Set<string>, onProgress: (p: GetProgress) => void,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const swarm = peer.engine.snapshot().swarms.find((s) => s.swarmId === swarmId);
      const progress = progressOf(swarm);
      onProgress(progress);
      const failed = progress.files.find((f) => f.state === 'error');
      const present = new Set(progress.files.map((f) => f.fileId));
      if (failed) {
        unsubscribe();
        reject(new Error(failed.error ?? `${failed.name} could not be stored`));
      } else if (present.size > 0 && [...expected].every((id) => present.has(id)) && progress.files.every((f) => f.state === 'complete')) {
        unsubscribe();
        const paths = progress.files.map((f) => store.targetOf(f.fileId) ?? f.name);
        void store.settled().then(() => resolve(paths));
      }
    };
    const unsubscribe = peer.engine.onChange(check);
    check();
  });
}

export async function startGetting(opts: {
  target: string;
  out: string;
  server: string;
  onProgress?: (p: GetProgress) => void;
  /** Told when the server cannot be reached, and when it is back. */
  log?: (line: string) => void;
}): Promise<Getting> {
  const store = await openGetStore(opts.out);
  const peer = startNodePeer({ server: opts.server, store: withWarmCache(store) });
  const stopReporting = opts.log ? reportServerState(peer.signaling, opts.server, opts.log) : () => {};
  const close = () => {
    stopReporting();
    peer.close();
  };
  try {
    await whenOpen(peer.signaling);
    const swarmId = await parseJoinTarget(opts.target, peer.signaling);
    if (swarmId === null) throw new JoinTargetError(`${opts.target} is not a join link, swarm id or current share code`);
    const announced = announcedOnJoin(peer, swarmId);
    await peer.engine.start(); // resumes the files this folder already holds
    await peer.engine.joinSwarm(swarmId);
    const done = announced.then((expected) => waitForFiles(peer, store, swarmId, expected, opts.onProgress ?? (() => {})));
    return { peer, store, swarmId, done, close };
  } catch (e) {
    close();
    throw e;
  }
}
