import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Benchmark-only packages (WebTorrent, bittorrent-tracker) live in test/bench/vendor, outside the project's
// install. --ignore-scripts: their native optional deps (node-datachannel, utp-native) must not build or download.

export const vendorDir = (repoRoot: string): string => join(repoRoot, 'test', 'bench', 'vendor');

const REQUIRED = ['webtorrent/dist/webtorrent.min.js', 'bittorrent-tracker/server.js'];

export function vendorInstalled(repoRoot: string): boolean {
  return REQUIRED.every((file) => existsSync(join(vendorDir(repoRoot), 'node_modules', file)));
}

/** Installs the vendor package on first use (needs the npm registry, so call it outside a network namespace). */
export function ensureVendor(repoRoot: string, log: (m: string) => void): void {
  if (vendorInstalled(repoRoot)) return;
  const dir = vendorDir(repoRoot);
  const lockfile = existsSync(join(dir, 'package-lock.json'));
  log(`installing benchmark-only packages into ${dir} (${lockfile ? 'npm ci' : 'npm install'}, --ignore-scripts)`);
  const args = [lockfile ? 'ci' : 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', dir];
  execFileSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
}
