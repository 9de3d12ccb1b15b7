import { fullBitfield, getBit, isComplete } from '../shared/bitfield.ts';
import type { PeerId } from '../shared/ids.ts';
import { createLinkLoad, isLinkFull, onLinkSent, type LinkLoad } from '../shared/link-load.ts';
import type { Manifest } from '../shared/manifest.ts';
import {
  expire, inFlightOf, nextRequests, onBlock, onPeerBitfield, onPeerFetching, onPeerGone, onPeerHave, onPeerSlot,
  onPieceVerified, onRequestRejected, setPreferredSource, type PeerSpan, type PiecePicker,
} from '../shared/piece-picker.ts';
import { addAnnouncement, createRoutingTable, forgetPeer, setPeerSwarms, type FileEntry } from '../shared/routing-table.ts';
import { createSeedOnce, dueReoffers, forgetSeedPeer, onSeedRequest, type SeedOnce } from '../shared/seed-once.ts';
import {
  cancelRequest, createUploadQueue, enqueueRequest, nextReadyToServe, queuedCount, removePeer, type UploadQueue, type UploadRequest,
} from '../shared/upload-queue.ts';
import { createUploadSlots, forgetSlotPeer, holdsSlot, settleSlots, type UploadSlots } from '../shared/upload-slots.ts';
import type { Route, WireMsg } from '../shared/wire-messages.ts';

// One simulated laptop: the project's shared/ state (routing table, piece picker, upload queue, seed-once)
// driven the way client/engine drives it (download-side.ts, upload-handler.ts), minus IndexedDB and hashing.
// Blocks carry their span only; every other message crosses the real wire codec (see sim-network.ts).

export type SimMsg = Exclude<WireMsg, { type: 'block' | 'hello' }> | ({ type: 'block'; length: number; piece: number; offset: number } & Route);

export interface LaptopNet {
  now(): number;
  /** Queues a message to a peer (control messages after the latency, blocks through both links). */
  send(from: Laptop, to: PeerId, msg: SimMsg): void;
  /** The uplink may have become free for the next queued block. */
  kick(from: Laptop): void;
}

export interface LaptopConfig {
  id: PeerId;
  manifest: Manifest;
  route: Route;
  seeding: boolean;
  blockLength: number;
  windowPerPeer: number;
  requestTimeoutMs: number;
  /** false: the initial seeder serves every request (the policy off, for comparison). */
  seedOnce: boolean;
  /** A hostile student: claims every piece in its bitfield and never answers a request. */
  hoarder?: boolean;
  /** A hostile student's link holder: links up, says it has nothing, never asks for anything. */
  idler?: boolean;
  /** The file's origin, asked first (the teacher first; setPreferredSource); unset: every peer alike. */
  preferred?: PeerId;
  /** Bytes per second this laptop knows its uplink carries (shared/link-load.ts); unset: unknown, counted full. */
  linkCapacity?: number;
  rng: () => number;
}

export class Laptop {
  readonly id: PeerId;
  readonly entry: FileEntry;
  readonly queue: UploadQueue = createUploadQueue();
  readonly seed: SeedOnce = createSeedOnce();
  readonly slots: UploadSlots = createUploadSlots();
  readonly linkLoad: LinkLoad;
  readonly peers = new Set<PeerId>();
  /** Requests queued for upload (the upload queue's total, kept as a counter: the policy reads it per request). */
  backlog = 0;
  /** Bytes this laptop's uplink carried. */
  sentBytes = 0;
  /** Last request sent or queued, or block received, per link (ms): the link manager's give-way reads it. */
  readonly lastUsed = new Map<PeerId, number>();
  completedAt: number | null = null;
  gone = false;
  private readonly table;

