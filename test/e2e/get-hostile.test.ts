import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodePeer, type NodePeer } from '../../node-peer/node-peer.ts';
import { startSharing, type Sharing } from '../../node-peer/share.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/server.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { runTabswarm } from '../helpers/tabswarm-cli.ts';
import { lanIp } from './harness.ts';

// `tabswarm get` as a student runs it (a child process), over real WebRTC between Node peers, in a swarm where
// a hostile member announces files it chose: the teacher's name with its own bytes, names that are terminal
// escape sequences or bidi tricks, a file and a folder of one name. Every file the student asked for arrives,
// intact under its own name, nothing raw reaches the terminal, and --list shows what would be fetched first.

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const ESC = '\u001b';

describe.skipIf(lanIp() === null)('tabswarm get with a hostile member', () => {
  let server: SignalingServer;
  let work: string;
  let teacher: Sharing;
  let attacker: NodePeer;
  let serverUrl: string;
  const lab = randomBytes(700_000);
  const evil = randomBytes(700_000);
  const names = {
    escape: `lab9/${ESC}]52;c;cm0gLXJmIH4=${ESC}\\${ESC}[2Jdone.txt`, // OSC 52 clipboard write, then clear screen
    bidi: 'lab9/\u202etxt.exe',
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tabswarm-get-hostile-'));
    server = await createSignalingServer({ port: 0, host: '0.0.0.0', staticDir: work });
    serverUrl = `http://127.0.0.1:${server.port}/`;
    await mkdir(path.join(work, 'lab9'));
    await writeFile(path.join(work, 'lab9', 'lab.sh'), lab);
    await writeFile(path.join(work, 'lab9', 'data'), 'a file named data\n');
    teacher = await startSharing({ paths: [path.join(work, 'lab9')], server: serverUrl, cacheDir: path.join(work, 'cache') });
    // The attacker: a Node peer in the same swarm, seeding files under the names it chose.
    attacker = startNodePeer({ server: serverUrl, store: createMemoryStore() });
    await attacker.engine.start();
    await attacker.engine.joinSwarm(teacher.swarmId);
    await attacker.engine.seed(teacher.swarmId, [
      new File([evil], 'lab9/lab.sh'), new File(['x'], names.escape), new File(['y'], names.bidi),
      new File(['z,1\n'], 'lab9/data/x.csv'), new File(['[core]\n'], '.git/config'),
    ]);
  });

  afterAll(async () => {
    attacker?.close();
    teacher?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `tabswarm get` of the teacher's swarm as a student runs it (test/helpers/tabswarm-cli.ts), once it exited. */
  async function runGet(args: string[]): Promise<{ code: number | null; output: string }> {
    const get = runTabswarm(['get', teacher.link, '--server', serverUrl, ...args]);
    const code = await get.exited;
    return { code, output: get.output() };
  }

  it('tabswarm get: --list prints the tree with sizes and what would be skipped, escaped, and writes nothing', async () => {
    const out = path.join(work, 'listed');
    const { code, output } = await runGet(['--list', '--out', out]);
    expect(code, output).toBe(0);
    expect(output).not.toContain(ESC);
    expect(output).not.toContain('\u202e');
    expect(output).toMatch(/^lab9\/$/m);
    expect(output).toMatch(/^ {2}lab\.sh +700\.0 kB$/m);
    expect(output).toMatch(/^ {2}\\u\{202e\}txt\.exe/m);
    expect(output).toContain('\\u{1b}[2Jdone.txt');
    expect(output).toMatch(/config .*skipped: a hidden path/);
    expect(output).toMatch(/6 of 7 file\(s\) would be fetched/);
    await expect(stat(out)).rejects.toThrow();
  }, 60_000);

  it("tabswarm get: every file arrives under its own name, the teacher's intact, names printed escaped, exit 0", async () => {
    const out = path.join(work, 'got');
    const { code, output } = await runGet(['--out', out]);
    expect(code, output).toBe(0);
    expect(sha256(await readFile(path.join(out, 'lab9', 'lab.sh')))).toBe(sha256(lab));
    expect(output).toMatch(new RegExp(`lab9/lab-[0-9a-f]{8}\\.sh`));
    expect(await readFile(path.join(out, 'lab9', 'data'), 'utf8')).toBe('a file named data\n');
    expect(await readFile(path.join(out, 'lab9', 'data-folder', 'x.csv'), 'utf8')).toBe('z,1\n');
    await expect(stat(path.join(out, '.git'))).rejects.toThrow();
    expect(output).not.toContain(ESC);
    expect(output).not.toContain('\u202e');
    expect(output).toMatch(/lab9\/_\]52;c;cm0gLXJmIH4=___\[2Jdone\.txt$/m); // controls in a name on disk are `_`
    expect(output).toMatch(/lab9\/_txt\.exe$/m);
    expect(output).toMatch(/skipped 1 file\(s\)[^]*\.git\/config: a hidden path/);
  }, 90_000);

  it('tabswarm get: a file over the ceiling fails alone: the others arrive and get exits 1 naming it', async () => {
    const out = path.join(work, 'capped');
    const { code, output } = await runGet(['--out', out, '--max-size', '1M']);
    expect(code, output).toBe(1);
    expect(output).toMatch(/failed: 1 file\(s\):\n {2}lab9\/lab\.sh: over the .* ceiling: --max-size raises it/);
    expect(output).toMatch(/done: 5 file\(s\)/);
  }, 90_000);
});
