import { pathToFileURL } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type * as FixtureModule from '../helpers/engine-fixture.ts';
import type * as WarmModule from '../../peer/storage/warm-store.ts';
import type { TabswarmSnapshot } from '../../peer/snapshot-types.ts';
import { createSlabStore } from './lib/slab-store.ts';
import { createMemoryLinkPair } from '../helpers/memory-link.ts';
import { nodeSha256Hex } from '../../node-peer/sha256.ts';

// One round of the engine-cpu bench, in its own process: the engine of the repository at `--root` (this one, or a
// checkout of main for the before/after ratio), one seeder and `--leechers` leechers piped together in memory
// (test/helpers/engine-fixture.ts), each store a slab in memory behind the warm cache as in a tab or a Node peer.
// Prints one JSON line: wall and process CPU per MiB received, and each peer role's stage times (CPU ms).

const MiB = 1024 * 1024;
const wallNow = performance.now.bind(performance);
// The engine's stage clock reads performance.now(); here it reads this process's CPU time instead, so a stage
// preempted by other jobs on a shared machine is not charged for their time (only firstPieceAtMs reads it too).
performance.now = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] ?? fallback : fallback;
}

const root = path.resolve(arg('root', path.join(import.meta.dirname, '..', '..')));
const sizeMiB = Number(arg('mib', '64'));
const leecherCount = Number(arg('leechers', '1'));
const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(root, file)).href) as Promise<T>;
const fx = await load<typeof FixtureModule>('test/helpers/engine-fixture.ts');
const { withWarmCache } = await load<typeof WarmModule>('peer/storage/warm-store.ts');

const fixture = fx.createEngineFixture();
// Pieces are verified as a Node peer verifies them (node-peer.ts passes its hasher; an engine that takes none uses
// WebCrypto's digest); a tab's engine hands them to its piece worker instead.
const peerWith = (name: string) => fixture.peer(name, { store: withWarmCache(createSlabStore()) as never, sha256: nodeSha256Hex } as never);
const seeder = await peerWith('a0');
const leechers = await Promise.all(Array.from({ length: leecherCount }, (_, i) => peerWith(`b${i}`)));
const swarmId = await seeder.engine.createSwarm();
const [fileId] = await seeder.engine.seed(swarmId, [fx.randomFile(sizeMiB * MiB, 'bench.bin')]);
for (const l of leechers) await l.engine.joinSwarm(swarmId);
const everyone = [seeder, ...leechers];
const knowsFile = (s: TabswarmSnapshot) => s.swarms[0]?.members.length === leecherCount && fx.fileOf(s, fileId!) !== undefined;
await fx.until(() => everyone.every((p) => knowsFile(p.engine.snapshot())), 20_000, 'routes');

/**
 * Links are the bench's own, the same for both trees compared (the measured tree's fixture kept a copy of every
 * frame sent, so each copy was fresh memory): a copy per frame, handed to the other side, kept by neither.
 */
function link(a: typeof seeder, b: typeof seeder): void {
  const [ab, ba] = createMemoryLinkPair(a.peerId, b.peerId, { record: false });
  a.links.emit('onLink', ab);
  b.links.emit('onLink', ba);
}

const stages = (p: typeof seeder) => ({ ...p.engine.snapshot().counters.stageMs }) as Record<string, number>;
const before = everyone.map(stages);
// Completion is read as the page reads it: on the engine's coalesced change callback, not by polling.
const done = Promise.all(leechers.map((l) => new Promise<void>((resolve) => {
  const off = l.engine.onChange(() => {
    if (fx.fileOf(l.engine.snapshot(), fileId!)?.state !== 'complete') return;
    off();
    resolve();
  });
})));
const profile = arg('profile', ''); // a .cpuprofile of the transfer alone, for finding where the time goes
const profiler = profile === '' ? null : await startProfiler();
const cpu0 = process.cpuUsage();
const t0 = wallNow();
for (let i = 0; i < everyone.length; i++) for (let j = i + 1; j < everyone.length; j++) link(everyone[i]!, everyone[j]!);
await done;
const wallMs = wallNow() - t0;
const cpu = process.cpuUsage(cpu0);
if (profiler) await writeFile(profile, JSON.stringify(await profiler.stop()));

const receivedMiB = sizeMiB * leecherCount;
const perMiB = (ms: number) => Math.round((ms / receivedMiB) * 1000) / 1000;
/** Stage ms per MiB received by all leechers, summed over the peers of one role. */
const roleStages = (peers: number[]) => {
  const out: Record<string, number> = {};
  for (const i of peers) {
    const after = stages(everyone[i]!);
    for (const [k, v] of Object.entries(after)) out[k] = (out[k] ?? 0) + v - (before[i]![k] ?? 0);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, perMiB(v)]));
};
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`${JSON.stringify({
  wallMsPerMiB: perMiB(wallMs), cpuMsPerMiB: perMiB(cpuMs),
  seeder: roleStages([0]), leechers: roleStages(leechers.map((_, i) => i + 1)),
})}\n`);
fixture.closeAll();
process.exit(0);

async function startProfiler(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return { stop: async () => (await session.post('Profiler.stop')).profile };
}
