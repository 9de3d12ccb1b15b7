import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchTabs, CHROMIUM_ARGS, type BenchBrowser } from './browser.ts';

// A Chromium with a real profile on disk, driven over CDP. Playwright's contexts are off the record: their
// IndexedDB lives in memory under a quota of a few hundred MiB shared by every tab of the origin, so the GiBs
// a tabswarm bench stores fail with QuotaExceededError, which no user with a normal profile would meet.

/** Chromium writes its DevTools port here once it listens. */
const PORT_FILE = 'DevToolsActivePort';
const START_TIMEOUT_MS = 20_000;

async function devtoolsPort(profileDir: string): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = await readFile(join(profileDir, PORT_FILE), 'utf8').catch(() => '');
    const port = Number(text.split('\n')[0]);
    if (port > 0) return port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('chromium did not open its DevTools port');
}

export async function launchDiskBrowser(): Promise<BenchBrowser> {
  const profileDir = await mkdtemp(join(tmpdir(), 'tabswarm-bench-profile-'));
  const child = spawn(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', [
    ...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profileDir}`, '--remote-debugging-port=0',
    '--remote-debugging-address=127.0.0.1', 'about:blank',
  ], { stdio: 'ignore', detached: true });
  // Its own process group: the helpers (zygote, renderers, network service) go with it. They may still be
  // flushing the profile when the browser process exits (ENOTEMPTY in rmdir …/Default), so rm retries.
  const stop = async () => {
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
    await rm(profileDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  };
  try {
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${await devtoolsPort(profileDir)}`);
    const context = browser.contexts()[0];
    if (context === undefined) throw new Error('chromium has no default context');
    return await benchTabs(browser, context, async () => {
      await browser.close().catch(() => undefined);
      await stop();
    });
  } catch (e) {
    await stop();
    throw e;
  }
}
