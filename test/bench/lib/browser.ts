import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// One headless Debian Chromium per bench; tabs are pages of one context, as two tabs of one browser are.

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // No pre-launched spare renderer: the renderer that appears when a tab opens is then that tab's (memory-probe.ts).
  '--disable-features=SpareRendererForSitePerProcess',
];

/** When a tab is ready to be driven; the default fits bench pages (`/page/<name>` sets its title to 'ready'). */
export type WaitReady = (page: Page) => Promise<unknown>;
const benchPageReady: WaitReady = (page) => page.waitForFunction(() => document.title === 'ready' || document.title === 'error');

export interface BenchBrowser {
  browser: Browser;
  openTabs(url: string, count: number, waitReady?: WaitReady): Promise<Page[]>;
  close(): Promise<void>;
}

/** esbuild (tsx) may wrap functions given to page.evaluate in `__name(...)`; define it in every tab. */
const NAME_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f);';
/** Every RTCPeerConnection a tab makes is kept in `__benchPeerConnections`, so a bench can read its path. */
const PC_RECORDER = `(() => {
  const Native = globalThis.RTCPeerConnection;
  if (!Native || globalThis.__benchPeerConnections) return;
  const made = [];
  globalThis.__benchPeerConnections = made;
  globalThis.RTCPeerConnection = class extends Native { constructor(...args) { super(...args); made.push(this); } };
})();`;

export async function launchBenchBrowser(extraArgs: readonly string[] = []): Promise<BenchBrowser> {
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  return benchTabs(browser, await browser.newContext(), () => browser.close());
}

/** Tabs of `context` as a BenchBrowser (init scripts installed); `close` ends the browser. */
export async function benchTabs(browser: Browser, context: BrowserContext, close: () => Promise<void>): Promise<BenchBrowser> {
  await context.addInitScript(NAME_SHIM);
  await context.addInitScript(PC_RECORDER);
  return {
    browser,
    async openTabs(url, count, waitReady = benchPageReady) {
      const pages: Page[] = [];
      for (let i = 0; i < count; i++) {
        const page = await context.newPage();
        page.on('pageerror', (e) => process.stderr.write(`[tab ${i}] ${e.message}\n`));
        await page.goto(url);
        await waitReady(page);
        pages.push(page);
      }
      return pages;
    },
    close,
  };
}
