import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import type { ProfileStore } from '../peer/contracts.ts';
import { createSwarmEngine, type SwarmEngine } from '../peer/engine/swarm-engine.ts';
import type { EngineParams } from '../peer/snapshot-types.ts';
import { createLinkManager, type LinkManager } from '../peer/links/link-manager.ts';
import { TAB_LINK_CAPS } from '../peer/links/link-policy.ts';
import { createPeerLink } from '../peer/links/peer-link.ts';
import { swarmLink } from '../peer/signaling/join-target.ts';
import { createSignalingClient, type SignalingClient, type StoredIdentity } from '../peer/signaling/client.ts';
import { signalingUrl } from '../shared/signaling.ts';
import { linkBudget, type LinkBudget } from './fd-budget.ts';
import { nodeSha256Hex } from './sha256.ts';

// The same peer a tab runs (peer/: engine, links, signaling client), built from Node's adapters: `ws` for the
// socket, @roamhq/wrtc under simple-peer for WebRTC, and a store of files on disk.

export interface NodePeer {
  engine: SwarmEngine;
  signaling: SignalingClient;
  links: LinkManager;
  /** Set when the process's open-file limit holds its links below what it would take (fd-budget.ts). */
  linkBudget: LinkBudget | null;
  /** The join link of a swarm on the server's page. */
  linkFor(swarmId: string): string;
  /** Idempotent: closes the engine, every link, the socket and the store. */
  close(): void;
}

export interface NodePeerOptions {
  /** The tabswarm server's page address, e.g. http://192.168.1.23:8080/ (its socket is at /ws). */
  server: string;
  store: ProfileStore;
  nickname?: string;
  /** How many peers may link to this one; a sharer serves a whole class, so it takes more than a tab. */
  maxLinks?: number;
  /** Of maxLinks, links kept for peers it never linked to (the sharer's: peer/links/link-policy.ts). */
  reservedLinks?: number;
  /** The signaling server runs in this process too (`npm start -- --share`): its sockets share the open-file limit. */
  withServer?: boolean;
  /** Engine parameters over its defaults (a sharer's link speed). */
  params?: Partial<EngineParams>;
  /** The page address join links name, when it differs from `server` (the teacher's process reaches its own
   * server on 127.0.0.1, the class on a LAN address). */
  pageUrl?: string;
}

/** Throws on a server address that is not http(s). */
export function parseServerUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`not a server address: ${server} (expected e.g. http://192.168.1.23:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) server address: ${server}`);
  return url;
}

/** A `ws` socket in the browser's shape. A failed connect emits 'error' then 'close'; the client acts on close,
 * and an EventEmitter 'error' without a listener would throw, so it is listened to here. */
function openSocket(url: string): globalThis.WebSocket {
  const socket = new WebSocket(url);
  socket.on('error', () => undefined);
  return socket as unknown as globalThis.WebSocket;
}

/** The signaling client alone, over `ws` (what `get --list` needs: the swarm's announcements, no links). */
export function startNodeSignaling(page: URL, nickname?: string): SignalingClient {
  let identity: StoredIdentity | null = null; // kept for this process: a reconnect resumes the same peerId
  return createSignalingClient({
    url: signalingUrl(page),
    identity: { load: () => identity, save: (id) => void (identity = id) },
    createSocket: (url) => openSocket(url),
    ...(nickname === undefined ? {} : { nickname }),
  });
}

export function startNodePeer(opts: NodePeerOptions): NodePeer {
  const page = parseServerUrl(opts.server);
  const signaling = startNodeSignaling(page, opts.nickname);
  let engine: SwarmEngine | null = null; // built on the links below; its usage lets idle links give way
  const maxLinks = opts.maxLinks ?? TAB_LINK_CAPS.max;
  const budget = linkBudget(maxLinks, opts.withServer);
  const links = createLinkManager({
    signaling,
    createLink: (linkOpts) => createPeerLink({ ...linkOpts, wrtc }),
    lastUsed: (peerId) => engine?.lastUsed(peerId),
    maxLinks: budget?.links ?? maxLinks,
    wantedLinks: Math.min(TAB_LINK_CAPS.wanted, budget?.links ?? maxLinks),
    ...(opts.reservedLinks === undefined ? {} : { reservedLinks: opts.reservedLinks }),
  });
  const linkPage = opts.pageUrl === undefined ? page : parseServerUrl(opts.pageUrl);
  const linkFor = (swarmId: string): string => swarmLink(linkPage, swarmId);
  engine = createSwarmEngine({
    signaling, links, store: opts.store, secureContext: true, joinLink: linkFor, sha256: nodeSha256Hex, ...(opts.params === undefined ? {} : { params: opts.params }),
  });
  let closed = false;
  return {
    engine, signaling, links, linkBudget: budget, linkFor,
    close() {
      if (closed) return;
      closed = true;
      engine.close();
      links.close();
      signaling.close();
      opts.store.close();
    },
  };
}
