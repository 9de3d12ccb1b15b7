import { closeAll, connectMember, inBatches, type LoadClient } from './lib/signal-clients.ts';

// Child process of the signaling load bench: up to 5,000 light ws clients of one server (a process may hold
// only so many sockets), joined to the swarms the parent names. It reports when each member received an
// announcement, as wall-clock milliseconds (performance.timeOrigin + now) the parent compares with its send time.
// Parent ↔ child over IPC: → {type:'ready'}; ← {type:'connect', wsUrl, swarms:[[swarmId, count]]} →
// {type:'connected', ms}; ← {type:'expect', fileId, swarmId} → {type:'expecting'}; ← {type:'collect', fileId} →
// {type:'arrivals', times}; ← 'stop' → exits. Each command gets exactly one reply, in order.

export type ClientCommand =
  | { type: 'connect'; wsUrl: string; swarms: [string, number][] }
  | { type: 'expect'; fileId: string; swarmId: string }
  | { type: 'collect'; fileId: string; timeoutMs: number };
export type ClientReply =
  | { type: 'ready' }
  | { type: 'connected'; ms: number }
  | { type: 'expecting' }
  | { type: 'arrivals'; fileId: string; times: number[] };

const CONNECT_CONCURRENCY = 100;
const wallClock = (): number => performance.timeOrigin + performance.now();

const bySwarm = new Map<string, LoadClient[]>();
const all: LoadClient[] = [];
const arrivals = new Map<string, { expected: number; times: number[]; done?: () => void }>();
const reply = (message: ClientReply): void => void process.send?.(message);

async function connect(wsUrl: string, swarms: [string, number][]): Promise<void> {
  const started = performance.now();
  const tasks = swarms.flatMap(([swarmId, count]) => Array.from({ length: count }, () => async () => {
    const client = await connectMember(wsUrl, swarmId);
    all.push(client);
    bySwarm.set(swarmId, [...bySwarm.get(swarmId) ?? [], client]);
  }));
  await inBatches(tasks, CONNECT_CONCURRENCY);
  reply({ type: 'connected', ms: performance.now() - started });
}

function expectAnnouncement(fileId: string, swarmId: string): void {
  const members = bySwarm.get(swarmId) ?? [];
  const entry = { expected: members.length, times: [] as number[] } as { expected: number; times: number[]; done?: () => void };
  arrivals.set(fileId, entry);
  for (const m of members) {
    m.onAnnouncement = (text) => {
      if (!text.includes(fileId)) return;
      entry.times.push(wallClock());
      if (entry.times.length === entry.expected) entry.done?.();
    };
  }
  reply({ type: 'expecting' });
}

async function collect(fileId: string, timeoutMs: number): Promise<void> {
  const entry = arrivals.get(fileId);
  if (entry && entry.times.length < entry.expected) {
    await new Promise<void>((resolve) => {
      entry.done = resolve;
      setTimeout(resolve, timeoutMs);
    });
  }
  arrivals.delete(fileId);
  reply({ type: 'arrivals', fileId, times: entry?.times ?? [] });
}

process.on('message', (message: ClientCommand | 'stop') => {
  if (message === 'stop') return void closeAll(all).then(() => process.exit(0));
  if (message.type === 'connect') void connect(message.wsUrl, message.swarms);
  else if (message.type === 'expect') expectAnnouncement(message.fileId, message.swarmId);
  else void collect(message.fileId, message.timeoutMs);
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
