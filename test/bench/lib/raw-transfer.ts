import type { Page } from 'playwright-core';
import type { PushParams, WindowParams } from '../pages/raw-channel.ts';

// Node side: one timed one-way transfer over two connected raw-channel tabs (see rtc-connect.ts).
// Times come from the tabs' own clocks (performance.timeOrigin + now, one machine), so they are comparable.

type RawPage = typeof import('../pages/raw-channel.ts');

export interface TransferTiming { bytes: number; ms: number; MBps: number }

export const timing = (bytes: number, ms: number): TransferTiming =>
  ({ bytes, ms: Math.round(ms), MBps: Math.round((bytes / 1e6 / (ms / 1000)) * 100) / 100 });

/** Sender floods with bufferedAmount backpressure; clocked from the first send to the last byte received. */
export async function pushTransfer(sender: Page, receiver: Page, p: PushParams): Promise<TransferTiming> {
  const arrived = receiver.evaluate((total) => (benchPage as RawPage).receiveAll(total), p.totalBytes);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const { startMs } = await sender.evaluate((params) => (benchPage as RawPage).pushSend(params), p);
  const { endMs } = await arrived;
  return timing(p.totalBytes, endMs - startMs);
}

/** Receiver keeps `window` blocks requested; clocked from its first request to the last block. */
export async function windowTransfer(sender: Page, receiver: Page, p: WindowParams): Promise<TransferTiming> {
  await sender.evaluate((bytes) => (benchPage as RawPage).serveBlocks(bytes), p.messageBytes);
  const { startMs, endMs } = await receiver.evaluate((params) => (benchPage as RawPage).fetchWindowed(params), p);
  return timing(Math.ceil(p.totalBytes / p.messageBytes) * p.messageBytes, endMs - startMs);
}
