import { decode, encode } from '../shared/codec.ts';
import type { PeerId } from '../shared/ids.ts';
import type { WireMsg } from '../shared/wire-messages.ts';
import type { EventQueue } from './event-queue.ts';
import type { Laptop, LaptopNet, SimMsg } from './sim-laptop.ts';
import type { Medium } from './medium.ts';

// The links between simulated laptops. Each laptop's uplink sends one block at a time at its rate (as a token
// bucket on its egress does), taking the next from its upload queue round-robin; a block then crosses the
// one-way latency and the receiver's downlink (a second queue at the downlink's rate). Control messages are
// encoded and decoded by the real wire codec and arrive after the latency; their bytes are not charged to
// the links (a few dozen bytes against 128 KiB blocks). What the links share (one Wi-Fi channel) is the
// medium's (medium.ts).

export interface LinkRates {
  /** Bytes per second. */
  up: number;
  down: number;
}

export class SimNetwork implements LaptopNet {
  readonly laptops = new Map<PeerId, Laptop>();
  readonly rates = new Map<PeerId, LinkRates>();
  private readonly uplinkBusy = new Set<PeerId>();
  private readonly downlinkFreeAt = new Map<PeerId, number>();
  controlMessages = 0;

  constructor(private readonly events: EventQueue, readonly latencyS: number, private readonly medium: Medium) {}

  now(): number {
    return this.events.now;
  }

  add(laptop: Laptop, rates: LinkRates): void {
    this.laptops.set(laptop.id, laptop);
    this.rates.set(laptop.id, rates);
  }

  /** The laptop's lid closes: every link to it ends. */
  leave(laptop: Laptop): void {
    laptop.gone = true;
    for (const peerId of [...laptop.peers]) {
      laptop.disconnect(peerId);
      this.laptops.get(peerId)?.disconnect(laptop.id);
    }
  }

  send(from: Laptop, to: PeerId, msg: SimMsg): void {
    if (msg.type === 'block') throw new Error('blocks leave through the uplink (kick), not send()');
    const frame = encode(msg as WireMsg);
    this.controlMessages++;
    this.events.after(this.latencyS, () => {
      const decoded = decode(frame);
      if (!decoded.ok) throw new Error(`the codec refused its own frame: ${decoded.error.code}`);
      this.laptops.get(to)?.receive(from.id, decoded.value as SimMsg);
    });
  }

  kick(from: Laptop): void {
    if (this.uplinkBusy.has(from.id) || from.gone) return;
    const next = from.nextUpload();
    if (next === null) return;
    const { peerId, request } = next;
    const rates = this.rates.get(from.id)!;
    this.uplinkBusy.add(from.id);
    const crossing = this.medium.carry(this.events.now, from.id, peerId, request.length, rates.up);
    const block = { type: 'block', swarmId: request.swarmId, fileId: request.fileId, piece: request.piece, offset: request.offset, length: request.length } as const;
    const sent = () => {
      if (from.gone) return;
      from.sentBytes += request.length;
      this.deliverBlock(from.id, peerId, block);
    };
    const free = () => {
      this.uplinkBusy.delete(from.id);
      if (!from.gone) this.kick(from);
    };
    if (crossing.doneAt === crossing.senderFreeAt) return void this.events.at(crossing.doneAt, () => { sent(); free(); });
    this.events.at(crossing.senderFreeAt, free);
    this.events.at(crossing.doneAt, sent);
  }

  private deliverBlock(from: PeerId, to: PeerId, block: Extract<SimMsg, { type: 'block' }>): void {
    const down = this.rates.get(to)?.down ?? Infinity;
    const arrives = this.events.now + this.latencyS;
    const received = Math.max(arrives, this.downlinkFreeAt.get(to) ?? 0) + block.length / down;
    this.downlinkFreeAt.set(to, received);
    this.events.at(received, () => this.laptops.get(to)?.receive(from, block));
  }
}
