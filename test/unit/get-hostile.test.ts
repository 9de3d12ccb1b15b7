import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileId, SwarmId } from '../../shared/ids.ts';
import { computeFileId, type Manifest } from '../../shared/manifest.ts';
import { openGetStore, type GetStore, type GetStoreOptions } from '../../node-peer/get-store.ts';
import { GET_STATE_FILE } from '../../node-peer/get-state.ts';
import { createEngineFixture, fileOf, randomBytes, SMALL_PIECES, until, type EngineFixture, type TestPeer } from '../helpers/engine-fixture.ts';
import type { MemoryStore } from '../helpers/memory-store.ts';

// `tabswarm get`'s store under the real engine, on real files, in a swarm with a hostile member: an attacker is
// a peer of the test that announces files it chose (names, bytes, manifests). Whose bytes land under a name,
// what happens to the student's own files, where files go and how much, and one bad file among good ones.

const KiB = 1024;
let dir: string;
let fx: EngineFixture;
const stores: GetStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-get-hostile-'));
  fx = createEngineFixture();
});
afterEach(async () => {
  fx.closeAll();
  for (const s of stores.splice(0)) {
    s.close();
    await s.settled(); // resume records still being written
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

let peers = 0;
/** A peer of the test that joins the swarm and seeds files under the names it chose. */
async function seeder(swarmId: SwarmId, files: Record<string, Uint8Array>): Promise<{ peer: TestPeer; ids: FileId[] }> {
  const peer = await fx.peer(`seed${peers++}`, { params: SMALL_PIECES });
  await peer.engine.joinSwarm(swarmId);
  const ids = await peer.engine.seed(swarmId, Object.entries(files).map(([name, bytes]) => new File([new Uint8Array(bytes)], name)));
  return { peer, ids };
}

/** `get`'s store in `dir` under a real engine (the student), not yet linked to anyone. */
async function student(opts: GetStoreOptions = {}): Promise<{ peer: TestPeer; store: GetStore; notices: string[] }> {
  const notices: string[] = [];
  const store = await openGetStore(dir, { ...opts, onNotice: (line) => notices.push(line) });
  stores.push(store);
  const peer = await fx.peer(`d${peers++}`, { store: store as unknown as MemoryStore, params: SMALL_PIECES });
  return { peer, store, notices };
}

const complete = (p: TestPeer, fileId: FileId) => () => fileOf(p.engine.snapshot(), fileId)?.state === 'complete';
const at = (rel: string): string => path.join(dir, ...rel.split('/'));
/** Files are compared by SHA-256: toEqual on 300 KiB arrays takes seconds. */
const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const hashAt = async (file: string): Promise<string> => hashOf(await readFile(file));

async function fetchAll(from: TestPeer[], swarmId: SwarmId, fileIds: FileId[], opts: GetStoreOptions = {}) {
  const s = await student(opts);
  for (const p of from) fx.connect(s.peer, p);
  await s.peer.engine.joinSwarm(swarmId);
  for (const id of fileIds) await until(complete(s.peer, id), 10_000, `file ${id.slice(0, 8)} complete`);
  await s.store.settled();
  return s;
}

describe('get: whose bytes land under a name', () => {
  it("get: an attacker's file of the same name, finished after the teacher's, never lands on the teacher's file", async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const teacherBytes = randomBytes(300 * KiB);
    const attackerBytes = randomBytes(300 * KiB);
    const teacher = await seeder(swarmId, { 'lab9/lab.sh': teacherBytes });
    const attacker = await seeder(swarmId, { 'lab9/lab.sh': attackerBytes });
    const s = await student();
    await s.peer.engine.joinSwarm(swarmId); // both announcements arrive in the same join list
    fx.connect(s.peer, teacher.peer);
    await until(complete(s.peer, teacher.ids[0]!), 10_000, 'teacher file');
    fx.connect(s.peer, attacker.peer);
    await until(complete(s.peer, attacker.ids[0]!), 10_000, 'attacker file');
    await s.store.settled();
    expect(await hashAt(at('lab9/lab.sh'))).toBe(hashOf(teacherBytes));
    const attackerPath = s.store.targetOf(attacker.ids[0]!)!;
    expect(path.basename(attackerPath)).toMatch(/^lab-[0-9a-f]{8}\.sh$/);
    expect(await hashAt(attackerPath)).toBe(hashOf(attackerBytes));
    // What this peer serves under the teacher's fileId is the teacher's bytes.
    expect(await s.store.readBlock(teacher.ids[0]!, 0, 0, 100)).toEqual(teacherBytes.subarray(0, 100));
  });

  it('get: of two files announced under one name, the first announced gets it, however long its manifest takes to check', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const announcer = fx.hub.client('e'.repeat(32));
    announcer.join(swarmId);
    const pieceLength = 64 * KiB;
    const manifestOf = (pieces: number): Manifest => ({
      name: 'lab9/lab.sh', size: pieces * pieceLength, mimeType: 'text/x-sh', pieceLength,
      pieceHashes: Array.from({ length: pieces }, (_, i) => i.toString(16).padStart(64, '0')),
    });
    const first = manifestOf(4096); // the longest manifest there is: the slowest to hash
    const second = manifestOf(1);
    const ids = [await computeFileId(first), await computeFileId(second)];
    announcer.announce(swarmId, ids[0]!, first);
    announcer.announce(swarmId, ids[1]!, second);
    const s = await student({ rules: { maxBytes: Number.POSITIVE_INFINITY } });
    await s.peer.engine.joinSwarm(swarmId); // both in one join list, the long one first
    await until(() => ids.every((id) => s.store.targetOf(id) !== null), 10_000, 'both files given a path');
    expect(s.store.targetOf(ids[0]!)).toBe(at('lab9/lab.sh'));
    expect(path.basename(s.store.targetOf(ids[1]!)!)).toMatch(/^lab-[0-9a-f]{8}\.sh$/);
  });

  it("get: a file named like another's temporary (`lab.sh.part`) or like the case-folded / NFD name gets its own path", async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const honest = randomBytes(200 * KiB);
    const teacher = await seeder(swarmId, { 'lab9/lab.sh': honest, 'lab9/café.txt': honest.subarray(0, 1000) });
    const attacker = await seeder(swarmId, {
      'lab9/lab.sh.part': randomBytes(200 * KiB), 'lab9/LAB.SH': randomBytes(1000), 'lab9/cafe\u0301.txt': randomBytes(1000),
    });
    const s = await fetchAll([teacher.peer, attacker.peer], swarmId, [...teacher.ids, ...attacker.ids]);
    expect(await hashAt(at('lab9/lab.sh'))).toBe(hashOf(honest));
    expect(await hashAt(at('lab9/café.txt'))).toBe(hashOf(honest.subarray(0, 1000)));
    const folded = new Set([...teacher.ids, ...attacker.ids].map((id) => s.store.targetOf(id)!.normalize('NFC').toLowerCase()));
    expect(folded.size).toBe(5); // five files, five paths even on a case- and normalisation-insensitive disk
  });

  it("get: names of get's own files are refused, and a crafted resume file cannot point a rerun at another file", async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const attacker = await seeder(swarmId, { '.tabswarm-get.json.tmp': randomBytes(100), 'lab9/x.txt': randomBytes(5000) });
    const s = await student({ rules: { include: ['**'] } }); // even with every hidden path asked for
    fx.connect(s.peer, attacker.peer);
    await s.peer.engine.joinSwarm(swarmId);
    await until(complete(s.peer, attacker.ids[1]!), 10_000);
    await s.store.settled();
    expect(s.store.skipped().map((f) => f.name)).toEqual(['.tabswarm-get.json.tmp']);
    await expect(stat(at('.tabswarm-get.json.tmp'))).rejects.toThrow();
    s.peer.engine.close();
    s.store.close();

    // The resume file is edited to say that lab9/x.txt was written to .git/config: the rerun does not believe it.
    await mkdir(at('.git'));
    await writeFile(at('.git/config'), '[core]\n');
    const saved = JSON.parse(await readFile(at(GET_STATE_FILE), 'utf8')) as { files: Array<{ target: string }> };
    for (const f of saved.files) f.target = '.git/config';
    await writeFile(at(GET_STATE_FILE), JSON.stringify(saved));
    const again = await fetchAll([attacker.peer], swarmId, [attacker.ids[1]!]);
    expect(await readFile(at('.git/config'), 'utf8')).toBe('[core]\n');
    expect(again.store.targetOf(attacker.ids[1]!)).toBe(at('lab9/x.txt'));
    expect((await stat(at(GET_STATE_FILE))).mode & 0o777).toBe(0o600);
  });
});

