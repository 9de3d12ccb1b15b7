import type { PeerId } from './ids.ts';
import type { UploadQueue, UploadRequest } from './upload-queue.ts';
import type { Route } from './wire-messages.ts';

// Upload slots (BitTorrent's unchoke slots, kept inside our request queue): a peer feeds at most `maxSlots` peers
// at a time, each a whole piece, so the pieces it sends are complete (and spread onwards) as soon as possible
// instead of a block of every requester's piece at once. A free slot goes to the peer that has waited longest
// (the upload queue's round-robin order); it lasts until the peer has no more queued blocks of the piece its
// oldest request was for (served, cancelled) or `maxHoldMs` passed, and the peer then goes to the back of the
// line. Peers without a slot keep their requests queued and are told so once per route ('slot' granted=false),
// then told when they are served ('slot' granted=true): waiting for a slot is not a timeout. An uploader whose link
// has room (shared/link-load.ts) grants every peer asking and tells each so once ('slot' granted=true unasked):
// a file's origin that does is asked first by its downloaders (setPreferredSource).
//
// Usage (the uploading side; the queue is its upload queue):
//   const slots = createUploadSlots();
//   after every change (request queued, block taken or sent, cancel, peer gone, once a second):
//     for (const s of settleSlots(slots, queue, now, isSending)) send(s.peerId, { type: 'slot', ...s.route, granted: s.granted });
//   const next = nextReadyToServe(queue, (peerId) => holdsSlot(slots, peerId) && laneHasRoom(peerId));
//   forgetSlotPeer(slots, peerId);                         // link closed (removePeer on the queue too)

/**
 * Peers fed at once. BitTorrent unchokes 4 (+1 optimistic), libtorrent and EZIO about 3: enough to keep the
 * uplink busy when one lane drains slowly, few enough that each piece completes in 4 piece-times, not N.
 */
export const DEFAULT_UPLOAD_SLOTS = 4;
/** A slot held this long is passed on even mid-piece (a slow or stalled reader cannot keep it). */
export const DEFAULT_SLOT_HOLD_MS = 15_000;

export interface SlotHold {
  route: Route;
  piece: number;
  /** `now` when the slot was granted. */
  since: number;
}

export interface UploadSlots {
  readonly maxSlots: number;
  readonly maxHoldMs: number;
  /** Peers holding a slot, and the piece it is for. */
  holders: Map<PeerId, SlotHold>;
  /** Routes each peer was told its requests wait on ('slot' granted=false) and not yet told it is served. */
  told: Map<PeerId, Map<string, Route>>;
  /** Peers told unasked that they are served, while our link had room; forgotten when told to wait. */
  invited: Set<PeerId>;
  counters: { granted: number; passedOn: number };
}

/** A 'slot' message to send. */
export interface SlotSignal {
  peerId: PeerId;
  route: Route;
  granted: boolean;
}

export function createUploadSlots(opts: { maxSlots?: number; maxHoldMs?: number } = {}): UploadSlots {
  const maxSlots = opts.maxSlots ?? DEFAULT_UPLOAD_SLOTS;
  const maxHoldMs = opts.maxHoldMs ?? DEFAULT_SLOT_HOLD_MS;
  if (!Number.isInteger(maxSlots) || maxSlots < 1 || !(maxHoldMs > 0)) throw new RangeError('bad upload slot options');
  return { maxSlots, maxHoldMs, holders: new Map(), told: new Map(), invited: new Set(), counters: { granted: 0, passedOn: 0 } };
}

export const holdsSlot = (s: UploadSlots, peerId: PeerId): boolean => s.holders.has(peerId);

const routeKey = (r: Route): string => `${r.swarmId}/${r.fileId}`;
const isFor = (hold: SlotHold, r: UploadRequest): boolean =>
  r.piece === hold.piece && r.fileId === hold.route.fileId && r.swarmId === hold.route.swarmId;

/**
 * Passes on finished or overdue slots, grants free ones to the peers waiting longest and tells peers newly
 * waiting. `sending(peerId)`: blocks taken for that peer are still being read or sent (a slot lasts until its
 * piece is out, not just out of the queue). `linkFull` false (shared/link-load.ts: our link has room, something
 * else limits, e.g. the Wi-Fi's air): every peer asking is granted, nobody is told to wait (a waiting peer fetches
 * from others). Returns the 'slot' messages to send. Cost: O(peers with queued requests).
 */
export function settleSlots(
  s: UploadSlots, q: UploadQueue, now: number, sending: (peerId: PeerId) => boolean = () => false, linkFull = true,
): SlotSignal[] {
  const out: SlotSignal[] = [];
  for (const [peerId, hold] of s.holders) {
    const queued = q.queues.get(peerId);
    const busy = queued?.some((r) => isFor(hold, r)) === true || sending(peerId);
    if (busy && now - hold.since < s.maxHoldMs) continue;
    s.holders.delete(peerId);
    if (!queued) continue;
    s.counters.passedOn++;
    q.queues.delete(peerId); // to the back of the line
    q.queues.set(peerId, queued);
  }
  for (const [peerId, queued] of q.queues) {
    if (s.holders.has(peerId)) continue;
    if (s.holders.size < s.maxSlots || !linkFull) grant(s, peerId, queued, now, out, !linkFull);
    else tellWaiting(s, peerId, queued, out);
  }
  return out;
}

/** `invite`: our link has room; a peer not told yet is told it is served on each route it asks on. */
function grant(s: UploadSlots, peerId: PeerId, queued: UploadRequest[], now: number, out: SlotSignal[], invite: boolean): void {
  const oldest = queued[0]!;
  s.holders.set(peerId, { route: { swarmId: oldest.swarmId, fileId: oldest.fileId }, piece: oldest.piece, since: now });
  s.counters.granted++;
  const routes = s.told.get(peerId) ?? new Map<string, Route>();
  s.told.delete(peerId);
  if (invite && !s.invited.has(peerId)) {
    s.invited.add(peerId);
    for (const r of queued) if (!routes.has(routeKey(r))) routes.set(routeKey(r), { swarmId: r.swarmId, fileId: r.fileId });
  }
  for (const route of routes.values()) out.push({ peerId, route, granted: true });
}

function tellWaiting(s: UploadSlots, peerId: PeerId, queued: UploadRequest[], out: SlotSignal[]): void {
  const told = s.told.get(peerId) ?? new Map<string, Route>();
  s.invited.delete(peerId);
  for (const r of queued) {
    const key = routeKey(r);
    if (told.has(key)) continue;
    const route = { swarmId: r.swarmId, fileId: r.fileId };
    told.set(key, route);
    out.push({ peerId, route, granted: false });
  }
  s.told.set(peerId, told);
}

/** The peer's link closed: it holds no slot and is owed no message. Call settleSlots next. */
export function forgetSlotPeer(s: UploadSlots, peerId: PeerId): void {
  s.holders.delete(peerId);
  s.told.delete(peerId);
  s.invited.delete(peerId);
}
