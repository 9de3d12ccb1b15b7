import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/manifest.ts';
import { nextRequests, onBlock, onPeerBitfield, onPieceVerified } from '../../shared/piece-picker.ts';
import {
  addAnnouncement, createRoutingTable, filesSharedWith, forgetPeer, joinSwarm, leaveSwarm, removeAnnouncement, route,
  setPeerSwarms, sharesSwarm, type RoutingTable,
} from '../../shared/routing-table.ts';
import { snapshotRoutingTable } from '../helpers/routing-snapshot.ts';
import { BLOCK, bitsOf, range, seededRng } from './picker-fixtures.ts';

const S1 = '11'.repeat(16);
const S2 = '22'.repeat(16);
const F1 = 'f1'.repeat(32);
const F2 = 'f2'.repeat(32);
const X = 'aa'.repeat(16);
const Y = 'bb'.repeat(16);

/** Routing never checks hashes (the engine verifies manifests first), so placeholder hashes do. */
function manifest(name: string, pieces: number, blocksPerPiece = 1): Manifest {
  const pieceLength = BLOCK * blocksPerPiece;
  return { name, size: pieces * pieceLength, mimeType: 'text/plain', pieceLength, pieceHashes: range(0, pieces).map(() => '0'.repeat(64)) };
}

function tableWith(...files: { swarmId: string; fileId: string; pieces: number }[]): RoutingTable {
  const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
  for (const f of files) addAnnouncement(table, { swarmId: f.swarmId, fileId: f.fileId, manifest: manifest(f.fileId.slice(0, 2), f.pieces) });
  return table;
}

