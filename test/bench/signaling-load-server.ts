import { createSignalingServer } from '../../signaling-server/server.ts';

// Child process of the signaling load bench: the real server on 127.0.0.1:0, alone in its process so its RSS and
// CPU are its own. Parent ↔ child over IPC: → {port}; ← 'usage' → {rssBytes, cpuMicros}; ← 'stop' → exits.

/** A 1,000-member swarm is the fan-out case; the production cap (MAX_MEMBERS_PER_SWARM) is lower. */
const BENCH_MAX_MEMBERS = 2000;
/** The bench's 5,000 clients all come from 127.0.0.1; a real class spreads them over its laptops' addresses. */
const BENCH_MAX_CONNECTIONS_PER_ADDRESS = 10_000;

export interface UsageReply { type: 'usage'; rssBytes: number; cpuMicros: number }

async function main(): Promise<void> {
  const server = await createSignalingServer({
    port: 0, host: '127.0.0.1', staticDir: '/nonexistent', limits: { maxMembersPerSwarm: BENCH_MAX_MEMBERS, maxConnectionsPerAddress: BENCH_MAX_CONNECTIONS_PER_ADDRESS },
  });
  process.send?.({ type: 'ready', port: server.port });
  process.on('message', (message: unknown) => {
    if (message === 'usage') {
      const cpu = process.cpuUsage();
      const reply: UsageReply = { type: 'usage', rssBytes: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system };
      process.send?.(reply);
    } else if (message === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

void main();
