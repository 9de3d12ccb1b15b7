import { checkAgainstManifest, type RoutedMsg } from '../../shared/codec.ts';
import { bytesToHex, type PeerId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import {
  blockSpansOf, expire, needsBlockDigests, nextRequests, onBlock, onGoodCopy, onPeerBitfield, onPeerFetching, onPeerGone, onPeerSlot,
  onPeerHave, onPieceFailed, onPieceVerified, onRequestRejected, type PiecePicker,
} from '../../shared/piece-picker.ts';
import { addAnnouncement, createRoutingTable, route, setPeerSwarms, type FileEntry, type RoutingTable } from '../../shared/routing-table.ts';
import { cancelRequest, createUploadQueue, enqueueRequest, nextToServe, type UploadQueue } from '../../shared/upload-queue.ts';
import type { WireMsg } from '../../shared/wire-messages.ts';
import type { IdPool, Rng } from './frames.ts';

// The path a decoded peer message takes after decode, as the engine drives it (peer/engine/peer-session.ts):
// route → checkAgainstManifest → picker (download side) or upload queue (serving side). Pure shared code,
// fed hostile messages from a few fake peers; the caller counts what throws.

const BLOCK_LENGTH = 4096;
const KiB = 1024;

export interface RoutingFuzz {
  pool: IdPool;
  /** Runs one decoded message from `sender` through the path; returns an outcome label to count. */
  handle(msg: WireMsg, sender: PeerId): string;
  /** What time does to the path: requests issued, timeouts expired, the upload queue drained. */
  tick(): void;
}

function manifestOf(name: string, size: number): Manifest {
  const pieceLength = 64 * KiB;
  const pieceHashes = Array.from({ length: Math.ceil(size / pieceLength) }, (_, i) => bytesToHex(new Uint8Array(32).fill(i)));
  return { name, size, mimeType: 'application/octet-stream', pieceLength, pieceHashes };
}

function buildTable(rng: Rng): { table: RoutingTable; entries: FileEntry[] } {
  const table = createRoutingTable({ rng, blockLength: BLOCK_LENGTH, maxInFlightBytesPerPeer: 64 * BLOCK_LENGTH });
  const files = [manifestOf('a.bin', 3 * 64 * KiB + 17), manifestOf('b.bin', 40 * 64 * KiB), manifestOf('c.bin', 64 * KiB)];
  const entries = files.map((manifest, i) => addAnnouncement(
    table,
    { swarmId: bytesToHex(new Uint8Array(16).fill(0xa0 + (i % 2))), fileId: bytesToHex(new Uint8Array(32).fill(0xf0 + i)), manifest },
    i === 1 ? [0, 1, 2, 5, 8, 13, 21, 34] : [],
  ));
  return { table, entries };
}

export function createRoutingFuzz(rng: Rng): RoutingFuzz {
  const { table, entries } = buildTable(rng);
  const uploads: UploadQueue = createUploadQueue();
  const peerIds = [0xb1, 0xb2, 0xb3].map((b) => bytesToHex(new Uint8Array(16).fill(b)));
  for (const peerId of peerIds) setPeerSwarms(table, peerId, [...new Set(entries.map((e) => e.route.swarmId))]);
  let now = 0;

  const tick = (): void => {
    now += 1_000 + Math.floor(rng() * 30_000);
    for (const entry of entries) {
      for (const peerId of peerIds) nextRequests(entry.picker, peerId, now);
      expire(entry.picker, now);
    }
    for (let i = 0; i < 8 && nextToServe(uploads); i++);
  };

  const handle = (msg: WireMsg, sender: PeerId): string => {
    if (msg.type === 'hello') {
      if (msg.peerId !== sender) return 'hello:not-the-sender';
      setPeerSwarms(table, sender, msg.swarms);
      return 'hello';
    }
    const routed = route(table, msg.swarmId, msg.fileId, sender);
    if (!routed.ok) return `unknown-route:${routed.error.reason}`;
    const fits = checkAgainstManifest(routed.value.manifest, msg);
    if (!fits.ok) return `manifest:${fits.error.code}`;
    return onRouted(routed.value, msg, sender);
  };

  function onRouted(entry: FileEntry, msg: RoutedMsg, sender: PeerId): string {
    const picker = entry.picker;
    switch (msg.type) {
      case 'bitfield': return `bitfield:${onPeerBitfield(picker, sender, msg.bits).ok}`;
      case 'have': return `have:${onPeerHave(picker, sender, msg.piece).ok}`;
      case 'fetching': return `fetching:${onPeerFetching(picker, sender, msg.piece).ok}`;
      case 'request': return `request:${enqueueRequest(uploads, table, sender, msg).ok}`;
      case 'cancel': return `cancel:${cancelRequest(uploads, sender, msg)}`;
      case 'reject': onRequestRejected(picker, sender, msg, msg.reason); return 'reject';
      case 'drop': onPeerGone(picker, sender); return 'drop';
      case 'slot': onPeerSlot(picker, sender, msg.granted, 0); return `slot:${msg.granted}`;
      case 'block': {
        const outcome = onBlock(picker, sender, { piece: msg.piece, offset: msg.offset, length: msg.data.length });
        if (!outcome.accepted) return `block:${outcome.reason}`;
        if (outcome.pieceComplete) settlePiece(picker, msg.piece);
        return 'block:accepted';
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** Random verdicts on a completed piece, with random block digests (so some contributors differ, some not). */
  function settlePiece(picker: PiecePicker, piece: number): void {
    const digests = blockSpansOf(picker, piece).map(() => (rng() < 0.5 ? 'same' : 'other'));
    if (rng() < 0.2) return void onPieceFailed(picker, piece, digests);
    if (needsBlockDigests(picker, piece)) onGoodCopy(picker, piece, digests);
    onPieceVerified(picker, piece);
  }

  const pool: IdPool = {
    routes: entries.map((e) => e.route), peerIds, blockLength: BLOCK_LENGTH,
    pieceCounts: entries.map((e) => e.manifest.pieceHashes.length),
  };
  return { pool, handle, tick };
}
