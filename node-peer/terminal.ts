import QRCode from 'qrcode';
import type { SignalingClient } from '../peer/signaling/client.ts';

// What the Node peer prints: sizes, a progress bar, the join QR code, and what the server connection is doing.

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `[#########-----------]  45%` */
export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/** The join link as a QR code drawn with block characters (scannable from a projected terminal). */
export const terminalQr = (text: string): Promise<string> => QRCode.toString(text, { type: 'terminal', small: true });

/** How long the first connection may take before we say the server is not answering. */
const FIRST_CONNECT_GRACE_MS = 2000;
/** While the server stays away, the reminder is repeated this often. */
const STILL_DOWN_EVERY_MS = 15_000;

/**
 * Says when the server cannot be reached and when it is back (the signaling client retries on its own with
 * exponential backoff and jitter). Returns a function that stops watching.
 */
export function reportServerState(signaling: SignalingClient, server: string, log: (line: string) => void): () => void {
  let down: ReturnType<typeof setInterval> | null = null;
  let wasOpen = false;
  const sayDown = () => log(`cannot reach the tabswarm server at ${server}: retrying with backoff (is it running? same network?)`);
  const startDown = () => {
    if (down !== null) return;
    sayDown();
    down = setInterval(sayDown, STILL_DOWN_EVERY_MS);
  };
  const grace = setTimeout(() => {
    if (signaling.status !== 'open') startDown();
  }, FIRST_CONNECT_GRACE_MS);
  const unsubscribe = signaling.subscribe({
    onStatus(status) {
      if (status === 'open') {
        if (down !== null || wasOpen) log(`connected to ${server}`);
        if (down !== null) clearInterval(down);
        down = null;
        wasOpen = true;
      } else if (status === 'connecting' && wasOpen) {
        log(`lost the connection to ${server}: reconnecting with backoff`);
        wasOpen = false;
        startDown();
      }
    },
  });
  return () => {
    clearTimeout(grace);
    if (down !== null) clearInterval(down);
    unsubscribe();
  };
}

/** Resolves once the socket is open (the welcome came); never rejects: the client keeps retrying. */
export function whenOpen(signaling: SignalingClient): Promise<void> {
  if (signaling.status === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = signaling.subscribe({
      onStatus: (s) => {
        if (s !== 'open') return;
        unsubscribe();
        resolve();
      },
    });
  });
}
