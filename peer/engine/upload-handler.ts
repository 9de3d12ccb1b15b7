import { getBit } from '../../shared/bitfield.ts';
import { blockFrameBytes, encodeBlock } from '../../shared/codec.ts';
import type { PeerId } from '../../shared/ids.ts';
import { DEFAULT_BLOCK_LENGTH } from '../../shared/limits.ts';
import { createLinkLoad, isLinkFull, onLinkSent } from '../../shared/link-load.ts';
import { pieceSize } from '../../shared/manifest.ts';
import { route } from '../../shared/routing-table.ts';
import { createSeedOnce, dueReoffers, forgetSeedPeer, onSeedRequest, type SeedOnce } from '../../shared/seed-once.ts';
import {
  cancelRequest, enqueueRequest, nextReadyToServe, queuedCount, removePeer, removeRoute, type UploadQueue, type UploadRequest,
} from '../../shared/upload-queue.ts';
import { createUploadSlots, DEFAULT_UPLOAD_SLOTS, forgetSlotPeer, holdsSlot, settleSlots } from '../../shared/upload-slots.ts';
import type { RejectReason, WireMsg } from '../../shared/wire-messages.ts';
import { createBufferPool } from '../buffer-pool.ts';
import type { PieceStore } from '../contracts.ts';
import type { EngineState, PeerEntry, RouteEntry } from './engine-state.ts';

// The serving half of a peer (the lab's "handler"): requests from many peers at once go through the
// shared upload queue (checked against the routing table, round-robin across peers); a few peers at a time hold
// an upload slot (shared/upload-slots.ts: a whole piece each, then the next in line; the others are told they
// wait), and their blocks are read from the store and sent with backpressure. Each slot holder has its own lane:
// one whose channel drains slowly keeps its turn but is skipped while its lane is full, so it never stalls the
// others. As the initial seeder of a file it seeds each piece once (shared/seed-once.ts), checked as each block
// is about to go out: while busy, a piece another peer holds is refused. Both refuse only while our link is full,
// when we know its speed (params.uplinkBytesPerSecond; shared/link-load.ts): on a shared Wi-Fi channel the air fills
// first, and a wired teacher with room sends every copy itself (its downloaders ask it first).

/** Blocks handed to one link and not yet drained below its low-water mark: enough to keep it busy. */
const MAX_PENDING_PER_PEER = 16;
/** Store reads at once across all peers: bounds memory held by blocks read but not yet sent. */
const MAX_READS = 16;
/** Block frames kept for reuse once their send settled: what every slot holder's lane holds at once (8 MiB). */
const RECYCLED_FRAME_BYTES = DEFAULT_UPLOAD_SLOTS * MAX_PENDING_PER_PEER * DEFAULT_BLOCK_LENGTH;

export interface UploadHandler {
  onRequest(peer: PeerEntry, entry: RouteEntry, req: UploadRequest): void;
  onCancel(peer: PeerEntry, entry: RouteEntry, req: UploadRequest): void;
  /** Answers a request we will not serve. */
  reject(peer: PeerEntry, req: UploadRequest, reason: RejectReason): void;
  onPeerGone(peerId: PeerId): void;
  /** Forgets what is queued or offered on a route: to one peer (it dropped the route) or to everyone (we did). */
  dropRoute(entry: RouteEntry, peerId?: PeerId): void;
  /** Every second: pieces refused to a peer that nobody else covers any more are offered to it again. */
  tick(): void;
  /** A peer announced a piece we have: if seed-once's tail offered it, the next peer's turn may come now. */
  onHave(entry: RouteEntry, piece: number): void;
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
  /** Sends an encoded frame, as send does; the link is done with it once this resolves. */
  sendFrame: (peer: PeerEntry, frame: Uint8Array) => Promise<void>;
  changed: () => void;
}

