import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { ElementHandle, Page as PuppeteerPage } from 'puppeteer-core';

// One small tab interface over Playwright's Page (Chromium) and Puppeteer's Page (Firefox over WebDriver BiDi),
// so the same helpers (tabs.ts) and tests drive either browser. Page functions take one serialisable argument
// and return plain data (JSON), as window.tabswarm's calls do.

export type BrowserName = 'chromium' | 'firefox';

export interface WaitOptions {
  /** ms; default 30 s. */
  timeout?: number;
  /** ms between polls; default 100. */
  polling?: number;
}

export interface BrowserTab {
  readonly browser: BrowserName;
  /** Runs `fn(arg)` in the page and returns its result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Polls `fn(arg)` in the page until it returns something truthy, and returns that. */
  waitFor<R, A = undefined>(fn: (arg: A) => R, arg?: A, opts?: WaitOptions): Promise<NonNullable<R>>;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  url(): string;
  /** Types `text` into the field matched by `selector`, replacing what it held. */
  fill(selector: string, text: string): Promise<void>;
  click(selector: string): Promise<void>;
  /** Puts files from disk into the `<input type=file>` matched by `selector` (as a person picking them). */
  setInputFiles(selector: string, paths: string[]): Promise<void>;
  /** Clicks the control matched by `selector` and waits for the download it starts; resolves with the saved file. */
  download(selector: string, opts?: WaitOptions): Promise<SavedDownload>;
  isClosed(): boolean;
  close(): Promise<void>;
}

export interface SavedDownload {
  /** The file name the browser chose (the page's `download` name). */
  name: string;
  /** Where the bytes are on disk. */
  path: string;
}

const DEFAULT_WAIT: Required<WaitOptions> = { timeout: 30_000, polling: 100 };

export function playwrightTab(page: PlaywrightPage): BrowserTab {
  return {
    browser: 'chromium',
    evaluate: (fn, arg) => page.evaluate(fn, arg as never),
    async waitFor(fn, arg, opts) {
      const handle = await page.waitForFunction(fn, arg as never, { ...DEFAULT_WAIT, ...opts });
      return (await handle.jsonValue()) as never;
    },
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    url: () => page.url(),
    fill: (selector, text) => page.fill(selector, text),
    click: (selector) => page.click(selector),
    setInputFiles: (selector, paths) => page.setInputFiles(selector, paths),
    async download(selector, opts) {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: opts?.timeout ?? DEFAULT_WAIT.timeout }), page.click(selector),
      ]);
      return { name: download.suggestedFilename(), path: await download.path() };
    },
    isClosed: () => page.isClosed(),
    close: () => page.close(),
  };
}

/** `downloadDir`: where that browser saves downloads without asking (Firefox: FIREFOX_DOWNLOAD_DIR). */
export function puppeteerTab(page: PuppeteerPage, browser: BrowserName, downloadDir: string): BrowserTab {
  return {
    browser,
    evaluate: (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg),
    async waitFor(fn, arg, opts) {
      const handle = await page.waitForFunction(fn as (a: unknown) => unknown, { ...DEFAULT_WAIT, ...opts }, arg);
      return (await handle.jsonValue()) as never;
    },
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    url: () => page.url(),
    async fill(selector, text) {
      await page.locator(selector).fill(text);
    },
    async click(selector) {
      await page.locator(selector).click();
    },
    async setInputFiles(selector, paths) {
      const input = await page.waitForSelector(selector);
      await (input as ElementHandle<HTMLInputElement>).uploadFile(...paths);
    },
    async download(selector, opts) {
      const before = new Set(await readdir(downloadDir).catch(() => []));
      await page.locator(selector).click();
      return waitForNewFile(downloadDir, before, { ...DEFAULT_WAIT, ...opts });
    },
    isClosed: () => page.isClosed(),
    close: () => page.close(),
  };
}

/** A file that appeared in `dir` (not in `before`) and is finished: no `.part` beside it, its size settled. */
async function waitForNewFile(dir: string, before: Set<string>, opts: Required<WaitOptions>): Promise<SavedDownload> {
  const deadline = Date.now() + opts.timeout;
  let last = '';
  while (Date.now() < deadline) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const done = names.find((n) => !before.has(n) && !n.endsWith('.part') && !names.includes(`${n}.part`));
    if (done !== undefined) {
      const size = (await stat(path.join(dir, done))).size;
      if (`${done}:${size}` === last) return { name: done, path: path.join(dir, done) };
      last = `${done}:${size}`;
    }
    await new Promise((r) => setTimeout(r, opts.polling));
  }
  throw new Error(`no download finished in ${dir} within ${opts.timeout} ms`);
}
