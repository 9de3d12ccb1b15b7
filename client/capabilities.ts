// What this page can use here. http://<LAN IP> is not a secure context, so several APIs are missing there;
// tabswarm works without them (hash-wasm hashes, IndexedDB stores) and says what is missing in plain words.

export interface Capabilities {
  secureContext: boolean;
  /** Web Crypto digest; tabswarm hashes with hash-wasm either way. */
  cryptoSubtle: boolean;
  randomUUID: boolean;
  /** navigator.storage.persist(): ask the browser not to evict stored pieces. */
  storagePersist: boolean;
  /** navigator.storage.estimate(): how much room is left for pieces. */
  storageEstimate: boolean;
  clipboardWrite: boolean;
  serviceWorker: boolean;
  webRtc: boolean;
  indexedDb: boolean;
}

export function detectCapabilities(g: typeof globalThis = globalThis): Capabilities {
  const nav = g.navigator as Navigator | undefined;
  return {
    secureContext: g.isSecureContext === true,
    cryptoSubtle: typeof g.crypto?.subtle?.digest === 'function',
    randomUUID: typeof g.crypto?.randomUUID === 'function',
    storagePersist: typeof nav?.storage?.persist === 'function',
    storageEstimate: typeof nav?.storage?.estimate === 'function',
    clipboardWrite: typeof nav?.clipboard?.writeText === 'function',
    serviceWorker: nav !== undefined && 'serviceWorker' in nav,
    webRtc: typeof g.RTCPeerConnection === 'function',
    indexedDb: typeof g.indexedDB === 'object' && g.indexedDB !== null,
  };
}

/** Missing features that stop tabswarm from working at all. */
export function blockingGaps(c: Capabilities): string[] {
  const gaps: string[] = [];
  if (!c.webRtc) gaps.push('This browser cannot make WebRTC connections, so it cannot exchange files with other tabs.');
  if (!c.indexedDb) gaps.push('This browser offers no IndexedDB storage (private mode?), so downloads cannot be stored.');
  return gaps;
}

/** Plain-language notes on what is unavailable, e.g. on a plain-http LAN page. Empty when all is there. */
export function unavailableNotes(c: Capabilities): string[] {
  const notes: string[] = [];
  if (!c.secureContext) {
    notes.push('This page is opened over plain http from a network address, so the browser turns off some extras. ' +
      'Sharing and downloading still work.');
  }
  if (!c.storagePersist) notes.push('The browser may clear stored downloads when disk space runs low (no persistent storage).');
  if (!c.storageEstimate) notes.push('Free storage space cannot be shown; a full disk is reported when a write fails.');
  if (!c.clipboardWrite) notes.push('"Copy link" cannot use the clipboard: select the link and copy it by hand.');
  if (!c.serviceWorker) notes.push('The page does not work offline once closed (no service worker).');
  return notes;
}
