import { newSwarmId } from '../../shared/ids.ts';
import { MAX_MEMBERS_PER_SWARM } from '../../shared/limits.ts';
import type { Bench } from './lib/context.ts';
import { startServerChild } from './lib/server-child.ts';
import { closeAll, connectMember, inBatches, type LoadClient } from './lib/signal-clients.ts';

// A school hall in one swarm: MAX_MEMBERS_PER_SWARM members join the real server (production limits, except
// that every socket comes from 127.0.0.1 here, where a hall spreads over its laptops), the server's RSS is read
// before and after, and one member more is refused. Figure: the server's memory per member (socket included).

export const hallBench: Bench = {
  name: 'hall',
  async run(ctx) {
    const members = MAX_MEMBERS_PER_SWARM;
    const server = await startServerChild(ctx, {
      maxConnectionsPerAddress: members * 2, newConnectionsBurstPerAddress: members * 2, newConnectionsPerSecondPerAddress: members,
    });
    const clients: LoadClient[] = [];
    try {
      const swarmId = newSwarmId();
      const idle = await server.usage();
      const started = Date.now();
      clients.push(...await inBatches(Array.from({ length: members }, () => () => connectMember(server.wsUrl, swarmId)), 32));
      const joinedS = (Date.now() - started) / 1000;
      const full = await server.usage();
      const refused = await connectMember(server.wsUrl, swarmId, 10_000).then((c) => (clients.push(c), false), () => true);
      const perMemberKB = (full.rssBytes - idle.rssBytes) / members / 1024;
      ctx.emit({
        bench: 'hall', config: { members, processes: 1 },
        value: {
          idleRssMB: Math.round(idle.rssBytes / 1e5) / 10, fullRssMB: Math.round(full.rssBytes / 1e5) / 10,
          perMemberKB: Math.round(perMemberKB * 10) / 10, joinSeconds: Math.round(joinedS * 100) / 100, oneMoreRefused: refused ? 1 : 0,
        },
        baseline: null, ratio: null,
      });
    } finally {
      await closeAll(clients);
      await server.stop();
    }
  },
};