  constructor(private readonly net: LaptopNet, private readonly config: LaptopConfig) {
    this.id = config.id;
    this.table = createRoutingTable({
      rng: config.rng, blockLength: config.blockLength, maxRequestsPerPeer: config.windowPerPeer,
      maxInFlightBytesPerPeer: config.windowPerPeer * config.blockLength, requestTimeoutMs: config.requestTimeoutMs,
    });
    const a = { ...config.route, manifest: config.manifest };
    this.entry = addAnnouncement(this.table, a, config.seeding ? 'all' : []);
    if (config.seeding) this.completedAt = 0;
    if (config.preferred !== undefined) setPreferredSource(this.entry.picker, config.preferred);
    this.linkLoad = createLinkLoad(config.linkCapacity ?? null);
  }

  get picker(): PiecePicker {
    return this.entry.picker;
  }

  /** A link to `peerId` opened: we share the swarm, and we tell it what we have. */
  connect(peerId: PeerId): void {
    this.peers.add(peerId);
    setPeerSwarms(this.table, peerId, [this.config.route.swarmId]);
    const { bytes, size } = this.config.hoarder ? fullBitfield(this.picker.layout.pieceCount) : this.picker.had;
    this.net.send(this, peerId, { type: 'bitfield', ...this.config.route, bits: bytes.slice(), pieceCount: size });
  }

  disconnect(peerId: PeerId): void {
    if (!this.peers.delete(peerId)) return;
    this.lastUsed.delete(peerId);
    forgetPeer(this.table, peerId);
    this.backlog -= removePeer(this.queue, peerId);
    forgetSlotPeer(this.slots, peerId);
    forgetSeedPeer(this.seed, peerId);
    this.reoffer();
    this.fillAll();
  }

