import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { shareWithConsole } from '../../node-peer/share-console.ts';
import { runTabswarm } from '../helpers/tabswarm-cli.ts';
import { lanIp } from './harness.ts';
import { useHarness } from './harness-hooks.ts';
import { expectPiecesFrom, fileIn, joinThroughPage, MiB, onLan, openLaptop, randomFile, shareInNewSwarm, sha256Of, waitForFile } from './tabs.ts';

// The Node peer (node-peer/) against real Chromium tabs, on the same server and the same protocol: it shares a
// folder from disk, downloads with `tabswarm get` into files, resumes after being killed, and notices a shared
// file that changed on disk. Each test has its own tabs, folders and sharer.

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(lanIp() === null)('node peer with tabs', () => {
  const harness = useHarness();

  /** A folder of its own for this test, removed when the test ends. */
  async function testDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tabswarm-node-peer-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A folder on disk shared by an in-process Node peer (stopped when the test ends); its console lines are collected. */
  async function shareFolder(name: string, files: Record<string, Uint8Array>) {
    const work = await testDir();
    const folder = path.join(work, name);
    for (const [rel, bytes] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
      await writeFile(path.join(folder, rel), bytes);
    }
    const lines: string[] = [];
    const shared = await shareWithConsole({
      paths: [folder], server: harness().localUrl, cacheDir: path.join(work, 'cache'), log: (line) => lines.push(line),
    });
    onTestFinished(() => shared.stop());
    const fileIdOf = (rel: string): string => shared.sharing.files.find((f) => f.manifest.name === `${name}/${rel}`)!.fileId;
    return { folder, lines, sharing: shared.sharing, fileIdOf };
  }

  it('node peer: tabs download a shared folder from it, the second tab with it and the first tab both holding it, intact', async () => {
    const big = randomFile('big.bin', 24 * MiB).buffer;
    const notes = randomFile('notes.txt', 300 * 1024).buffer;
    const { sharing, fileIdOf, lines } = await shareFolder('lab9', { 'big.bin': big, 'docs/notes.txt': notes });
    await expect.poll(() => lines.some((l) => /^Code: [A-Z0-9]{6} /.test(l))).toBe(true);
    const nodeId = sharing.peer.signaling.peerId!;

    const h = harness();
    const { tab: a, id: aId } = await openLaptop(h, h.localUrl);
    await joinThroughPage(a, sharing.link);
    for (const rel of ['big.bin', 'docs/notes.txt']) await waitForFile(a, fileIdOf(rel), 'complete');
    expect((await fileIn(a, fileIdOf('big.bin')))!.sources[nodeId]).toBe(24);

    const { tab: b } = await openLaptop(h, h.lanUrl()!);
    await joinThroughPage(b, onLan(h, sharing.link));
    for (const rel of ['big.bin', 'docs/notes.txt']) await waitForFile(b, fileIdOf(rel), 'complete');
    expectPiecesFrom((await fileIn(b, fileIdOf('big.bin')))!, { node: nodeId, A: aId });
    expect(await sha256Of(b, fileIdOf('big.bin'))).toBe(sha256(big));
    expect(await sha256Of(b, fileIdOf('docs/notes.txt'))).toBe(sha256(notes));
    // The sharer's live line counts the tabs that have each file complete.
    await expect.poll(() => lines.some((l) => l.includes('lab9/big.bin') && l.includes('complete at 2 of 2')), { timeout: 10_000 }).toBe(true);
  });

  it('node peer: a shared file changed on disk stops being served, is reported, and the rest is still shared', async () => {
    const big = randomFile('big.bin', 48 * MiB).buffer; // larger than the sharer's cache of verified pieces
    const small = randomFile('small.bin', 2 * MiB).buffer;
    const { folder, sharing, fileIdOf, lines } = await shareFolder('lab10', { 'big.bin': big, 'small.bin': small });
    const edit = await open(path.join(folder, 'big.bin'), 'r+');
    await edit.write(new Uint8Array(4096).fill(7), 0, 4096, 30 * MiB);
    await edit.close();

    const { tab: a } = await openLaptop(harness(), harness().localUrl);
    await joinThroughPage(a, sharing.link);
    await waitForFile(a, fileIdOf('small.bin'), 'complete');
    expect(await sha256Of(a, fileIdOf('small.bin'))).toBe(sha256(small));
    await expect.poll(() => lines.find((l) => l.startsWith('stopped sharing lab10/big.bin')), { timeout: 60_000 })
      .toMatch(/changed on disk.*The other files are still shared/);
    const bigAtTab = (await fileIn(a, fileIdOf('big.bin')))!;
    expect(bigAtTab.state).not.toBe('complete'); // never a byte that fails its hash
  });

  /** `tabswarm get` as a user runs it (test/helpers/tabswarm-cli.ts). */
  const runGet = (link: string, out: string) => runTabswarm(['get', link, '--out', out, '--server', harness().localUrl]);

  it('node peer: `tabswarm get` downloads from tabs into a file, and resumes after being killed mid-way', async () => {
    const file = randomFile('lab-image.bin', 160 * MiB);
    const { tab: b } = await openLaptop(harness(), harness().lanUrl()!);
    const { link, fileId } = await shareInNewSwarm(b, file);
    const out = path.join(await testDir(), 'get-out');
    const part = path.join(out, '.tabswarm-get.parts', `${fileId}.part`);

    const first = runGet(link, out);
    // Killed (SIGKILL, no chance to tidy up) once between a quarter and three quarters of the file is written.
    for (;;) {
      const written = await stat(part).then((s) => s.blocks * 512, () => 0);
      if (written >= file.buffer.length / 4) break;
      if (first.child.exitCode !== null) throw new Error(`get ended before it could be killed:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const writtenAtKill = (await stat(part)).blocks * 512;
    expect(writtenAtKill).toBeLessThan(file.buffer.length);

    const second = runGet(link, out);
    expect(await second.exited, second.output()).toBe(0);
    const resumed = /resuming: (\d+) of (\d+) pieces/.exec(second.output());
    expect(resumed, second.output()).not.toBeNull();
    expect(Number(resumed![1])).toBeGreaterThan(0);
    expect(Number(resumed![1])).toBeLessThan(Number(resumed![2]));
    expect(sha256(await readFile(path.join(out, 'lab-image.bin')))).toBe(file.sha256);
    await expect(stat(part)).rejects.toThrow();
  });
});
