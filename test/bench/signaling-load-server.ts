import { createSignalingServer } from '../../signaling-server/server.ts';

// Child process of the signaling load bench: the real server on 127.0.0.1:0, alone in its process so its RSS and
// CPU are its own; with REDIS_URL, one of a school's processes. Parent ↔ child over IPC: → {port};
// ← 'usage' → {rssBytes, cpuMicros}; ← 'stop' → exits.

/** A 1,000-member swarm is the fan-out case; the production cap (MAX_MEMBERS_PER_SWARM) is lower. */
const BENCH_MAX_MEMBERS = 2000;

export interface UsageReply { type: 'usage'; rssBytes: number; cpuMicros: number }

async function main(): Promise<void> {
  const server = await createSignalingServer({
    port: 0, host: '127.0.0.1', staticDir: '/nonexistent', limits: { maxMembersPerSwarm: BENCH_MAX_MEMBERS },
    ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
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
