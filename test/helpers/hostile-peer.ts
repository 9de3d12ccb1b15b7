import { bitfieldToBytes, createBitfield, setBit } from '../../shared/bitfield.ts';
import { decode, encode } from '../../shared/codec.ts';
import type { PeerId, SwarmId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import { WIRE_VERSION, type Route, type WireMsg } from '../../shared/wire-messages.ts';
import { peerIdFor, type EngineFixture, type TestPeer } from './engine-fixture.ts';
import { createMemoryLinkPair, type MemoryLink } from './memory-link.ts';

// A test peer that speaks the wire protocol by hand, and wrongly on purpose: it claims pieces, answers
// requests with corrupt bytes (or honest ones), floods requests, and sends whatever raw frames a test wants.
//
//   const liar = attachHostilePeer(fx, b, 'liar', { swarms: [swarmId], join: true, serve: { route, manifest, bytes, corrupt: true } });
//   await liar.sendRaw(new Uint8Array([WIRE_VERSION, 99]));   // anything at all
//   liar.received.filter((m) => m.type === 'request');         // what the engine asked it for

/** The file it claims to hold, and how it answers requests for it. */
export interface ServedFile {
  route: Route;
  manifest: Manifest;
  bytes: Uint8Array;
  /** Flip one byte in every block it sends (every piece it serves fails its hash). */
  corrupt: boolean;
}

export interface HostileOptions {
  /** Swarms its hello declares (whether or not the server lists it as a member). */
  swarms: SwarmId[];
  /** Join those swarms on the fixture's signaling hub first, so the target counts it as a member. */
  join: boolean;
  serve?: ServedFile;
  /** Sees every frame the target sends it (after `received` records it), e.g. to act on 'fetching' hints. */
  onMessage?: (msg: WireMsg, self: HostilePeer) => void;
}

export interface HostilePeer {
  peerId: PeerId;
  /** Its own end of the link to the target engine. */
  link: MemoryLink;
  /** Every frame the target sent it, decoded (frames that failed to decode are a bug in the target). */
  received: WireMsg[];
  /** Blocks it sent in answer to requests. */
  blocksServed: number;
  send(msg: WireMsg): Promise<void>;
  sendRaw(frame: Uint8Array): Promise<void>;
  /** Sends hello (its declared swarms) and, if it serves a file, a bitfield claiming every piece. */
  greet(): Promise<void>;
}

/** Connects a hostile peer to `target` through an in-memory link; the target's engine sees a new link. */
export function attachHostilePeer(fx: EngineFixture, target: TestPeer, name: string, opts: HostileOptions): HostilePeer {
  const peerId = peerIdFor(name);
  if (opts.join) {
    const signaling = fx.hub.client(peerId);
    for (const swarmId of opts.swarms) signaling.join(swarmId);
  }
  const [toHostile, toTarget] = createMemoryLinkPair(target.peerId, peerId);
  const hostile: HostilePeer = {
    peerId,
    link: toTarget,
    received: [],
    blocksServed: 0,
    send: (msg) => toTarget.send(encode(msg)),
    sendRaw: (frame) => toTarget.send(frame),
    async greet() {
      await hostile.send({ type: 'hello', peerId, version: WIRE_VERSION, swarms: opts.swarms });
      if (opts.serve) await hostile.send(claimAll(opts.serve));
    },
  };
  toTarget.onMessage = (frame) => {
    const decoded = decode(frame);
    if (!decoded.ok) throw new Error(`target sent an undecodable frame: ${decoded.error.code}`);
    hostile.received.push(decoded.value);
    if (decoded.value.type === 'request' && opts.serve) void answer(hostile, opts.serve, decoded.value);
    opts.onMessage?.(decoded.value, hostile);
  };
  target.linkTo.set(peerId, toHostile);
  toHostile.onStateChange = (s) => s === 'closed' && target.links.emit('onLinkClosed', peerId);
  target.links.emit('onLink', toHostile);
  return hostile;
}

function claimAll(file: ServedFile): WireMsg {
  const pieceCount = file.manifest.pieceHashes.length;
  const bits = createBitfield(pieceCount);
  for (let i = 0; i < pieceCount; i++) setBit(bits, i);
  return { type: 'bitfield', ...file.route, pieceCount, bits: bitfieldToBytes(bits) };
}

async function answer(hostile: HostilePeer, file: ServedFile, req: Extract<WireMsg, { type: 'request' }>): Promise<void> {
  if (req.swarmId !== file.route.swarmId || req.fileId !== file.route.fileId) return;
  const start = req.piece * file.manifest.pieceLength + req.offset;
  const data = file.bytes.slice(start, start + req.length);
  if (file.corrupt) data[0] = data[0]! ^ 0xff;
  hostile.blocksServed++;
  await hostile.send({ type: 'block', ...file.route, piece: req.piece, offset: req.offset, data }).catch(() => undefined);
}
