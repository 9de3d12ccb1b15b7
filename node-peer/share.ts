import path from 'node:path';
import { SHARER_LINK_CAPS } from '../peer/links/link-policy.ts';
import type { SwarmId } from '../shared/ids.ts';
import { openManifestCache } from './manifest-cache.ts';
import { startNodePeer, type NodePeer } from './node-peer.ts';
import { createShareStore } from './share-store.ts';
import { findSharedFiles, hashSharedFiles, type HashProgress, type SharedFile } from './shared-files.ts';

// `share`: the files are hashed (or their manifests taken from the cache), one swarm is joined with all of
// them announced, and pieces are served from the files on disk for as long as the process runs.


export interface Sharing {
  peer: NodePeer;
  swarmId: SwarmId;
  link: string;
  files: SharedFile[];
  close(): void;
}

export interface ShareOptions {
  paths: string[];
  server: string;
  /** The page address join links name (default: `server`). */
  pageUrl?: string;
  cacheDir?: string;
  nickname?: string;
  onHashProgress?: (p: HashProgress) => void;
  /** A shared file stopped being served (changed, shrunk or deleted on disk). */
  onBroken?: (file: SharedFile, reason: string) => void;
  /** The signaling server runs in this process too (`npm start -- --share`). */
  withServer?: boolean;
  /** The link's speed in bytes per second, if known (`npm start -- --uplink`): the engine's uplinkBytesPerSecond. */
  uplinkBytesPerSecond?: number | null;
}

/** Resolves once the files are announced (queued on the socket if the server is not reachable yet). */
export async function startSharing(opts: ShareOptions): Promise<Sharing> {
  const found = await findSharedFiles(opts.paths);
  const cache = await openManifestCache(opts.cacheDir);
  const files = await hashSharedFiles(found, cache, opts.onHashProgress);
  const swarmId = cache.swarmFor(opts.paths.map((p) => path.resolve(p)));
  await cache.save().catch(() => undefined);
  const store = createShareStore({ swarmId, files, onBroken: (f, reason) => opts.onBroken?.(f, reason) });
  const peer = startNodePeer({
    server: opts.server, store, maxLinks: SHARER_LINK_CAPS.max, reservedLinks: SHARER_LINK_CAPS.reserved, params: { uplinkBytesPerSecond: opts.uplinkBytesPerSecond ?? null },
    ...(opts.pageUrl === undefined ? {} : { pageUrl: opts.pageUrl }),
    ...(opts.nickname === undefined ? {} : { nickname: opts.nickname }),
    ...(opts.withServer === undefined ? {} : { withServer: opts.withServer }),
  });
  try {
    await peer.engine.start(); // joins the swarm and announces every file from the store's records
  } catch (e) {
    peer.close();
    throw e;
  }
  return { peer, swarmId, link: peer.linkFor(swarmId), files, close: () => peer.close() };
}
