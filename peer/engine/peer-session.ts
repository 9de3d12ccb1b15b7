import { bitfieldToBytes } from '../../shared/bitfield.ts';
import { checkAgainstManifest, decode, encode, type RoutedMsg } from '../../shared/codec.ts';
import type { SwarmId } from '../../shared/ids.ts';
import { BAD_FRAMES_FORGIVEN_PER_SECOND, MAX_BAD_FRAMES_PER_LINK } from '../../shared/limits.ts';
import { onPeerGone, onPeerSlot } from '../../shared/piece-picker.ts';
import { route, setPeerSwarms, sharedSwarms } from '../../shared/routing-table.ts';
import { WIRE_VERSION, type WireMsg } from '../../shared/wire-messages.ts';
import type { PeerLink } from '../contracts.ts';
import {
  dropOrphanBuffers, fillAll, fillRequests, onBitfieldMsg, onBlockMsg, onFetchingMsg, onHaveMsg, onRejectMsg,
} from './download-side.ts';
import type { EngineContext } from './engine-context.ts';
import { forgetRoutesOutside, isRemoved, routesWithPeer, type PeerEntry, type RouteEntry } from './engine-state.ts';
import { createRateMeter } from './rates.ts';

// One remote peer over one link: every frame is decoded, routed by its (swarmId, fileId) through the
// routing table, checked against the route's manifest, then handed to the download side or the upload
// handler. Bad frames are counted and dropped; nothing a peer sends can throw out of here.

type Ctx = Pick<EngineContext, 'state' | 'store' | 'now' | 'send' | 'changed' | 'uploads' | 'sha256'>;
/** What a session's frames need besides: the page's redraw. */
type SessionCtx = Ctx & Pick<EngineContext, 'progressed'>;

/** Swarms we tell a peer about: only those the server says it is in too (a swarmId is a secret). */
export function helloSwarms(ctx: Ctx, peer: PeerEntry): SwarmId[] {
  const out: SwarmId[] = [];
  for (const [swarmId, members] of ctx.state.members) if (members.has(peer.peerId)) out.push(swarmId);
  return out.sort();
}

export function openSession(ctx: SessionCtx, link: PeerLink): PeerEntry {
  const peer: PeerEntry = {
    peerId: link.remotePeerId, link, bitfieldsSent: new Set(), bitfieldsReceived: new Set(), dropped: new Set(), declared: new Set(), fillTurn: 0,
    up: createRateMeter(ctx.now), down: createRateMeter(ctx.now), piecesSentTo: 0, piecesReceivedFrom: 0,
    relayed: null, rttMs: null, lastUsedAt: undefined, badFrames: { debt: 0, at: ctx.now() }, faults: {},
  };
  ctx.state.peers.set(peer.peerId, peer);
  link.onMessage = (frame) => onFrame(ctx, peer, frame);
  sendHello(ctx, peer);
  return peer;
}

/** (Re)sends our hello when the swarms we share with the peer changed, then bitfields on newly declared routes. */
export function sendHello(ctx: Ctx, peer: PeerEntry): void {
  const swarms = helloSwarms(ctx, peer);
  if (ctx.state.selfId === null) return;
  if (swarms.length === peer.declared.size && swarms.every((s) => peer.declared.has(s))) return;
  peer.declared = new Set(swarms);
  forgetRoutesOutside(peer.bitfieldsSent, peer.declared);
  ctx.send(peer, { type: 'hello', peerId: ctx.state.selfId, version: WIRE_VERSION, swarms });
  sendBitfields(ctx, peer);
  fillRequests(ctx, peer);
}

function resendHello(ctx: Ctx, peer: PeerEntry): void {
  if (ctx.state.selfId === null) return;
  ctx.send(peer, { type: 'hello', peerId: ctx.state.selfId, version: WIRE_VERSION, swarms: [...peer.declared].sort() });
}

/** Our bitfield on every route the peer shares with us that it has not had one for yet. */
export function sendBitfields(ctx: Ctx, peer: PeerEntry): void {
  for (const entry of routesWithPeer(ctx.state, peer.peerId)) {
    if (peer.bitfieldsSent.has(entry)) continue;
    peer.bitfieldsSent.add(entry);
    const bits = bitfieldToBytes(entry.picker.had);
    ctx.send(peer, { type: 'bitfield', ...entry.route, bits, pieceCount: entry.picker.layout.pieceCount });
  }
}

function onFrame(ctx: SessionCtx, peer: PeerEntry, frame: Uint8Array): void {
  try {
    if (!dispatch(ctx, peer, frame)) chargeBadFrame(ctx, peer);
  } catch (e) {
    // A programming fault must not take the link down with it; count it and keep serving.
    ctx.state.counters.badMessages++;
    console.error('tabswarm: frame handler failed', e);
  }
  ctx.progressed(); // a piece completes (and is announced) in verifyAndStore, which calls changed() itself
}

/** Counts a dropped frame; a peer that keeps sending them (MAX_BAD_FRAMES_PER_LINK unforgiven) loses its link. */
function chargeBadFrame(ctx: Ctx, peer: PeerEntry): void {
  ctx.state.counters.badMessages++;
  const t = ctx.now();
  const owed = Math.max(0, peer.badFrames.debt - ((t - peer.badFrames.at) / 1000) * BAD_FRAMES_FORGIVEN_PER_SECOND);
  peer.badFrames = { debt: owed + 1, at: t };
  if (peer.badFrames.debt > MAX_BAD_FRAMES_PER_LINK) (peer.link.closeForAbuse ?? peer.link.close).call(peer.link, 'too many bad frames');
}