describe('routing table', () => {
  it('routing table: an announcement creates swarm → file → manifest, and is idempotent', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 3 });
    const again = addAnnouncement(table, { swarmId: S1, fileId: F1, manifest: manifest('other', 9) });
    const found = route(table, S1, F1);
    expect(found.ok && found.value).toBe(again);
    expect(found.ok && found.value.manifest.name).toBe('f1');
    expect(found.ok && found.value.route).toEqual({ swarmId: S1, fileId: F1 });
  });

  it.each([
    { swarmId: S2, fileId: F1, from: undefined, reason: 'unknown-swarm' },
    { swarmId: S1, fileId: F2, from: undefined, reason: 'unknown-file' },
    { swarmId: S1, fileId: F1, from: Y, reason: 'not-shared' },
  ] as const)('routing table: ($swarmId, $fileId) from $from is an unknown route: $reason, counted', ({ swarmId, fileId, from, reason }) => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 1 });
    setPeerSwarms(table, X, [S1]);
    setPeerSwarms(table, Y, [S2]);
    expect(route(table, swarmId, fileId, from)).toEqual({ ok: false, error: { reason, swarmId, fileId } });
    route(table, swarmId, fileId, from);
    expect(snapshotRoutingTable(table).unknownRoutes[reason]).toBe(2);
    expect(route(table, S1, F1, X).ok).toBe(true);
  });

  it('routing table: two routes over one connection never mix their pieces', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 2 }, { swarmId: S1, fileId: F2, pieces: 2 });
    setPeerSwarms(table, X, [S1]);
    const shared = filesSharedWith(table, X);
    expect(shared.map((f) => f.route.fileId)).toEqual([F1, F2]);
    for (const f of shared) onPeerBitfield(f.picker, X, bitsOf(2, [0, 1]));
    const one = route(table, S1, F1, X);
    if (!one.ok) throw new Error('route');
    const asked = nextRequests(one.value.picker, X, 0);
    const arrive = (fileId: string, piece: number): ReturnType<typeof onBlock> => {
      const r = route(table, S1, fileId, X);
      if (!r.ok) throw new Error('route');
      const got = onBlock(r.value.picker, X, { piece, offset: 0, length: BLOCK });
      if (got.accepted && got.pieceComplete) onPieceVerified(r.value.picker, piece);
      return got;
    };
    expect(arrive(F2, asked[0]!.piece)).toEqual({ accepted: false, reason: 'unrequested' });
    for (const span of asked) expect(arrive(F1, span.piece)).toMatchObject({ accepted: true });
    const view = snapshotRoutingTable(table).swarms[S1]!.files;
    expect([view[F1]!.had, view[F2]!.had]).toEqual([2, 0]);
    expect(view[F1]!.sources).toEqual({ [X]: 2 });
  });

  it('routing table: the same file announced in two swarms is two routes', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 1 }, { swarmId: S2, fileId: F1, pieces: 1 });
    const a = route(table, S1, F1);
    const b = route(table, S2, F1);
    expect(a.ok && b.ok && a.value.picker !== b.value.picker).toBe(true);
  });

  it('routing table: a removed route is unknown from then on; the same file in another swarm stays', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 1 }, { swarmId: S2, fileId: F1, pieces: 1 });
    expect(removeAnnouncement(table, S1, F1)?.route).toEqual({ swarmId: S1, fileId: F1 });
    expect(removeAnnouncement(table, S1, F1)).toBeNull();
    const gone = route(table, S1, F1);
    expect(gone.ok ? 'routed' : gone.error.reason).toBe('unknown-file');
    expect(route(table, S2, F1).ok).toBe(true);
  });

  it('routing table: a peer that stops declaring a swarm leaves that swarm\'s files only', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 2 }, { swarmId: S2, fileId: F2, pieces: 2 });
    setPeerSwarms(table, X, [S1, S2]);
    for (const f of filesSharedWith(table, X)) {
      onPeerBitfield(f.picker, X, bitsOf(2, [0, 1]));
      nextRequests(f.picker, X, 0);
    }
    setPeerSwarms(table, X, [S2]);
    const files = snapshotRoutingTable(table).swarms;
    expect(files[S1]!.files[F1]!.peers[X]).toBeUndefined();
    expect(files[S1]!.files[F1]!.missing).toBe(2);
    expect(files[S2]!.files[F2]!.peers[X]?.inFlightRequests).toBe(2);
    expect([sharesSwarm(table, X, S1), sharesSwarm(table, X, S2)]).toEqual([false, true]);
  });

  it('routing table: forgetting a peer frees its requests on every route and drops its membership', () => {
    const table = tableWith({ swarmId: S1, fileId: F1, pieces: 2 }, { swarmId: S2, fileId: F2, pieces: 2 });
    setPeerSwarms(table, X, [S1, S2]);
    for (const f of filesSharedWith(table, X)) {
      onPeerBitfield(f.picker, X, bitsOf(2, [0, 1]));
      nextRequests(f.picker, X, 0);
    }
    forgetPeer(table, X);
    const view = snapshotRoutingTable(table);
    expect(view.peers).toEqual({});
    expect(view.swarms[S1]!.files[F1]!.missing + view.swarms[S2]!.files[F2]!.missing).toBe(4);
  });

  it('routing table: the snapshot shows each piece missing, requested (from whom, since when), verifying or had', () => {
    const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
    const entry = addAnnouncement(table, { swarmId: S1, fileId: F1, manifest: manifest('f', 4, 2) }, [3]);
    setPeerSwarms(table, X, [S1]);
    onPeerBitfield(entry.picker, X, bitsOf(4, [0, 1, 2]));
    const asked = nextRequests(entry.picker, X, 50);
    expect(asked).toHaveLength(6);
    const [verifying, partial, untouched] = [...new Set(asked.map((s) => s.piece))] as [number, number, number];
    for (const span of asked.filter((s) => s.piece === verifying)) onBlock(entry.picker, X, span);
    onBlock(entry.picker, X, asked.find((s) => s.piece === partial)!);
    const pieces = snapshotRoutingTable(table).swarms[S1]!.files[F1]!.pieces;
    expect(pieces[3]).toEqual({ state: 'had', source: 'local' });
    expect(pieces[verifying]).toEqual({ state: 'verifying' });
    expect(pieces[partial]).toEqual({ state: 'requested', from: [X], since: 50, receivedBlocks: 1, blockCount: 2 });
    expect(pieces[untouched]).toEqual({ state: 'requested', from: [X], since: 50, receivedBlocks: 0, blockCount: 2 });
    onPieceVerified(entry.picker, verifying);
    const file = snapshotRoutingTable(table).swarms[S1]!.files[F1]!;
    expect([file.had, file.requested, file.verifying, file.missing, file.sources]).toEqual([2, 2, 0, 0, { local: 1, [X]: 1 }]);
  });

  it('routing table: a seeded file is had entirely, credited to local; leaving the swarm forgets it', () => {
    const table = createRoutingTable({ blockLength: BLOCK, rng: seededRng(3) });
    joinSwarm(table, S1);
    addAnnouncement(table, { swarmId: S1, fileId: F1, manifest: manifest('mine', 5) }, 'all');
    const file = snapshotRoutingTable(table).swarms[S1]!.files[F1]!;
    expect([file.had, file.missing, file.sources]).toEqual([5, 0, { local: 5 }]);
    expect(leaveSwarm(table, S1)).toHaveLength(1);
    expect(route(table, S1, F1)).toMatchObject({ ok: false, error: { reason: 'unknown-swarm' } });
  });
});