export function createUploadHandler(deps: UploadDeps): UploadHandler {
  const { state, queue } = deps;
  const pending = new Map<PeerId, number>(); // blocks being read or sent, per peer
  const seeding = new Map<RouteEntry, SeedOnce>(); // seed-once state of each route we serve
  const slots = createUploadSlots();
  const frames = createBufferPool(RECYCLED_FRAME_BYTES);
  const load = createLinkLoad(state.params.uplinkBytesPerSecond);
  let reads = 0;
  let closed = false;

  function refusesAsSeeder(peer: PeerEntry, entry: RouteEntry, req: UploadRequest): boolean {
    if (!state.params.seedOnce || !getBit(entry.picker.had, req.piece)) return false; // the queue answers a missing piece
    const seed = seeding.get(entry) ?? createSeedOnce();
    seeding.set(entry, seed);
    // Accepted and not yet sent, roughly: queued, being read or draining, and what the channels still buffer.
    let backlogBytes = 0;
    for (const n of pending.values()) backlogBytes += n * req.length;
    for (const queued of queue.queues.values()) backlogBytes += queued.length * req.length;
    for (const other of state.peers.values()) backlogBytes += other.link.bufferedAmount();
    const now = Date.now();
    return onSeedRequest(seed, entry.picker, peer.peerId, req.piece, backlogBytes, now, isLinkFull(load, now)) === 'refuse';
  }

  /** Sends 'have' for the pieces seed-once offers again (`idle`: our upload queue just ran dry). */
  function reoffer(idle: boolean): void {
    for (const [entry, seed] of seeding) {
      for (const { peerId, piece } of dueReoffers(seed, entry.picker, Date.now(), idle)) {
        const peer = state.peers.get(peerId);
        if (peer) void deps.send(peer, { type: 'have', ...entry.route, piece });
      }
    }
  }

  const isReady = (peerId: PeerId): boolean => holdsSlot(slots, peerId) &&
    (pending.get(peerId) ?? 0) < MAX_PENDING_PER_PEER && state.peers.get(peerId)?.link.state === 'connected';

  /** Passes on finished slots and grants free ones; tells peers that they wait or are served now. */
  function settle(): void {
    const now = Date.now();
    const sending = (peerId: PeerId): boolean => (pending.get(peerId) ?? 0) > 0;
    for (const { peerId, route: r, granted } of settleSlots(slots, queue, now, sending, isLinkFull(load, now))) {
      const peer = state.peers.get(peerId);
      if (!peer) continue;
      if (!granted) state.counters.slotWaitsSent++;
      void deps.send(peer, { type: 'slot', ...r, granted });
    }
  }

  function pump(): void {
    settle();
    while (!closed && reads < MAX_READS) {
      const next = nextReadyToServe(queue, isReady);
      if (next === null) {
        if (queue.queues.size === 0 && reads === 0) reoffer(true);
        return;
      }
      settle(); // the block taken may have finished its holder's piece
      const peer = state.peers.get(next.peerId);
      const entry = peer && route(state.table, next.request.swarmId, next.request.fileId, peer.peerId);
      if (!peer || !entry?.ok) continue;
      if (refusesAsSeeder(peer, entry.value, next.request)) handler.reject(peer, next.request, 'not-had');
      else void serve(peer, next.request);
    }
  }

  async function serve(peer: PeerEntry, req: UploadRequest): Promise<void> {
    pending.set(peer.peerId, (pending.get(peer.peerId) ?? 0) + 1);
    reads++;
    try {
      const data = await deps.store.readBlock(req.fileId, req.piece, req.offset, req.length).catch(() => null);
      reads--;
      if (data === null) return handler.reject(peer, req, 'not-had');
      const sent = state.stages.run('serve', () => {
        const queued = sendBlock(peer, req, data);
        onLinkSent(load, req.length, Date.now());
        pump(); // the read slot is free: start the next read while this block drains
        return queued;
      });
      await sent;
      if (peer.link.state !== 'closed') countServed(peer, req);
    } finally {
      pending.set(peer.peerId, (pending.get(peer.peerId) ?? 1) - 1);
      pump();
    }
  }

  /** Encodes the block into a recycled frame and queues it; the frame is given back once its send settled. */
  function sendBlock(peer: PeerEntry, req: UploadRequest, data: Uint8Array): Promise<void> {
    const block = { type: 'block', swarmId: req.swarmId, fileId: req.fileId, piece: req.piece, offset: req.offset, data } as const;
    const frame = encodeBlock(block, frames.take(blockFrameBytes(data.length)));
    return deps.sendFrame(peer, frame).then(() => frames.give(frame));
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
    onRequest(peer, entry, req) {
      if (closed) return;
      const queued = enqueueRequest(queue, state.table, peer.peerId, req);
      if (!queued.ok) return handler.reject(peer, req, queued.error);
      peer.lastUsedAt = Date.now(); // a request we serve keeps the link in use; one we refuse does not
      pump();
    },
    onCancel(peer, _entry, req) {
      if (cancelRequest(queue, peer.peerId, req)) pump();
    },
    reject(peer, req, reason) {
      state.counters.rejectsSent++;
      const { swarmId, fileId, piece, offset, length } = req;
      void deps.send(peer, { type: 'reject', reason, swarmId, fileId, piece, offset, length });
    },
    onPeerGone(peerId) {
      removePeer(queue, peerId);
      forgetSlotPeer(slots, peerId);
      pending.delete(peerId);
      for (const seed of seeding.values()) forgetSeedPeer(seed, peerId);
      reoffer(false);
      pump();
    },
    dropRoute(entry, peerId) {
      removeRoute(queue, entry.route, peerId);
      pump();
      const seed = seeding.get(entry);
      if (seed && peerId !== undefined) forgetSeedPeer(seed, peerId);
      else seeding.delete(entry);
    },
    tick() {
      reoffer(false);
      pump(); // a slot held past its time is passed on
    },
    onHave(entry, piece) {
      if (seeding.get(entry)?.tailOffered.has(piece) === true) pump(); // idle: reoffers
    },
    queued: (peerId) => queuedCount(queue, peerId),
    close() {
      closed = true;
      for (const peerId of [...queue.queues.keys()]) removePeer(queue, peerId);
    },
  };
  return handler;
}
