import type { Page } from 'playwright-core';
import type { PushParams, WindowParams } from '../pages/raw-channel.ts';
import { withTimeout } from './timeout.ts';

// Node side: one timed one-way transfer over two connected raw-channel tabs (see rtc-connect.ts).
// Times come from the tabs' own clocks (performance.timeOrigin + now, one machine), so they are comparable.

type RawPage = typeof import('../pages/raw-channel.ts');

export interface TransferTiming { bytes: number; ms: number; MBps: number }

/** 64 MiB takes seconds on a direct pair; a relay pair once stalled for minutes. */
const TRANSFER_TIMEOUT_MS = 120_000;

export const timing = (bytes: number, ms: number): TransferTiming =>
  ({ bytes, ms: Math.round(ms), MBps: Math.round((bytes / 1e6 / (ms / 1000)) * 100) / 100 });

/** Sender floods with bufferedAmount backpressure; clocked from the first send to the last byte received. */
export async function pushTransfer(sender: Page, receiver: Page, p: PushParams): Promise<TransferTiming> {
  const arrived = receiver.evaluate((total) => (benchPage as RawPage).receiveAll(total), p.totalBytes);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const sent = sender.evaluate((params) => (benchPage as RawPage).pushSend(params), p);
  const [{ startMs }, { endMs }] = await withTimeout(Promise.all([sent, arrived]), TRANSFER_TIMEOUT_MS, 'push transfer');
  return timing(p.totalBytes, endMs - startMs);
}

/** Receiver keeps `window` blocks requested; clocked from its first request to the last block. */
export async function windowTransfer(sender: Page, receiver: Page, p: WindowParams): Promise<TransferTiming> {
  await sender.evaluate((bytes) => (benchPage as RawPage).serveBlocks(bytes), p.messageBytes);
  const fetched = receiver.evaluate((params) => (benchPage as RawPage).fetchWindowed(params), p);
  const { startMs, endMs } = await withTimeout(fetched, TRANSFER_TIMEOUT_MS, 'windowed transfer');
  return timing(Math.ceil(p.totalBytes / p.messageBytes) * p.messageBytes, endMs - startMs);
}
