import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type TurnServer from 'node-turn';
import type { TurnAllocation, TurnMessage, TurnReply } from 'node-turn';
import Address from 'node-turn/lib/address.js';
import Allocation from 'node-turn/lib/allocation.js';
import Message from 'node-turn/lib/message.js';
import type { RelayLimits } from './limits.ts';
import { sendSafely, type RelayEvent, type RelayLog } from './events.ts';
import { CLASS_INDICATION, METHOD_DATA, PROTOCOL_UDP } from './wire.ts';

// Allocations are node-turn's objects (refresh, expiry, permissions), made and ended here: each gets a UDP
// socket on a port the system picks, counted against caps per peer, per address and in total; the path
// from peers to the client is ours (node-turn's throws on datagrams under 4 bytes); and an allocation
// ends, socket closed, the moment its peer leaves its last swarm or its TCP connection closes.

/** RFC 5766 defaults: 10 min allocations, refreshable up to one hour. */
const DEFAULT_LIFETIME_S = 600;
const MAX_LIFETIME_S = 3600;

export const peerOf = (username: string): string => username.slice(username.indexOf(':') + 1);

export interface Allocations {
  /** Whether `address:port` is the relayed address of a live allocation. */
  isRelayed(address: string, port: number): boolean;
  /** Ends every allocation of this peer at once: sockets closed, permissions and channels gone. */
  endPeer(peerId: string): void;
  count(): number;
  closeAll(): void;
}

interface Owner {
  address: string;
  peer: string;
}

interface Context {
  turn: TurnServer;
  limits: RelayLimits;
  log: RelayLog;
  isMember(peerId: string): boolean;
  live: Record<string, TurnAllocation>;
  /** Allocations whose socket is being bound, by 5-tuple: they count against the caps already. */
  pending: Map<string, Owner>;
  closed: boolean;
}

const relayedKey = (address: { address: string; port: number }): string => `${address.address}:${address.port}`;
const ownerOf = (allocation: TurnAllocation): Owner =>
  ({ address: allocation.mappedAddress.address, peer: peerOf(allocation.user.username) });

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** node-turn's allocation table, wrapped so that whatever forgets an allocation also closes its socket. */
function trackAllocations(turn: TurnServer, relayed: Set<string>): Record<string, TurnAllocation> {
  const live: Record<string, TurnAllocation> = {};
  const end = (allocation: TurnAllocation) => {
    clearTimeout(allocation.timer);
    relayed.delete(relayedKey(allocation.relayedTransportAddress));
    for (const socket of allocation.sockets) closeQuietly(socket);
  };
  turn.allocations = new Proxy(live, {
    set: (target, key, allocation: TurnAllocation) => {
      const previous = Reflect.get(target, key) as TurnAllocation | undefined;
      if (previous && previous !== allocation) end(previous);
      const update = allocation.update.bind(allocation);
      // node-turn's update() without a lifetime arms a NaN timer: the allocation would die at once.
      allocation.update = (lifetime) => update(lifetime || allocation.lifetime);
      relayed.add(relayedKey(allocation.relayedTransportAddress));
      return Reflect.set(target, key, allocation);
    },
    deleteProperty: (target, key) => {
      const allocation = Reflect.get(target, key) as TurnAllocation | undefined;
      if (allocation) end(allocation);
      return Reflect.deleteProperty(target, key);
    },
  });
  // refresh.js reads these two names, which node-turn never sets (every refresh killed the allocation).
  turn.defaultLifetime = DEFAULT_LIFETIME_S;
  turn.maxAllocateTimeout = MAX_LIFETIME_S;
  return live;
}

type Refusal = { code: number; reason: string; event: RelayEvent };

function quotaRefusal(ctx: Context, owner: Owner): Refusal | null {
  const owners = [...Object.values(ctx.live).map(ownerOf), ...ctx.pending.values()];
  const { maxAllocations, maxAllocationsPerAddress, maxAllocationsPerPeer } = ctx.limits;
  if (owners.length >= maxAllocations) return { code: 508, reason: 'Insufficient Capacity: relay full', event: 'TURN_CAPACITY' };
  if (owners.filter((o) => o.address === owner.address).length >= maxAllocationsPerAddress) {
    return { code: 486, reason: 'Allocation Quota Reached: this address', event: 'TURN_ALLOCATION_QUOTA' };
  }
  if (owners.filter((o) => o.peer === owner.peer).length >= maxAllocationsPerPeer) {
    return { code: 486, reason: 'Allocation Quota Reached: this peer', event: 'TURN_ALLOCATION_QUOTA' };
  }
  return null;
}

function bindRelaySocket(ip: string, log: RelayLog): Promise<Socket> {
  const socket = createSocket(isIPv6(ip) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      closeQuietly(socket);
      reject(error);
    };
    socket.once('error', failed);
    socket.bind({ address: ip, port: 0, exclusive: true }, () => {
      socket.off('error', failed);
      socket.on('error', (error) => log.count('TURN_SEND_FAILED', error.message));
      resolve(socket);
    });
  });
}

/** ChannelData, padded to 4 bytes as TCP needs (UDP allows it). */
function channelFrame(channel: number, data: Buffer): Buffer {
  const frame = Buffer.alloc(4 + ((data.length + 3) & ~3));
  frame.writeUInt16BE(channel, 0);
  frame.writeUInt16BE(data.length, 2);
  data.copy(frame, 4);
  return frame;
}

