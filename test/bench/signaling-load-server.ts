import { createSignalingServer } from '../../signaling-server/server.ts';
import type { ServerLimits } from '../../signaling-server/hub.ts';

// Child process of the signaling benches: the real server on 127.0.0.1:0, alone in its process so its RSS and
// CPU are its own; with REDIS_URL, one of a school's processes. argv[2], when given, is a JSON object of limits
// over the production defaults (the abuse bench passes {}); without it, LOAD_LIMITS. Parent ↔ child over IPC:
// → {port}; ← 'usage' → {rssBytes, cpuMicros}; ← 'stop' → exits.

/**
 * The load bench's: a 1,000-member swarm is the fan-out case (the production cap, MAX_MEMBERS_PER_SWARM,
 * is lower), and its 5,000 clients per process all come from 127.0.0.1, where a class spreads over its laptops.
 */
const LOAD_LIMITS: Partial<ServerLimits> = {
  maxMembersPerSwarm: 2000, maxConnectionsPerAddress: 10_000, newConnectionsBurstPerAddress: 10_000,
};

export interface UsageReply { type: 'usage'; rssBytes: number; cpuMicros: number }

async function main(): Promise<void> {
  const limits = process.argv[2] === undefined ? LOAD_LIMITS : (JSON.parse(process.argv[2]) as Partial<ServerLimits>);
  const server = await createSignalingServer({
    port: 0, host: '127.0.0.1', staticDir: '/nonexistent', limits,
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