  receive(from: PeerId, msg: SimMsg): void {
    if (this.gone || !this.peers.has(from)) return;
    const p = this.picker;
    switch (msg.type) {
      case 'bitfield': if (onPeerBitfield(p, from, msg.bits).ok) this.fill(from); return;
      case 'have': return this.onHave(from, msg.piece);
      case 'fetching': onPeerFetching(p, from, msg.piece); return;
      case 'request': return this.config.hoarder ? undefined : this.onRequest(from, msg);
      case 'cancel': if (cancelRequest(this.queue, from, msg)) this.backlog--; return this.settle();
      case 'reject': onRequestRejected(p, from, msg, msg.reason); return this.fillAll();
      case 'block': return this.onBlock(from, msg);
      case 'drop': onPeerGone(p, from); return this.fillAll(); // laptops in the simulator never remove files
      case 'slot':
        onPeerSlot(p, from, msg.granted, this.net.now() * 1000);
        return msg.granted || from !== p.preferred ? undefined : this.fillAll(); // the preferred source is busy: ask others
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /**
   * The next block for the uplink: round-robin across the peers holding an upload slot, each block checked by
   * seed-once as it is about to go out (upload-handler.ts's pump).
   */
  nextUpload(): { peerId: PeerId; request: UploadRequest } | null {
    for (;;) {
      this.settle();
      const next = nextReadyToServe(this.queue, (peerId) => holdsSlot(this.slots, peerId));
      if (next === null) {
        this.reoffer(true);
        return null;
      }
      this.backlog--;
      this.settle();
      if (!this.refusesAsSeeder(next.peerId, next.request)) {
        onLinkSent(this.linkLoad, next.request.length, this.net.now() * 1000);
        return next;
      }
      const { piece, offset, length } = next.request;
      this.net.send(this, next.peerId, { type: 'reject', reason: 'not-had', ...this.config.route, piece, offset, length });
    }
  }

  private settle(): void {
    const now = this.net.now() * 1000;
    for (const { peerId, route, granted } of settleSlots(this.slots, this.queue, now, undefined, isLinkFull(this.linkLoad, now))) {
      this.net.send(this, peerId, { type: 'slot', ...route, granted });
    }
  }

  private refusesAsSeeder(from: PeerId, req: UploadRequest): boolean {
    const backlogBytes = (this.backlog + 1) * this.config.blockLength; // the block taken is not sent yet
    const now = this.net.now() * 1000;
    return this.config.seedOnce &&
      onSeedRequest(this.seed, this.picker, from, req.piece, backlogBytes, now, isLinkFull(this.linkLoad, now)) === 'refuse';
  }

  /** Once a second, as the engine's expire timer: timed-out requests go elsewhere; refused pieces offered again. */
  tick(): void {
    const { cancels, reassigned } = expire(this.picker, this.net.now() * 1000);
    this.sendSpans('cancel', cancels);
    this.sendSpans('request', reassigned);
    this.reoffer();
    this.settle();
    this.net.kick(this);
    this.fillAll();
  }

  /** download-side.ts onHaveMsg: fill from it, or (we have it) seed-once's tail may offer the piece to the next peer. */
  private onHave(from: PeerId, piece: number): void {
    if (!onPeerHave(this.picker, from, piece).ok) return;
    if (!getBit(this.picker.had, piece)) return this.fill(from);
    if (this.seed.tailOffered.has(piece)) this.net.kick(this);
  }

  private onRequest(from: PeerId, req: UploadRequest & { type: 'request' }): void {
    const before = queuedCount(this.queue, from);
    const queued = enqueueRequest(this.queue, this.table, from, req);
    if (queued.ok) {
      this.used(from); // a request we serve keeps the link in use; one we refuse does not
      this.backlog += queuedCount(this.queue, from) - before;
      this.settle();
      return this.net.kick(this);
    }
    this.net.send(this, from, { type: 'reject', reason: queued.error, ...this.config.route, piece: req.piece, offset: req.offset, length: req.length });
  }

  private used(peerId: PeerId): void {
    this.lastUsed.set(peerId, this.net.now() * 1000);
  }

  private onBlock(from: PeerId, msg: { piece: number; offset: number; length: number }): void {
    this.used(from);
    const outcome = onBlock(this.picker, from, { piece: msg.piece, offset: msg.offset, length: msg.length });
    if (!outcome.accepted) return;
    this.sendSpans('cancel', outcome.cancels);
    if (outcome.pieceComplete && onPieceVerified(this.picker, msg.piece) !== null) {
      for (const peerId of this.peers) this.net.send(this, peerId, { type: 'have', ...this.config.route, piece: msg.piece });
      if (isComplete(this.picker.had)) this.completedAt = this.net.now();
      return this.fillAll();
    }
    this.fill(from);
  }

  private reoffer(idle = false): void {
    if (!this.config.seedOnce) return;
    for (const { peerId, piece } of dueReoffers(this.seed, this.picker, this.net.now() * 1000, idle)) {
      this.net.send(this, peerId, { type: 'have', ...this.config.route, piece });
    }
  }

  /** download-side.ts fillRequests: the peer's window, then 'fetching' to the peers that lack what we started. */
  private fill(peerId: PeerId): void {
    const p = this.picker;
    if (this.config.idler || isComplete(p.had) || inFlightOf(p, peerId).requests >= this.config.windowPerPeer || !this.hasWanted(peerId)) return;
    for (const span of nextRequests(p, peerId, this.net.now() * 1000)) {
      this.net.send(this, peerId, { type: 'request', ...this.config.route, ...span });
      this.used(peerId);
    }
    if (p.started.length === 0) return;
    const started = p.started.splice(0);
    for (const other of this.peers) {
      const have = p.peers.get(other)?.have;
      for (const piece of started) {
        if (!have || !getBit(have, piece)) this.net.send(this, other, { type: 'fetching', ...this.config.route, piece });
      }
    }
  }

  private fillAll(): void {
    for (const peerId of this.peers) this.fill(peerId);
  }

  /** Does the peer have any piece we lack? A byte-wise shortcut before the picker's per-piece scan. */
  private hasWanted(peerId: PeerId): boolean {
    const theirs = this.picker.peers.get(peerId)?.have.bytes;
    const ours = this.picker.had.bytes;
    if (!theirs) return false;
    for (let i = 0; i < ours.length; i++) if ((theirs[i]! & ~ours[i]!) !== 0) return true;
    return false;
  }

  private sendSpans(type: 'cancel' | 'request', spans: PeerSpan[]): void {
    for (const { peerId, span } of spans) {
      this.net.send(this, peerId, { ...this.config.route, ...span, type });
      if (type === 'request') this.used(peerId);
    }
  }
}
