import { createSignalingServer } from '../../signaling-server/server.ts';
import type { ServerLimits } from '../../signaling-server/hub.ts';

// Child process of the signaling benches (lib/server-child.ts): the real server on 127.0.0.1:0, alone in its process
// so its RSS and CPU are its own; argv[2] is a JSON object of limits overriding the defaults. Parent ↔ child over
// IPC: → {port}; ← 'usage' → {rssBytes, cpuMicros}; ← 'stop' → exits.

export interface UsageReply { type: 'usage'; rssBytes: number; cpuMicros: number }

async function main(): Promise<void> {
  const limits = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerLimits>;
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent', limits });
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