function dataIndication(turn: TurnServer, allocation: TurnAllocation, from: RemoteInfo, data: Buffer): Buffer {
  const indication = new Message(turn, allocation.transport);
  indication.class = CLASS_INDICATION;
  indication.method = METHOD_DATA;
  indication.transactionID = randomBytes(12).toString('hex');
  indication.addAttribute('xor-peer-address', new Address(from.address, from.port));
  indication.addAttribute('data', data);
  return indication.toBuffer();
}

/** A datagram from a peer: to the client, on its channel if it has one, if the peer is permitted. */
function toClient(ctx: Context, allocation: TurnAllocation, data: Buffer, from: RemoteInfo): void {
  const permission = allocation.permissions[from.address];
  if (permission === undefined || permission < Date.now()) return;
  const bound = Object.entries(allocation.channelBindings)
    .find(([, peer]) => peer?.address === from.address && peer.port === from.port);
  const frame = bound ? channelFrame(Number(bound[0]), data) : dataIndication(ctx.turn, allocation, from, data);
  const client = allocation.transport.dst;
  sendSafely(allocation.transport.socket, frame, client.port, client.address, ctx.log);
}

function answerAllocated(allocation: TurnAllocation, reply: TurnReply, software: string): void {
  reply.addAttribute('xor-relayed-address', allocation.relayedTransportAddress);
  reply.addAttribute('lifetime', allocation.lifetime);
  reply.addAttribute('xor-mapped-address', allocation.mappedAddress);
  reply.addAttribute('software', software);
  reply.addAttribute('message-integrity');
  reply.resolve();
}

function complete(ctx: Context, msg: TurnMessage, reply: TurnReply, socket: Socket, owner: Owner): void {
  // The client may have gone, or left its swarms, while the socket was being bound.
  if (ctx.closed || !msg.transport.socket.isOpen() || !ctx.isMember(owner.peer)) {
    closeQuietly(socket);
    return reply.discard();
  }
  const allocation = new Allocation(msg, [socket], DEFAULT_LIFETIME_S);
  socket.removeAllListeners('message');
  socket.on('message', (data, from) => {
    try {
      toClient(ctx, allocation, data, from);
    } catch (error) {
      ctx.log.count('TURN_HANDLER_FAILED', String(error));
    }
  });
  answerAllocated(allocation, reply, ctx.turn.software);
}

function onAllocate(ctx: Context, msg: TurnMessage, reply: TurnReply): void {
  const fiveTuple = msg.transport.get5Tuple();
  // RFC 5766 §6.2. node-turn sets msg.allocation for every request but an Allocate, so look it up: a retransmission
  // that came after the answer (STUN over UDP retransmits from 250 ms) would otherwise get a second allocation,
  // closing the relayed address the client already gave its peers.
  const existing = ctx.live[fiveTuple];
  if (existing) {
    const retransmitted = existing.transactionID === msg.transactionID;
    return retransmitted ? answerAllocated(existing, reply, ctx.turn.software) : reply.reject(437, 'Allocation Mismatch');
  }
  const requested = msg.getAttribute('requested-transport');
  if (requested === undefined) return reply.reject(400, 'Bad Request');
  if (requested !== PROTOCOL_UDP) return reply.reject(442, 'Unsupported Transport Protocol');
  if (msg.getAttribute('even-port') !== undefined || msg.getAttribute('reservation-token') !== undefined) {
    return reply.reject(508, 'Insufficient Capacity: no EVEN-PORT or RESERVATION-TOKEN');
  }
  if (ctx.pending.has(fiveTuple)) return reply.discard(); // a retransmission: the first one is answered
  const owner = { address: msg.transport.src.address, peer: peerOf(msg.user?.username ?? '') };
  const refusal = quotaRefusal(ctx, owner);
  if (refusal) {
    ctx.log.count(refusal.event, owner.address);
    return reply.reject(refusal.code, refusal.reason);
  }
  ctx.pending.set(fiveTuple, owner);
  bindRelaySocket(msg.transport.dst.address, ctx.log)
    .then((socket) => complete(ctx, msg, reply, socket, owner), () => reply.reject(508, 'Insufficient Capacity'))
    .catch((error: unknown) => ctx.log.count('TURN_HANDLER_FAILED', String(error)))
    .finally(() => ctx.pending.delete(fiveTuple));
}

export function installAllocations(turn: TurnServer, opts: Pick<Context, 'limits' | 'log' | 'isMember'>): Allocations {
  const relayed = new Set<string>();
  const ctx: Context = { ...opts, turn, live: trackAllocations(turn, relayed), pending: new Map(), closed: false };
  turn.removeAllListeners('allocate');
  turn.on('allocate', (msg: TurnMessage, reply: TurnReply) => onAllocate(ctx, msg, reply));
  const endWhere = (ends: (allocation: TurnAllocation) => boolean) => {
    for (const [key, allocation] of Object.entries(ctx.live)) if (ends(allocation)) delete turn.allocations[key];
  };
  return {
    isRelayed: (address, port) => relayed.has(`${address}:${port}`),
    endPeer: (peerId) => {
      const before = Object.keys(ctx.live).length;
      endWhere((allocation) => peerOf(allocation.user.username) === peerId);
      if (Object.keys(ctx.live).length < before) ctx.log.count('TURN_MEMBERSHIP_ENDED');
    },
    count: () => Object.keys(ctx.live).length,
    closeAll: () => {
      ctx.closed = true;
      endWhere(() => true);
    },
  };
}
