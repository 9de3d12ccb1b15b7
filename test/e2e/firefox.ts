import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

// Debian's stock Firefox ESR driven over WebDriver BiDi by puppeteer-core (Playwright's patched Firefox cannot
// be downloaded here). Puppeteer's own profile defaults already turn off most background traffic; these prefs
// close the rest, so the browser talks only to the test's server and to other tabs.

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

export const hasFirefox = (): boolean => existsSync(FIREFOX_PATH);

const OFFLINE_PREFS: Record<string, string | number | boolean> = {
  // Captive portal and connectivity probes (detectportal.firefox.com).
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  // Telemetry, health report, studies, crash reports.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'app.normandy.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'browser.crashReports.unsubmittedCheck.autoSubmit2': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  // Updates of the browser, add-ons, blocklists and remote settings.
  'app.update.enabled': false,
  'app.update.auto': false,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.OCSP.enabled': 0,
  // Safe Browsing lists, and the region, search and sponsored-tile lookups.
  'browser.safebrowsing.update.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.search.geoip.url': '',
  'browser.topsites.contile.enabled': false,
  // DNS over HTTPS, prefetching, media plug-in downloads (OpenH264, Widevine).
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  'identity.fxaccounts.enabled': false,
};

// WebRTC: Firefox hides host addresses behind mDNS .local names (which nothing resolves inside the test's
// network namespace) and never offers loopback candidates. Plain host candidates on the namespace's LAN
// address (10.77.0.1) are what two laptops on one LAN exchange; no STUN server is contacted unless configured.
const WEBRTC_PREFS: Record<string, string | number | boolean> = {
  'media.peerconnection.enabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.default_address_only': false,
  'media.peerconnection.ice.no_host': false,
  'media.peerconnection.ice.proxy_only': false,
  'media.peerconnection.use_document_iceservers': true,
};

/** Where Firefox saves a download, without asking: one folder per test process. */
export const FIREFOX_DOWNLOAD_DIR = path.join(tmpdir(), `tabswarm-firefox-downloads-${process.pid}`);

const DOWNLOAD_PREFS: Record<string, string | number | boolean> = {
  'browser.download.folderList': 2,
  'browser.download.dir': FIREFOX_DOWNLOAD_DIR,
  'browser.download.useDownloadDir': true,
  'browser.download.always_ask_before_handling_new_types': false,
  'browser.download.start_downloads_in_tmp_dir': false,
  'browser.download.alwaysOpenPanel': false,
  'browser.download.manager.addToRecentDocs': false,
};

export const FIREFOX_PREFS = { ...OFFLINE_PREFS, ...WEBRTC_PREFS, ...DOWNLOAD_PREFS };

export async function launchFirefox(): Promise<Browser> {
  await mkdir(FIREFOX_DOWNLOAD_DIR, { recursive: true });
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    // Firefox writes its version and warnings on stderr; keep test output for tests.
    dumpio: false,
  });
}
