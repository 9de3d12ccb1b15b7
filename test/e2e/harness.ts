import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Browser as PuppeteerBrowser } from 'puppeteer-core';
import { build, type Plugin } from 'vite';
import type { IceServer } from '../../shared/signaling.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/server.ts';
import { playwrightTab, puppeteerTab, type BrowserName, type BrowserTab } from './browser-tab.ts';
import { FIREFOX_DOWNLOAD_DIR, launchFirefox } from './firefox.ts';

// End-to-end fixture: the built page served by the real signaling server (in this process), and headless
// Debian Chromium tabs (Playwright), plus Firefox ESR tabs (Puppeteer over WebDriver BiDi) when a test asks. Under scripts/netns-run.sh (npm run test:e2e) the server also listens on the
// namespace's LAN address, so a tab can open the page the way a second laptop would (not a secure context).

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let builtDir: Promise<string> | null = null; // one build per test process, shared by every harness

const PAGE_ENTRY = 'src="./main.ts"';
/** client/index.html with the test page (test-page.ts: URL knobs, the link test hook) in place of client/main.ts. */
const testEntry: Plugin = {
  name: 'tabswarm-test-page',
  transformIndexHtml: {
    order: 'pre',
    handler(html) {
      if (!html.includes(PAGE_ENTRY)) throw new Error(`client/index.html no longer loads its entry as ${PAGE_ENTRY}`);
      return html.replace(PAGE_ENTRY, 'src="../test/e2e/test-page.ts"');
    },
  },
};

/** Builds the test page once into a temporary directory (never the repo's dist/, which `npm start` owns). */
export function buildPage(): Promise<string> {
  builtDir ??= (async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'tabswarm-e2e-'));
    await build({
      configFile: path.join(REPO, 'vite.config.ts'),
      plugins: [testEntry],
      logLevel: 'warn',
      // TABSWARM_NO_MINIFY=1 keeps function names readable in CPU profiles (test/bench/profile-transfer.ts).
      build: { outDir, emptyOutDir: true, ...(process.env['TABSWARM_NO_MINIFY'] ? { minify: false } : {}) },
    });
    return outDir;
  })();
  return builtDir;
}

export interface Tab {
  page: Page;
  context: BrowserContext;
}

export interface TabOptions {
  /** In a browser profile of its own (storage, identity), as another laptop's browser; default: the shared one. */
  isolated?: boolean;
}

export interface Harness {
  server: SignalingServer;
  browser: Browser;
  /** http://127.0.0.1:<port>/ — a secure context (loopback). */
  localUrl: string;
  /** http://<LAN IP>:<port>/ inside the test's network namespace, or null outside one (then skip). */
  lanUrl(): string | null;
  /** Opens a Chromium tab. Tabs of one harness share one browser profile (as tabs of one browser do) unless `isolated`. */
  openTab(url: string, opts?: TabOptions): Promise<Tab>;
  /** Opens a tab of either browser behind the browser-neutral interface; Firefox starts on first use. */
  open(url: string, browser: BrowserName, opts?: TabOptions): Promise<BrowserTab>;
  /** The tabs opened since the last closeTabs(), still open. */
  openTabs(): BrowserTab[];
  /** Closes those tabs and their isolated profiles and forgets their console errors; browsers and server stay. */
  closeTabs(): Promise<void>;
  /** Console errors and uncaught page errors of every tab since the last closeTabs(), prefixed with the tab's URL. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  iceServers?: IceServer[];
}

export const lanIp = (): string | null => process.env['TABSWARM_LAN_IP'] ?? null;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const staticDir = await buildPage();
  const server = await createSignalingServer({
    port: 0, host: '0.0.0.0', staticDir, ...(opts.iceServers ? { iceServers: opts.iceServers } : {}),
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    await server.close();
    throw e;
  }
  const shared = await browser.newContext();
  const consoleErrors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  };
  let firefox: Promise<PuppeteerBrowser> | null = null;
  const opened: Array<{ tab: BrowserTab; close: () => Promise<void> }> = []; // since the last closeTabs()
  const openTab = async (url: string, tabOpts: TabOptions = {}): Promise<Tab> => {
    const context = tabOpts.isolated ? await browser.newContext() : shared;
    const page = await context.newPage();
    opened.push({ tab: playwrightTab(page), close: () => (context === shared ? page.close() : context.close()) });
    watch(page);
    await page.goto(url);
    return { page, context };
  };
  const openFirefoxTab = async (url: string, tabOpts: TabOptions): Promise<BrowserTab> => {
    firefox ??= launchFirefox();
    const context = tabOpts.isolated ? await (await firefox).createBrowserContext() : (await firefox).defaultBrowserContext();
    const page = await context.newPage();
    const tab = puppeteerTab(page, 'firefox', FIREFOX_DOWNLOAD_DIR);
    opened.push({ tab, close: () => (tabOpts.isolated ? context.close() : page.close()) });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`firefox ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`firefox ${page.url()}: ${String(e)}`));
    await page.goto(url);
    return tab;
  };
  return {
    server,
    browser,
    localUrl: `http://127.0.0.1:${server.port}/`,
    lanUrl: () => {
      const ip = lanIp();
      return ip === null ? null : `http://${ip}:${server.port}/`;
    },
    openTab,
    open: async (url, name, tabOpts = {}) => (name === 'firefox' ? openFirefoxTab(url, tabOpts) : playwrightTab((await openTab(url, tabOpts)).page)),
    openTabs: () => opened.map((o) => o.tab).filter((t) => !t.isClosed()),
    async closeTabs() {
      const closing = opened.splice(0);
      await Promise.all(closing.map((o) => o.close().catch(() => undefined)));
      consoleErrors.length = 0;
    },
    consoleErrors,
    async close() {
      await (await firefox?.catch(() => null))?.close().catch(() => undefined);
      if (firefox) await rm(FIREFOX_DOWNLOAD_DIR, { recursive: true, force: true });
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

/** Removes the shared build directory; call from a test file's afterAll if it is the last user. */
export async function removeBuiltPage(): Promise<void> {
  if (builtDir === null) return;
  const dir = await builtDir.catch(() => null);
  builtDir = null;
  if (dir !== null) await rm(dir, { recursive: true, force: true });
}
