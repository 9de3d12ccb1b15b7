import type { Page } from 'playwright-core';

// A tab's main-thread time by download stage (peer/engine/stage-clock.ts), read from its snapshot's counters.

export interface StageReading { ms: Record<string, number>; bytes: number }

export const stageTotals = (page: Page): Promise<StageReading> => page.evaluate(() => {
  const c = window.tabswarm!.snapshot().counters;
  return { ms: { ...c.stageMs }, bytes: c.blockBytesReceived };
});

/** Main-thread ms per MiB received, by stage, between two readings. */
export function stageMsPerMiB(before: StageReading, after: StageReading): Record<string, number> {
  const mib = Math.max(1, after.bytes - before.bytes) / (1024 * 1024);
  return Object.fromEntries(Object.entries(after.ms).map(([k, v]) => [k, Math.round(((v - (before.ms[k] ?? 0)) / mib) * 100) / 100]));
}