describe("get: the student's own files", () => {
  it('get: a downloaded file edited since is kept as it is, said so, and the swarm\'s version goes beside it', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const template = randomBytes(3000); // one piece
    const big = randomBytes(400 * KiB); // several pieces
    const teacher = await seeder(swarmId, { 'lab9/solution.py': template, 'lab9/data.bin': big });
    const first = await fetchAll([teacher.peer], swarmId, teacher.ids);
    first.peer.engine.close();
    first.store.close();
    const edited = new TextEncoder().encode('print("my answer")\n');
    await writeFile(at('lab9/solution.py'), edited);
    const bigEdited = new Uint8Array(big);
    bigEdited.fill(7, 100 * KiB, 101 * KiB);
    await writeFile(at('lab9/data.bin'), bigEdited);

    const again = await fetchAll([teacher.peer], swarmId, teacher.ids);
    expect(await hashAt(at('lab9/solution.py'))).toBe(hashOf(edited));
    expect(await hashAt(at('lab9/data.bin'))).toBe(hashOf(bigEdited));
    expect(await hashAt(again.store.targetOf(teacher.ids[0]!)!)).toBe(hashOf(template));
    expect(await hashAt(again.store.targetOf(teacher.ids[1]!)!)).toBe(hashOf(big));
    expect(again.notices.join('\n')).toMatch(/kept lab9\/solution\.py: .*yours.*goes to lab9\/solution-[0-9a-f]{8}\.py/);
  });

  it("get: a 0-byte announced file never truncates a file that is there, first run or rerun", async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    await writeFile(at('notes.txt'), 'my notes\n');
    const attacker = await seeder(swarmId, { 'notes.txt': new Uint8Array(0), 'todo.txt': new Uint8Array(0) });
    const first = await fetchAll([attacker.peer], swarmId, attacker.ids);
    expect(await readFile(at('notes.txt'), 'utf8')).toBe('my notes\n');
    expect((await stat(at('todo.txt'))).size).toBe(0);
    first.peer.engine.close();
    first.store.close();
    await writeFile(at('todo.txt'), 'later\n'); // the student writes into the empty file get made
    await fetchAll([attacker.peer], swarmId, attacker.ids);
    expect(await readFile(at('notes.txt'), 'utf8')).toBe('my notes\n');
    expect(await readFile(at('todo.txt'), 'utf8')).toBe('later\n');
  });

  it('get: a finished file changed on disk is no longer served from: never bytes that fail their hash', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const bytes = randomBytes(300 * KiB);
    const teacher = await seeder(swarmId, { 'lab9/image.bin': bytes });
    const s = await fetchAll([teacher.peer], swarmId, teacher.ids);
    const id = teacher.ids[0]!;
    expect(await s.store.readBlock(id, 1, 0, 64)).toEqual(bytes.subarray(64 * KiB, 64 * KiB + 64));
    await writeFile(at('lab9/image.bin'), new Uint8Array(bytes.length)); // zeros where the pieces were
    expect(await s.store.readBlock(id, 2, 0, 64)).toBeNull();
    expect(s.notices.join('\n')).toMatch(/stopped serving lab9\/image\.bin: it changed on disk since it was downloaded/);
  });
});

