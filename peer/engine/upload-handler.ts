import type { PeerId } from '../../shared/ids.ts';
import { pieceSize } from '../../shared/manifest.ts';
import { route } from '../../shared/routing-table.ts';
import {
  cancelRequest, enqueueRequest, nextToServe, queuedCount, removePeer, removeRoute, type UploadQueue, type UploadRequest,
} from '../../shared/upload-queue.ts';
import type { RejectReason, Route, WireMsg } from '../../shared/wire-messages.ts';
import type { PieceStore } from '../contracts.ts';
import type { EngineState, PeerEntry, RouteEntry } from './engine-state.ts';

// The serving half of a peer (the lab's "handler"): requests from many peers at once go through the
// shared upload queue (checked against the routing table, round-robin across peers), blocks are read
// from the store and sent with backpressure. Each peer has its own lane: a peer whose channel drains
// slowly keeps its turn but is skipped while its lane is full, so it never stalls the others.

/** Blocks handed to one link and not yet drained below its low-water mark: enough to keep it busy. */
const MAX_PENDING_PER_PEER = 16;
/** Store reads at once across all peers: bounds memory held by blocks read but not yet sent. */
const MAX_READS = 16;

export interface UploadHandler {
  onRequest(peer: PeerEntry, entry: RouteEntry, req: UploadRequest): void;
  onCancel(peer: PeerEntry, entry: RouteEntry, req: UploadRequest): void;
  /** Answers a request we will not serve. */
  reject(peer: PeerEntry, req: UploadRequest, reason: RejectReason): void;
  onPeerGone(peerId: PeerId): void;
  /** Forgets the requests queued on a route: one peer's (it dropped the route) or everyone's (we did). */
  dropRoute(route: Route, peerId?: PeerId): void;
  /** Requests a peer has queued with us. */
  queued(peerId: PeerId): number;
  close(): void;
}

export interface UploadDeps {
  state: EngineState;
  store: PieceStore;
  queue: UploadQueue;
  /** Encodes and sends; resolves when the link has room again (never rejects). */
  send: (peer: PeerEntry, msg: WireMsg) => Promise<void>;
  changed: () => void;
}

export function createUploadHandler(deps: UploadDeps): UploadHandler {
  const { state, queue } = deps;
  const pending = new Map<PeerId, number>(); // blocks being read or sent, per peer
  let reads = 0;
  let closed = false;

  const isReady = (peerId: PeerId): boolean =>
    (pending.get(peerId) ?? 0) < MAX_PENDING_PER_PEER && state.peers.get(peerId)?.link.state === 'connected';

  function pump(): void {
    while (!closed && reads < MAX_READS) {
      const next = nextReadyToServe(queue, isReady);
      if (next === null) return;
      const peer = state.peers.get(next.peerId);
      if (peer) void serve(peer, next.request);
    }
  }

  async function serve(peer: PeerEntry, req: UploadRequest): Promise<void> {
    pending.set(peer.peerId, (pending.get(peer.peerId) ?? 0) + 1);
    reads++;
    try {
      const data = await deps.store.readBlock(req.fileId, req.piece, req.offset, req.length).catch(() => null);
      reads--;
      if (data === null) return handler.reject(peer, req, 'not-had');
      const sent = deps.send(peer, { type: 'block', swarmId: req.swarmId, fileId: req.fileId, piece: req.piece, offset: req.offset, data });
      pump(); // the read slot is free: start the next read while this block drains
      await sent;
      if (peer.link.state !== 'closed') countServed(peer, req);
    } finally {
      pending.set(peer.peerId, (pending.get(peer.peerId) ?? 1) - 1);
      pump();
    }
  }

  function countServed(peer: PeerEntry, req: UploadRequest): void {
    state.counters.blockBytesSent += req.length;
    peer.up.add(req.length);
    const routed = route(state.table, req.swarmId, req.fileId);
    if (!routed.ok) return;
    if (req.offset + req.length === pieceSize(routed.value.manifest, req.piece)) {
      peer.piecesSentTo++;
      const file = state.files.get(req.fileId);
      file?.servedTo.set(peer.peerId, (file.servedTo.get(peer.peerId) ?? 0) + 1);
    }
    deps.changed();
  }

  const handler: UploadHandler = {
    onRequest(peer, _entry, req) {
      if (closed) return;
      const queued = enqueueRequest(queue, state.table, peer.peerId, req);
      if (!queued.ok) return handler.reject(peer, req, queued.error);
      pump();
    },
    onCancel(peer, _entry, req) {
      cancelRequest(queue, peer.peerId, req);
    },
    reject(peer, req, reason) {
      state.counters.rejectsSent++;
      const { swarmId, fileId, piece, offset, length } = req;
      void deps.send(peer, { type: 'reject', reason, swarmId, fileId, piece, offset, length });
    },
    onPeerGone(peerId) {
      removePeer(queue, peerId);
      pending.delete(peerId);
      pump();
    },
    dropRoute(route, peerId) {
      removeRoute(queue, route, peerId);
    },
    queued: (peerId) => queuedCount(queue, peerId),
    close() {
      closed = true;
      for (const peerId of [...queue.queues.keys()]) removePeer(queue, peerId);
    },
  };
  return handler;
}

/**
 * nextToServe, skipping peers that are not ready: they keep their place at the front of the round-robin,
 * so they are served first once their lane has room again.
 */
export function nextReadyToServe(q: UploadQueue, isReady: (peerId: PeerId) => boolean): ReturnType<typeof nextToServe> {
  const order = [...q.queues.keys()];
  const at = order.findIndex(isReady);
  if (at < 0) return null;
  if (at === 0) return nextToServe(q);
  const ahead = order.slice(0, at).map((peerId) => [peerId, q.queues.get(peerId)!] as const);
  for (const [peerId] of ahead) q.queues.delete(peerId);
  const next = nextToServe(q);
  const rest = [...q.queues];
  q.queues.clear();
  for (const [peerId, queued] of [...ahead, ...rest]) q.queues.set(peerId, queued);
  return next;
}
