import type TurnServer from 'node-turn';
import type { TurnAddress, TurnAllocation, TurnMessage, TurnReply } from 'node-turn';
import Address from 'node-turn/lib/address.js';
import type { RelayLimits } from './limits.ts';
import { sendSafely, type RelayLog } from './events.ts';
import type { PeerPolicy } from './peer-policy.ts';
import { CHANNEL_HEADER_BYTES, FIRST_CHANNEL, LAST_CHANNEL } from './wire.ts';

// The client → peer direction: permissions, channel bindings, Send indications and ChannelData, each
// checked against the peer policy (peer-policy.ts) when granted and again for every packet, because
// a relayed port that was live at binding time may be gone, and a permission covers every port of an address.

interface Context {
  turn: TurnServer;
  policy: PeerPolicy;
  limits: RelayLimits;
  log: RelayLog;
}

export interface Relaying {
  /** Client → peer ChannelData on the allocation of `fiveTuple`. */
  relayChannelData(fiveTuple: string, bytes: Buffer): void;
}

const isLive = (allocation: TurnAllocation, address: string): boolean => (allocation.permissions[address] ?? 0) >= Date.now();

/** Sends to a peer if it is permitted and the policy lets this packet through. */
function toPeer(ctx: Context, allocation: TurnAllocation, peer: TurnAddress, data: Buffer): void {
  const refusal = isLive(allocation, peer.address) ? ctx.policy.reaches(peer.address, peer.port) : 'not-permitted';
  if (refusal !== null) return ctx.log.count('TURN_PEER_REFUSED', refusal);
  const socket = allocation.sockets[0];
  if (socket) sendSafely(socket, data, peer.port, peer.address, ctx.log);
}

/** Expired permissions go first; then room for `adding` more, within maxPeersPerAllocation. */
function hasRoom(ctx: Context, allocation: TurnAllocation, adding: readonly string[]): boolean {
  for (const [address, expiry] of Object.entries(allocation.permissions)) {
    if (expiry < Date.now()) delete allocation.permissions[address];
  }
  const fresh = new Set(adding.filter((address) => allocation.permissions[address] === undefined));
  return Object.keys(allocation.permissions).length + fresh.size <= ctx.limits.maxPeersPerAllocation;
}

const forbidden = (ctx: Context, reply: TurnReply, why: string): void => {
  ctx.log.count('TURN_PEER_REFUSED', why);
  reply.reject(403, `Forbidden: ${why}`);
};

function onCreatePermission(ctx: Context, msg: TurnMessage, reply: TurnReply): void {
  const allocation = msg.allocation;
  const peers = msg.getAttributes('xor-peer-address') as TurnAddress[];
  if (!allocation || peers.length === 0) return reply.reject(400, 'Bad Request');
  const addresses: string[] = [];
  for (const peer of peers) {
    const permitted = ctx.policy.permits(String(peer.address));
    if (!permitted.ok) return forbidden(ctx, reply, permitted.error);
    addresses.push(permitted.value);
  }
  if (!hasRoom(ctx, allocation, addresses)) return reply.reject(508, 'Insufficient Capacity: too many peers');
  for (const address of addresses) allocation.permit(address);
  reply.addAttribute('software', ctx.turn.software);
  reply.addAttribute('message-integrity');
  reply.resolve();
}

function onChannelBind(ctx: Context, msg: TurnMessage, reply: TurnReply): void {
  const allocation = msg.allocation;
  const channel = msg.getAttribute('channel-number');
  const peer = msg.getAttribute('xor-peer-address') as TurnAddress | undefined;
  if (!allocation || typeof channel !== 'number' || channel < FIRST_CHANNEL || channel > LAST_CHANNEL || !peer) {
    return reply.reject(400, 'Bad Request');
  }
  const permitted = ctx.policy.permits(String(peer.address));
  if (!permitted.ok) return forbidden(ctx, reply, permitted.error);
  const refusal = ctx.policy.reaches(permitted.value, peer.port);
  if (refusal === 'bad-port') return reply.reject(400, 'Bad Request: no such port');
  if (refusal !== null) return forbidden(ctx, reply, refusal);
  const target = new Address(permitted.value, peer.port);
  const current = allocation.channelBindings[channel];
  const other = Object.entries(allocation.channelBindings)
    .find(([number, bound]) => Number(number) !== channel && bound?.address === target.address && bound.port === target.port);
  // RFC 5766 §11.2: a channel keeps its peer, and a peer keeps its channel.
  if ((current && (current.address !== target.address || current.port !== target.port)) || other) {
    return reply.reject(400, 'Bad Request: channel or peer already bound');
  }
  const channels = Object.keys(allocation.channelBindings).length + (current ? 0 : 1);
  if (channels > ctx.limits.maxPeersPerAllocation || !hasRoom(ctx, allocation, [target.address])) {
    return reply.reject(508, 'Insufficient Capacity: too many peers');
  }
  allocation.permit(target.address);
  allocation.channelBindings[channel] = target;
  reply.resolve();
}

function onSend(ctx: Context, msg: TurnMessage): void {
  const peer = msg.getAttribute('xor-peer-address') as TurnAddress | undefined;
  const data = msg.getAttribute('data');
  if (!msg.allocation || !peer || !Buffer.isBuffer(data)) return;
  const permitted = ctx.policy.permits(String(peer.address));
  if (!permitted.ok) return ctx.log.count('TURN_PEER_REFUSED', permitted.error);
  toPeer(ctx, msg.allocation, { address: permitted.value, port: peer.port }, data);
}

/** ChannelData: <channel u16><length u16><data> (+ padding over TCP), only on a bound channel (RFC 5766 §11.6). */
function relayChannelData(ctx: Context, fiveTuple: string, bytes: Buffer): void {
  const allocation = ctx.turn.allocations[fiveTuple];
  const length = bytes.readUInt16BE(2);
  if (!allocation || CHANNEL_HEADER_BYTES + length > bytes.length) return;
  const peer = allocation.channelBindings[String(bytes.readUInt16BE(0))];
  if (peer) toPeer(ctx, allocation, peer, bytes.subarray(CHANNEL_HEADER_BYTES, CHANNEL_HEADER_BYTES + length));
}

/** Replaces node-turn's CreatePermission, ChannelBind and Send handlers, which check no peer address. */
export function installRelaying(turn: TurnServer, opts: Omit<Context, 'turn'>): Relaying {
  const ctx: Context = { ...opts, turn };
  const handle = (event: string, handler: (msg: TurnMessage, reply: TurnReply) => void) => {
    turn.removeAllListeners(event);
    turn.on(event, handler);
  };
  handle('create_permission', (msg, reply) => onCreatePermission(ctx, msg, reply));
  handle('channel_bind', (msg, reply) => onChannelBind(ctx, msg, reply));
  handle('send', (msg) => onSend(ctx, msg));
  return { relayChannelData: (fiveTuple, bytes) => relayChannelData(ctx, fiveTuple, bytes) };
}