describe('get: where files go and how much', () => {
  it('get: hidden paths are refused unless --include names them; nothing is written through a symlink', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const outside = await mkdtemp(path.join(tmpdir(), 'tabswarm-outside-'));
    try {
      await symlink(outside, at('lab9'));
      const attacker = await seeder(swarmId, {
        '.git/hooks/pre-commit': randomBytes(100), '.vscode/tasks.json': randomBytes(100), 'lab9/run.sh': randomBytes(100),
      });
      const s = await fetchAll([attacker.peer], swarmId, [attacker.ids[2]!]);
      expect(s.store.skipped().map((f) => f.name).sort()).toEqual(['.git/hooks/pre-commit', '.vscode/tasks.json']);
      expect(s.store.skipped().every((f) => !f.failed)).toBe(true);
      await expect(stat(at('.git'))).rejects.toThrow();
      expect(await readdir(outside)).toEqual([]);
      expect(s.store.targetOf(attacker.ids[2]!)).toBe(at('lab9-folder/run.sh'));
      s.peer.engine.close();
      s.store.close();
      const asked = await fetchAll([attacker.peer], swarmId, [attacker.ids[1]!], { rules: { include: ['.vscode/**', 'lab9*/**'] } });
      expect(asked.store.skipped().map((f) => f.name)).toEqual(['.git/hooks/pre-commit']);
      expect((await stat(at('.vscode/tasks.json'))).size).toBe(100);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('get: past the ceiling of files or bytes, or the free space, a file is refused with the reason; the rest arrive', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const small = Object.fromEntries(['a', 'b', 'd', 'e'].map((n) => [`${n}.txt`, randomBytes(100)]));
    const teacher = await seeder(swarmId, { ...small, 'c.txt': randomBytes(5000) });
    const s = await student({ rules: { maxFiles: 3, maxBytes: 1000 } });
    fx.connect(s.peer, teacher.peer);
    await s.peer.engine.joinSwarm(swarmId);
    const done = () => teacher.ids.filter((id) => complete(s.peer, id)()).length;
    await until(() => s.store.skipped().length === 2 && done() === 3, 10_000);
    const skipped = s.store.skipped();
    expect(skipped.find((f) => f.name === 'c.txt')).toMatchObject({ failed: true, reason: expect.stringMatching(/ceiling: --max-size/) });
    expect(skipped.find((f) => f.name !== 'c.txt')).toMatchObject({ failed: true, reason: expect.stringMatching(/more than 3 files: --max-files/) });

    // Free space: eight announced files of 60 GiB each (manifests only) cannot all fit on this disk.
    const huge = 60 * 1024 ** 3;
    const disk = await statfs(dir);
    if (disk.bavail * disk.bsize > 8 * huge) return;
    const announcer = fx.hub.client('f'.repeat(32));
    announcer.join(swarmId);
    for (let i = 0; i < 8; i++) {
      const manifest: Manifest = {
        name: `huge${i}.iso`, size: huge, mimeType: 'application/octet-stream', pieceLength: 16 * 1024 * 1024,
        pieceHashes: Array.from({ length: huge / (16 * 1024 * 1024) }, () => 'ab'.repeat(32)),
      };
      announcer.announce(swarmId, await computeFileId(manifest), manifest);
    }
    const roomy = await student({ rules: { maxBytes: Number.POSITIVE_INFINITY, maxFiles: 100 } });
    await roomy.peer.engine.joinSwarm(swarmId);
    await until(() => roomy.store.skipped().some((f) => /not enough free space/.test(f.reason)), 10_000, 'free space refusal');
  });
});

describe('get: one bad file does not stop the others', () => {
  it('get: a name of 600 bytes in one segment is cut to fit, a file and a folder of one name both arrive', async () => {
    const swarmId = await (await fx.peer('owner')).engine.createSwarm();
    const cjk = '漢'.repeat(200); // 200 UTF-16 units, 600 UTF-8 bytes
    const accented = `${'é'.repeat(140)}.csv`; // 284 bytes: an honest long name
    const teacher = await seeder(swarmId, { [`lab9/${cjk}.txt`]: randomBytes(100), [`lab9/${accented}`]: randomBytes(100), 'data': randomBytes(100) });
    const other = await seeder(swarmId, { 'data/x.csv': randomBytes(100) });
    const s = await fetchAll([teacher.peer, other.peer], swarmId, [...teacher.ids, ...other.ids]);
    for (const id of [...teacher.ids, ...other.ids]) {
      const target = s.store.targetOf(id)!;
      expect((await stat(target)).size).toBe(100);
      for (const segment of path.relative(dir, target).split(path.sep)) expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
    }
    expect(path.basename(s.store.targetOf(teacher.ids[1]!)!)).toMatch(/^é+\.csv$/);
  });
});