/** Returns false for a frame that was dropped as bad. */
function dispatch(ctx: Ctx, peer: PeerEntry, frame: Uint8Array): boolean {
  const decoded = ctx.state.stages.run('receive', () => decode(frame));
  if (!decoded.ok) return false;
  return ctx.state.stages.run('route', () => routeMsg(ctx, peer, decoded.value));
}

function routeMsg(ctx: Ctx, peer: PeerEntry, msg: WireMsg): boolean {
  if (msg.type === 'hello') return onHello(ctx, peer, msg);
  const routed = route(ctx.state.table, msg.swarmId, msg.fileId, peer.peerId);
  // Its hello is only a claim: a swarm we have not declared to it (the server does not list it there) stays closed.
  if (!routed.ok || !peer.declared.has(msg.swarmId)) {
    if (msg.type === 'request') ctx.uploads.reject(peer, msg, 'unknown-route');
    return goneHere(ctx, msg); // sent before it heard we removed the file or left the swarm: not its fault
  }
  const fits = checkAgainstManifest(routed.value.manifest, msg);
  if (!fits.ok) {
    if (msg.type === 'request') ctx.uploads.reject(peer, msg, 'bad-span');
    return false;
  }
  return onRouted(ctx, peer, routed.value, msg);
}

function onRouted(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: RoutedMsg): boolean {
  switch (msg.type) {
    case 'bitfield': return onPeerBitfield(ctx, peer, entry, msg);
    case 'have':
      if (!onHaveMsg(ctx, peer, entry, msg)) return false;
      ctx.uploads.onHave(entry, msg.piece); // seed-once's tail: the next peer's turn with the piece may come
      return true;
    case 'fetching': return onFetchingMsg(entry, peer, msg);
    case 'block': peer.lastUsedAt = ctx.now(); return onBlockMsg(ctx, peer, entry, msg);
    case 'reject': onRejectMsg(ctx, peer, entry, msg); return true;
    case 'request': ctx.uploads.onRequest(peer, entry, msg); return true;
    case 'cancel': ctx.uploads.onCancel(peer, entry, msg); return true;
    case 'drop': return onDrop(ctx, peer, entry);
    case 'slot':
      onPeerSlot(entry.picker, peer.peerId, msg.granted, ctx.now());
      if (!msg.granted && entry.picker.preferred === peer.peerId) fillAll(ctx); // the file's origin is busy: ask others
      return true;
    default: {
      const never: never = msg;
      return never;
    }
  }
}

const goneHere = (ctx: Ctx, msg: RoutedMsg): boolean =>
  ctx.state.left.has(msg.swarmId) || isRemoved(ctx.state, msg.swarmId, msg.fileId);

/** The peer removed the file: it is no source on the route any more, and what it queued with us is void. */
function onDrop(ctx: Ctx, peer: PeerEntry, entry: RouteEntry): boolean {
  peer.dropped.add(entry);
  peer.bitfieldsReceived.delete(entry);
  onPeerGone(entry.picker, peer.peerId); // its requests in flight go to other peers
  ctx.uploads.dropRoute(entry, peer.peerId);
  dropOrphanBuffers(ctx.state);
  fillAll(ctx);
  return true;
}

/**
 * Our bitfield may have reached the peer before it knew the route (its announcement was still being verified)
 * and been dropped there; its first bitfield on the route says it knows it now, so ours goes once more.
 */
function onPeerBitfield(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: Extract<WireMsg, { type: 'bitfield' }>): boolean {
  peer.dropped.delete(entry); // it has the file again
  if (!peer.bitfieldsReceived.has(entry)) {
    peer.bitfieldsReceived.add(entry);
    if (peer.bitfieldsSent.delete(entry)) sendBitfields(ctx, peer);
  }
  return onBitfieldMsg(ctx, peer, entry, msg);
}

function onHello(ctx: Ctx, peer: PeerEntry, msg: Extract<WireMsg, { type: 'hello' }>): boolean {
  if (msg.peerId !== peer.peerId || msg.version !== WIRE_VERSION) return false;
  // Our first hello may have arrived before the peer listened (its side of the link reports "connected"
  // a little later than ours, and frames before that are lost): its first hello says it listens now.
  const first = !ctx.state.table.peerSwarms.has(peer.peerId);
  setPeerSwarms(ctx.state.table, peer.peerId, msg.swarms);
  if (first && peer.declared.size > 0) resendHello(ctx, peer);
  // Routes it no longer shares: it must get a fresh bitfield if it ever shares them again.
  const shared = new Set(sharedSwarms(ctx.state.table, peer.peerId));
  forgetRoutesOutside(peer.bitfieldsSent, shared);
  forgetRoutesOutside(peer.bitfieldsReceived, shared);
  forgetRoutesOutside(peer.dropped, shared);
  sendBitfields(ctx, peer);
  fillRequests(ctx, peer);
  return true;
}

/** Encodes and queues a frame; a closed link is handled by the link manager's close callback. */
export function sendMessage(peer: PeerEntry, msg: WireMsg): Promise<void> {
  return sendFrame(peer, encode(msg));
}

/** Queues an encoded frame, as sendMessage does. */
export function sendFrame(peer: PeerEntry, frame: Uint8Array): Promise<void> {
  return peer.link.send(frame).catch(() => undefined);
}
