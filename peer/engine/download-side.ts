import { getBit, isComplete } from '../../shared/bitfield.ts';
import type { PeerId } from '../../shared/ids.ts';
import { pieceSize } from '../../shared/manifest.ts';
import {
  blockSpansOf, expire, inFlightOf, markHadLocally, needsBlockDigests, nextRequests, onBlock, onGoodCopy, onPeerBitfield,
  onPeerFetching, onPeerHave, onPieceFailed, onPieceUnstored, onPieceVerified, onRequestRejected, type PeerSpan,
  type PieceFailure, type PiecePicker,
} from '../../shared/piece-picker.ts';
import type { WireMsg } from '../../shared/wire-messages.ts';
import type { CheckedPut } from '../contracts.ts';
import { milestone } from '../milestones.ts';
import type { EngineContext } from './engine-context.ts';
import { isQuotaFailure, quotaAdvice } from './storage-use.ts';
import {
  chargeFault, peersOnRoute, routesOf, routesWithPeer, type EngineState, type FileInfo, type PeerEntry, type RouteEntry,
} from './engine-state.ts';

// The downloading half of a peer: what to ask whom (the route's picker), blocks gathered into pieces,
// SHA-256 against the manifest, the store write, then `have` to every peer of the file's routes.
// A piece counts as had only once putPiece resolved (the IndexedDB transaction committed).

type Ctx = Pick<EngineContext, 'state' | 'store' | 'now' | 'send' | 'changed' | 'sha256'>;

type Msg<T extends WireMsg['type']> = Extract<WireMsg, { type: T }>;

const wantsPieces = (file: FileInfo | undefined): boolean => file?.state === 'downloading' || file?.state === 'announced';

/**
 * Requests blocks from one peer on every route it shares with us, within its window (all routes together).
 * The first route asked rotates: otherwise the first file announced takes every slot it frees, and a small
 * file announced after a big one waits until the big one is done.
 */
export function fillRequests(ctx: Ctx, peer: PeerEntry): void {
  if (peer.link.state !== 'connected') return;
  // Runs after every block: one pass over the routes it shares with us, no arrays built per call but this one.
  const routes = routesWithPeer(ctx.state, peer.peerId);
  if (routes.length === 0) return;
  let inFlight = 0;
  for (const entry of routes) inFlight += inFlightOf(entry.picker, peer.peerId).requests;
  const first = peer.fillTurn++ % routes.length;
  for (let turn = 0; turn < routes.length; turn++) {
    const entry = routes[(first + turn) % routes.length]!;
    const file = ctx.state.files.get(entry.route.fileId);
    if (!file || !wantsPieces(file) || isComplete(entry.picker.had)) continue;
    if (inFlight >= ctx.state.params.windowPerPeer) return;
    for (const span of nextRequests(entry.picker, peer.peerId, ctx.now())) {
      ctx.send(peer, { type: 'request', ...entry.route, ...span });
      ctx.state.counters.requestsSent++;
      inFlight++;
      peer.lastUsedAt = ctx.now();
      milestone('first-request');
    }
    announceStarted(ctx, entry);
    if (entry.picker.active.size > 0 && file.state === 'announced') file.state = 'downloading';
  }
}

/**
 * Tells the route's peers that lack them which pieces we just started ('fetching'): two of us then rarely fetch
 * the same rare piece from one seeder at once (its upload is what a whole class waits on).
 */
function announceStarted(ctx: Ctx, entry: RouteEntry): void {
  if (entry.picker.started.length === 0) return;
  const started = entry.picker.started.splice(0);
  for (const other of peersOnRoute(ctx.state, entry)) {
    const have = entry.picker.peers.get(other.peerId)?.have;
    for (const piece of started) if (!have || !getBit(have, piece)) ctx.send(other, { type: 'fetching', ...entry.route, piece });
  }
}

export function fillAll(ctx: Ctx): void {
  for (const peer of ctx.state.peers.values()) fillRequests(ctx, peer);
}

export function onBitfieldMsg(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: Msg<'bitfield'>): boolean {
  if (!onPeerBitfield(entry.picker, peer.peerId, msg.bits).ok) return false;
  fillRequests(ctx, peer);
  return true;
}

export function onHaveMsg(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: Msg<'have'>): boolean {
  if (!onPeerHave(entry.picker, peer.peerId, msg.piece).ok) return false;
  if (!getBit(entry.picker.had, msg.piece)) fillRequests(ctx, peer);
  return true;
}

export function onFetchingMsg(entry: RouteEntry, peer: PeerEntry, msg: Msg<'fetching'>): boolean {
  return onPeerFetching(entry.picker, peer.peerId, msg.piece).ok;
}

