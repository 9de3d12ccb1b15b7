import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { removeBuiltPage, startHarness, type Harness, type HarnessOptions } from './harness.ts';
import { snapshotOf } from './tabs.ts';

// One harness per test file, tabs per test: the build, the server and the browsers start once for the file (the
// slow part), while every tab belongs to the test that opened it and is closed when that test ends. So a test
// passes alone (`-t`) or in any order, a failed test leaves nothing to the next, and a retry starts from fresh tabs
// (tests open them with `{ isolated: true }`: a browser profile each, no swarm or file of another test's tabs).

export interface FileHarnessOptions extends HarnessOptions {
  /** A test fails if one of its tabs logged a console error or an uncaught error (a CSP violation is one). */
  noConsoleErrors?: boolean;
}

/** Registers the file's hooks (call at the top of its describe); the getter gives the harness inside a test. */
export function useHarness(opts: FileHarnessOptions = {}): () => Harness {
  let harness: Harness | null = null;
  beforeAll(async () => {
    harness = await startHarness(opts);
  });
  afterEach(async (ctx) => {
    if (harness === null) return;
    try {
      if (ctx.task.result?.state === 'fail') await logTabs(harness);
      if (opts.noConsoleErrors) expect(harness.consoleErrors, 'console errors of this test\'s tabs').toEqual([]);
    } finally {
      await harness.closeTabs();
    }
  });
  afterAll(async () => {
    await harness?.close();
    await removeBuiltPage();
  });
  return () => {
    if (harness === null) throw new Error('the harness is not started: call useHarness() inside describe, use it inside a test');
    return harness;
  };
}

/** What a failed test's tabs held: their swarms, files (state, pieces, sources) and links. */
async function logTabs(harness: Harness): Promise<void> {
  for (const [i, tab] of harness.openTabs().entries()) {
    const s = await snapshotOf(tab).catch(() => null);
    console.log(`tab ${i} (${tab.browser} ${tab.url()})`, JSON.stringify(s && {
      peerId: s.peerId, counters: s.counters,
      swarms: s.swarms.map((w) => ({
        id: w.swarmId.slice(0, 6), members: w.members.map((m) => m.slice(0, 6)),
        files: w.files.map((f) => [f.name, f.state, f.piecesHad, f.sources, f.holders.map((h) => h.slice(0, 6))]),
      })),
      peers: s.peers.map((p) => [p.peerId.slice(0, 6), p.linkState, p.swarms.map((w) => w.slice(0, 6)), p.bytesReceived, p.bytesSent, p.requestsInFlight]),
    }));
  }
}
