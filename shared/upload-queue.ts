import { getBit } from './bitfield.ts';
import type { PeerId } from './ids.ts';
import { checkSpan } from './codec.ts';
import { MAX_QUEUED_REQUESTS_PER_PEER } from './limits.ts';
import { isBanned } from './piece-picker.ts';
import { err, ok, type Result } from './result.ts';
import { route, type RoutingTable } from './routing-table.ts';
import type { BlockSpan, RejectReason, Route } from './wire-messages.ts';

// The serving side of a peer: requests from many peers, checked against the routing table, queued per
// peer and served round-robin across peers (one request per peer per turn), so a peer that floods us
// waits behind everyone else's next request instead of in front of it.
//
// Usage (the engine):
//   const uploads = createUploadQueue();
//   const r = enqueueRequest(uploads, table, peerId, msg);     // msg: a decoded 'request'
//   if (!r.ok) send(peerId, { type: 'reject', reason: r.error, swarmId, fileId, piece, offset, length });
//   cancelRequest(uploads, peerId, msg);                      // on a 'cancel'
//   for (let next = nextToServe(uploads); next; next = nextToServe(uploads)) {
//     const bytes = await store.readBlock(next.request.fileId, next.request.piece, ...);
//     await link(next.peerId).send(encode({ type: 'block', ... }));   // with backpressure
//   }
//   removePeer(uploads, peerId);                               // link closed or peer banned

export type UploadRequest = Route & BlockSpan;

export interface UploadQueue {
  /** Beyond this many queued requests, a peer's new ones are rejected 'queue-full'. */
  readonly maxQueuedPerPeer: number;
  /** Queued requests of each peer, oldest first. Only peers with some; Map order is the round-robin turn. */
  readonly queues: Map<PeerId, UploadRequest[]>;
}

export function createUploadQueue(opts: { maxQueuedPerPeer?: number } = {}): UploadQueue {
  const maxQueuedPerPeer = opts.maxQueuedPerPeer ?? MAX_QUEUED_REQUESTS_PER_PEER;
  if (!Number.isInteger(maxQueuedPerPeer) || maxQueuedPerPeer < 1) throw new RangeError('maxQueuedPerPeer must be ≥ 1');
  return { maxQueuedPerPeer, queues: new Map() };
}

/**
 * Checks a peer's request and queues it, or returns why not (send that reason back in a 'reject').
 * A request identical to one already queued is accepted once.
 */
export function enqueueRequest(q: UploadQueue, table: RoutingTable, peerId: PeerId, req: UploadRequest): Result<void, RejectReason> {
  const refusal = refusalOf(q, table, peerId, req);
  if (refusal !== null) return err(refusal);
  const queued = q.queues.get(peerId) ?? [];
  if (!queued.some((r) => sameRequest(r, req))) {
    queued.push({ swarmId: req.swarmId, fileId: req.fileId, piece: req.piece, offset: req.offset, length: req.length });
  }
  if (!q.queues.has(peerId)) q.queues.set(peerId, queued);
  return ok(undefined);
}

function refusalOf(q: UploadQueue, table: RoutingTable, peerId: PeerId, req: UploadRequest): RejectReason | null {
  const found = route(table, req.swarmId, req.fileId, peerId);
  if (!found.ok) return 'unknown-route';
  const picker = found.value.picker;
  if (isBanned(picker, peerId)) return 'banned';
  if (!checkSpan(found.value.manifest, req).ok) return 'bad-span';
  if (!getBit(picker.had, req.piece)) return 'not-had';
  if ((q.queues.get(peerId)?.length ?? 0) >= q.maxQueuedPerPeer) return 'queue-full';
  return null;
}

/** A 'cancel': drops the matching queued request. Returns whether one was queued. */
export function cancelRequest(q: UploadQueue, peerId: PeerId, req: UploadRequest): boolean {
  const queued = q.queues.get(peerId);
  const at = queued?.findIndex((r) => sameRequest(r, req)) ?? -1;
  if (!queued || at < 0) return false;
  queued.splice(at, 1);
  if (queued.length === 0) q.queues.delete(peerId);
  return true;
}

/** Drops everything a peer has queued (link closed, or banned). Returns how many requests were dropped. */
export function removePeer(q: UploadQueue, peerId: PeerId): number {
  const dropped = q.queues.get(peerId)?.length ?? 0;
  q.queues.delete(peerId);
  return dropped;
}

/**
 * Drops the requests queued on one route: from one peer (it dropped the route) or from every peer (we did).
 * Returns how many were dropped.
 */
export function removeRoute(q: UploadQueue, route: Route, peerId?: PeerId): number {
  let dropped = 0;
  for (const [id, queued] of [...q.queues]) {
    if (peerId !== undefined && id !== peerId) continue;
    const kept = queued.filter((r) => r.swarmId !== route.swarmId || r.fileId !== route.fileId);
    dropped += queued.length - kept.length;
    if (kept.length === 0) q.queues.delete(id);
    else q.queues.set(id, kept);
  }
  return dropped;
}

/** The next request to serve: the oldest of the peer whose turn it is; that peer then goes to the back. */
export function nextToServe(q: UploadQueue): { peerId: PeerId; request: UploadRequest } | null {
  const first = q.queues.entries().next();
  if (first.done) return null;
  const [peerId, queued] = first.value;
  const request = queued.shift()!;
  q.queues.delete(peerId);
  if (queued.length > 0) q.queues.set(peerId, queued);
  return { peerId, request };
}

export const queuedCount = (q: UploadQueue, peerId: PeerId): number => q.queues.get(peerId)?.length ?? 0;

const sameRequest = (a: UploadRequest, b: UploadRequest): boolean =>
  a.piece === b.piece && a.offset === b.offset && a.length === b.length && a.swarmId === b.swarmId && a.fileId === b.fileId;

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