export function onRejectMsg(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: Msg<'reject'>): void {
  ctx.state.counters.rejectsReceived++;
  const span = { piece: msg.piece, offset: msg.offset, length: msg.length };
  sendCancels(ctx, entry, onRequestRejected(entry.picker, peer.peerId, span, msg.reason));
  fillAll(ctx);
}

/**
 * Returns false when the block was not asked of this peer (counted, charged to it, dropped: never written into a
 * piece, whoever else is sending it). A late duplicate of a block we did ask it for is dropped without charge.
 */
export function onBlockMsg(ctx: Ctx, peer: PeerEntry, entry: RouteEntry, msg: Msg<'block'>): boolean {
  const file = ctx.state.files.get(entry.route.fileId);
  const outcome = onBlock(entry.picker, peer.peerId, { piece: msg.piece, offset: msg.offset, length: msg.data.length });
  peer.down.add(msg.data.length);
  if (!file || !outcome.accepted) {
    ctx.state.counters.unrequestedBlocks++;
    if (!outcome.accepted && outcome.reason === 'unrequested') chargeFault(peer, 'ERR_UNREQUESTED');
    return outcome.accepted || outcome.reason === 'duplicate';
  }
  ctx.state.counters.blockBytesReceived += msg.data.length;
  milestone('first-block');
  const pieces = file.buffers.get(entry) ?? new Map<number, Uint8Array>();
  file.buffers.set(entry, pieces);
  let buffer = pieces.get(msg.piece);
  if (!buffer) {
    const length = pieceSize(file.manifest, msg.piece);
    buffer = ctx.store.pieceBuffer?.(length) ?? new Uint8Array(length); // every byte is a block's before it is hashed
    pieces.set(msg.piece, buffer);
  }
  buffer.set(msg.data, msg.offset);
  sendCancels(ctx, entry, outcome.cancels);
  if (outcome.pieceComplete) {
    pieces.delete(msg.piece);
    if (pieces.size === 0) file.buffers.delete(entry);
    const write = verifyAndStore(ctx, file, entry, msg.piece, buffer).finally(() => {
      file.verifying.delete(write);
      ctx.changed();
    });
    file.verifying.add(write);
    ctx.changed();
  }
  fillRequests(ctx, peer);
  return true;
}

function sendCancels(ctx: Ctx, entry: RouteEntry, cancels: PeerSpan[]): void {
  for (const { peerId, span } of cancels) {
    const peer = ctx.state.peers.get(peerId);
    if (peer) ctx.send(peer, { type: 'cancel', ...entry.route, ...span });
  }
}

async function verifyAndStore(ctx: Ctx, file: FileInfo, entry: RouteEntry, piece: number, received: Uint8Array): Promise<void> {
  const checked = await checkAndStore(ctx, file, piece, received);
  if (checked.result === 'corrupt') return await onCorruptPiece(ctx, entry, piece, checked.bytes);
  if (checked.result === 'gone' || ctx.state.files.get(file.fileId) !== file) return; // removed meanwhile
  if (checked.result === 'failed') {
    onPieceUnstored(entry.picker, piece);
    return onStoreFailure(ctx, file, checked.error);
  }
  if (needsBlockDigests(entry.picker, piece)) {
    applyStrikes(ctx, entry, onGoodCopy(entry.picker, piece, await blockDigests(ctx, entry.picker, piece, checked.bytes)));
  }
  ctx.state.stages.run('announce', () => markVerified(ctx, file, entry, piece, checked.bytes.length));
}

type Checked = CheckedPut | { result: 'failed'; error: unknown } | { result: 'gone' };

/**
 * The piece's SHA-256 against the manifest, then the store write only if it matches: in one call where the store
 * does both off the main thread (a tab's piece worker; a removal waits for it there), else here, step by step.
 */
async function checkAndStore(ctx: Ctx, file: FileInfo, piece: number, bytes: Uint8Array): Promise<Checked> {
  const expected = file.manifest.pieceHashes[piece]!;
  const { stages } = ctx.state;
  if (ctx.store.checkAndPut) return stages.run('hash', () => ctx.store.checkAndPut!(file.fileId, piece, bytes, expected));
  if ((await stages.run('hash', () => ctx.sha256(bytes))) !== expected) return { result: 'corrupt', bytes };
  if (ctx.state.files.get(file.fileId) !== file) return { result: 'gone' };
  try {
    await stages.run('store', () => ctx.store.putPiece(file.fileId, piece, bytes));
    return { result: 'stored', bytes };
  } catch (e) {
    return { result: 'failed', error: e };
  }
}

