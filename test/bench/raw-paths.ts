import type { Page } from 'playwright-core';
import type { Bench, BenchContext } from './lib/context.ts';
import { DEFAULT_ICE_CONFIG, startIceServices, type IceServices } from '../../signaling-server/relay/ice-config.ts';
import { launchBenchBrowser } from './lib/browser.ts';
import { startStaticServer } from './lib/static-server.ts';
import { closeRawTabs, connectRawTabs } from './lib/rtc-connect.ts';
import { windowTransfer } from './lib/raw-transfer.ts';
import { WARM_UP_BYTES } from './raw-channel.ts';
import { pathInfo } from './lib/path-label.ts';
import { best, median, round2 } from './lib/stats.ts';
import { compared } from './lib/report.ts';

// Which candidate pair a link gets, and what it costs: the raw channel (64 KiB × 16 in flight) with the ICE servers
// tabswarm's server hands out (its own STUN and TURN on the LAN address, signaling-server/relay/ice-config.ts), and
// forced through the TURN relay. Needs the LAN address of scripts/netns-run.sh (TABSWARM_LAN_IP).

const KiB = 1024;
const MiB = 1024 * KiB;
type Policy = 'all' | 'relay';

async function startIce(lanIp: string): Promise<IceServices> {
  return startIceServices({ ...DEFAULT_ICE_CONFIG, ips: [lanIp] }, { isMember: () => true });
}

async function measurePath(ctx: BenchContext, tabs: Page[], ice: RTCIceServer[], policy: Policy, runs: number): Promise<void> {
  const [sender, receiver] = tabs as [Page, Page];
  const connected = await connectRawTabs(sender, receiver, () => true, { iceServers: ice, iceTransportPolicy: policy });
  const mbps: number[] = [];
  const params = { messageBytes: 64 * KiB, totalBytes: (ctx.quick ? 32 : 64) * MiB, window: 16, grantEvery: 4 };
  try {
    await windowTransfer(sender, receiver, { ...params, totalBytes: WARM_UP_BYTES });
    for (let i = 0; i < runs; i++) {
      mbps.push((await windowTransfer(sender, receiver, params)).MBps);
    }
  } finally {
    await closeRawTabs(tabs);
  }
  const path = pathInfo(connected.path);
  ctx.log(`raw-paths ${policy}: ${JSON.stringify(path)} ${mbps.join(', ')} MB/s`);
  ctx.emit(compared(ctx.baselines, 'raw-channel:best', {
    bench: 'raw-path', config: { iceServers: 'tabswarm STUN+TURN', iceTransportPolicy: policy, messageKiB: 64, window: 16 },
    MBps: best(mbps), value: { bestMBps: best(mbps), medianMBps: round2(median(mbps)) }, runs: mbps,
    ...(path === undefined ? {} : { path }),
  }));
}

export const rawPathsBench: Bench = {
  name: 'raw-paths',
  async run(ctx) {
    const lanIp = process.env['TABSWARM_LAN_IP'];
    if (lanIp === undefined) { ctx.log('raw-paths: no TABSWARM_LAN_IP (not in scripts/netns-run.sh), skipped'); return; }
    const ice = await startIce(lanIp);
    const server = await startStaticServer({ '/': ctx.repoRoot });
    const browser = await launchBenchBrowser();
    try {
      const iceServers = ice.memberIceServers(`${lanIp}:8080`, 'ab'.repeat(16)) as RTCIceServer[];
      const tabs = await browser.openTabs(`${server.origin}/page/raw-channel`, 2);
      for (const policy of ['all', 'relay'] as const) {
        await measurePath(ctx, tabs, iceServers, policy, ctx.quick ? 2 : 3)
          .catch((e: unknown) => ctx.log(`raw-paths ${policy} failed: ${e instanceof Error ? e.message : String(e)}`));
      }
    } finally {
      await browser.close();
      await server.close();
      await ice.close();
    }
  },
};
