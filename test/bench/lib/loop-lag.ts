import type { Page } from 'playwright-core';
import { percentile } from './stats.ts';

// A tab's main-thread event-loop lag: a timer due every TICK_MS records how late it ran. A page that keeps its loop
// free answers clicks and draws frames on time; a late timer is a late click.

const TICK_MS = 20;

export interface LoopLag { lagP50Ms: number; lagP99Ms: number; lagMaxMs: number; lagSamples: number }

declare global { var __benchLag: { timer: number; lags: number[] } | undefined }

/** Starts sampling in the tab; the returned function stops and summarises. */
export async function startLoopLag(page: Page): Promise<() => Promise<LoopLag>> {
  await page.evaluate((tick) => {
    let last = performance.now();
    const lags: number[] = [];
    const timer = window.setInterval(() => {
      const now = performance.now();
      lags.push(Math.max(0, now - last - tick));
      last = now;
    }, tick);
    globalThis.__benchLag = { timer, lags };
  }, TICK_MS);
  return async () => {
    const lags = await page.evaluate(() => {
      const probe = globalThis.__benchLag!;
      clearInterval(probe.timer);
      return probe.lags;
    });
    const round = (x: number) => Math.round(x * 10) / 10;
    return { lagP50Ms: round(percentile(lags, 50)), lagP99Ms: round(percentile(lags, 99)), lagMaxMs: round(Math.max(0, ...lags)), lagSamples: lags.length };
  };
}