function markVerified(ctx: Ctx, file: FileInfo, entry: RouteEntry, piece: number, length: number): void {
  const source = onPieceVerified(entry.picker, piece);
  if (source === null) return;
  ctx.state.counters.piecesVerified++;
  if (ctx.state.counters.firstPieceAtMs === 0) ctx.state.counters.firstPieceAtMs = performance.now();
  milestone('first-piece');
  file.fetched++;
  file.meter.add(length);
  if (source !== 'local') {
    file.sources.set(source, (file.sources.get(source) ?? 0) + 1);
    const from = ctx.state.peers.get(source);
    if (from) from.piecesReceivedFrom++;
  }
  for (const other of routesOf(ctx.state, file.fileId)) {
    if (other !== entry) sendCancels(ctx, other, markHadLocally(other.picker, piece));
  }
  if (isComplete(entry.picker.had)) file.state = 'complete';
  broadcastHave(ctx, file, piece);
  fillAll(ctx);
}

/**
 * This tab now holds every piece of the file in its store (it seeded the same bytes while downloading them):
 * every route has them all, requests still out are cancelled, peers hear `have`, the file is complete.
 */
export function adoptStoredFile(ctx: Ctx, file: FileInfo): void {
  file.seeded = true;
  file.buffers.clear();
  for (const entry of routesOf(ctx.state, file.fileId)) {
    for (let piece = 0; piece < entry.picker.layout.pieceCount; piece++) {
      if (getBit(entry.picker.had, piece)) continue;
      sendCancels(ctx, entry, markHadLocally(entry.picker, piece));
      for (const peer of peersOnRoute(ctx.state, entry)) ctx.send(peer, { type: 'have', ...entry.route, piece });
    }
  }
  file.state = 'complete';
  delete file.error;
  ctx.changed();
}

/** Tells every connected peer on each of the file's routes that we now have the piece. */
export function broadcastHave(ctx: Ctx, file: FileInfo, piece: number): void {
  for (const entry of routesOf(ctx.state, file.fileId)) {
    for (const peer of peersOnRoute(ctx.state, entry)) ctx.send(peer, { type: 'have', ...entry.route, piece });
  }
}

async function onCorruptPiece(ctx: Ctx, entry: RouteEntry, piece: number, bytes: Uint8Array): Promise<void> {
  ctx.state.counters.piecesCorrupt++;
  applyStrikes(ctx, entry, onPieceFailed(entry.picker, piece, await blockDigests(ctx, entry.picker, piece, bytes)));
  fillAll(ctx);
}

/** Smart ban's evidence: the SHA-256 of each block of a copy of a piece. */
function blockDigests(ctx: Ctx, picker: PiecePicker, piece: number, bytes: Uint8Array): Promise<string[]> {
  return Promise.all(blockSpansOf(picker, piece).map((s) => ctx.sha256(bytes.subarray(s.offset, s.offset + s.length))));
}

/** Peers proven to have sent bad blocks: charged; the banned ones' requests cancelled. */
function applyStrikes(ctx: Ctx, entry: RouteEntry, failure: PieceFailure): void {
  for (const peerId of failure.struck) chargeFault(ctx.state.peers.get(peerId), 'ERR_PIECE_HASH');
  for (const peerId of failure.banned) chargeFault(ctx.state.peers.get(peerId), 'ERR_BANNED');
  sendCancels(ctx, entry, failure.cancels);
}

/**
 * Quota or IndexedDB failure: nothing is counted as had; the file stops downloading and says why. A full
 * storage names the files to remove, and the download goes on once something was (removal.ts).
 */
function onStoreFailure(ctx: Ctx, file: FileInfo, e: unknown): void {
  ctx.state.counters.storeErrors++;
  file.state = 'error';
  file.blockedByQuota = isQuotaFailure(e);
  // piece-store.ts throws StorageFailure with a plain-language message (quota or write failure).
  file.error = file.blockedByQuota ? quotaAdvice(ctx.state, `a piece of ${file.manifest.name}`)
    : e instanceof Error ? e.message : `Storing a piece failed: ${String(e)}`;
}

/** Timed-out requests go to other peers; run every second or so. */
export function expireRequests(ctx: Ctx): void {
  for (const files of ctx.state.table.swarms.values()) {
    for (const entry of files.values()) {
      const { cancels, reassigned } = expire(entry.picker, ctx.now());
      sendCancels(ctx, entry, cancels);
      for (const { peerId, span } of reassigned) {
        const peer = ctx.state.peers.get(peerId);
        if (peer) ctx.send(peer, { type: 'request', ...entry.route, ...span });
      }
    }
  }
  fillAll(ctx);
}

/** Drops partial pieces nobody fetches any more (their senders left) so they are fetched afresh. */
export function dropOrphanBuffers(state: EngineState): void {
  for (const file of state.files.values()) {
    for (const [entry, pieces] of file.buffers) {
      const routed = state.table.swarms.get(entry.route.swarmId)?.get(file.fileId) === entry;
      for (const piece of pieces.keys()) if (!routed || !entry.picker.active.has(piece)) pieces.delete(piece);
      if (pieces.size === 0) file.buffers.delete(entry);
    }
  }
}
