import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedis, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { redisConnected, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { playwrightTab } from './browser-tab.ts';
import { buildPage, CHROMIUM_ARGS, removeBuiltPage } from './harness.ts';
import { createThroughPage, MiB, randomFile, ready, seedThroughPage, sha256Of, waitForFile } from './tabs.ts';

// A school's scale-out: two `npm start` processes sharing a real redis-server, one tab on each. The tabs find
// each other through Redis (membership, announcement, relayed offer/answer/ICE) and move a file intact.

describe.skipIf(!hasRedis)('two tabs on two signaling processes', () => {
  let redis: TestRedis;
  let servers: ServerProcess[] = [];
  let browser: Browser;

  beforeAll(async () => {
    const staticDir = await buildPage();
    redis = await startRedis();
    servers = await Promise.all([0, 1].map(() => startServerProcess({ REDIS_URL: redis.url, STATIC_DIR: staticDir })));
    await redisConnected(servers); // else a tab may join a process still serving from memory alone
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
    await removeBuiltPage();
  });

  it('redis: a tab on process 1 downloads a file a tab on process 0 seeds, intact', async () => {
    const a = playwrightTab(await (await browser.newContext()).newPage());
    const b = playwrightTab(await (await browser.newContext()).newPage());
    await a.goto(`${servers[0]!.httpUrl}/`);
    await b.goto(`${servers[1]!.httpUrl}/`);
    await Promise.all([ready(a), ready(b)]);
    const file = randomFile('scale-out.bin', 4 * MiB);
    const link = await createThroughPage(a);
    const fileId = await seedThroughPage(a, file);
    await b.goto(link.replace(servers[0]!.httpUrl, servers[1]!.httpUrl));
    await waitForFile(b, fileId, 'complete');
    expect(await sha256Of(b, fileId)).toBe(file.sha256);
  });
});
