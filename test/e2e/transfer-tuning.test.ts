import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBuiltPage, startHarness, type Harness } from './harness.ts';
import { fileIn, mbPerSecond, MiB, ready, waitForFile } from './tabs.ts';

// Not part of the default suite (TABSWARM_TUNE=1 npm run test:e2e -- test/e2e/transfer-tuning.test.ts):
// one 24 MiB transfer between two fresh tabs per engine setting (?block=&window=), connect time excluded.
// A measurement, not a test: it only checks that each transfer is intact and logs its rate.

const SETTINGS = (process.env['TABSWARM_TUNE_SETTINGS'] ?? '16:32,32:32,64:8,64:16,64:32,128:8,128:16')
  .split(',').map((s) => s.split(':').map(Number) as [number, number]);
const BYTES = 24 * MiB;

describe.skipIf(!process.env['TABSWARM_TUNE'])('transfer tuning', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });

  it.each(SETTINGS)('tuning: 24 MiB with %i KiB blocks and a window of %i', async (blockKiB, requests) => {
    const query = `?${process.env["TABSWARM_TUNE_QUERY"] ?? ""}&block=${blockKiB * 1024}&window=${requests}`;
    const a = (await harness.openTab(`${harness.localUrl}${query}`, { isolated: true })).page;
    const b = (await harness.openTab(`${harness.localUrl}${query}`, { isolated: true })).page;
    try {
      await Promise.all([ready(a), ready(b)]);
      const lobby = await a.evaluate(() => window.tabswarm!.createSwarm());
      await b.evaluate((l) => window.tabswarm!.joinSwarm(l), lobby.link);
      await b.waitForFunction(() => window.tabswarm!.snapshot().peers.some((p) => p.linkState === 'connected'));
      const fileId = await a.evaluate(async ([swarmId, bytes]) => {
        const data = new Uint8Array(bytes);
        for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
        return (await window.tabswarm!.seed(swarmId, [new File([data], 'tune.bin')]))[0]!;
      }, [lobby.swarmId, BYTES] as const);
      const started = Date.now();
      await waitForFile(b, fileId, 'complete');
      const ms = Date.now() - started;
      console.log(JSON.stringify({ bench: 'tabswarm-2tabs', blockKiB, window: requests, ms, MBps: Number(mbPerSecond(BYTES, ms)) }));
      expect((await fileIn(b, fileId))!.piecesHad).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
