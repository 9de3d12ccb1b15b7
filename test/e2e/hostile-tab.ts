import type { BrowserContext, Page } from 'playwright-core';
import { encode } from '../../shared/codec.ts';
import { TYPE_CODES } from '../../shared/codec/frame.ts';
import type { Route } from '../../shared/wire-messages.ts';
import { playwrightTab, type BrowserTab } from './browser-tab.ts';
import type { Harness } from './harness.ts';

// A real page turned hostile from outside: its data channels are hooked before the page runs, so its engine's
// bitfields, haves, requests and 'fetching' hints never leave the tab (it claims nothing and asks for nothing).
// Armed with a garbage block for every piece of a file (encoded here by the real codec), it answers each
// 'fetching' hint it hears at once, on the same channel, with garbage for the piece's last block, which the seeder
// sends last: the piece then has two senders, and a tab that blames every sender of a bad piece strikes both
// (the framing attack of issue 12: three such pieces got the seeder banned).

export interface FramingTab {
  page: Page;
  /** The same page for the shared tab helpers (tabs.ts). */
  tab: BrowserTab;
  context: BrowserContext;
  /** Prepares a garbage last block for every piece of the file, keyed by the 'fetching' frame that triggers it. */
  arm(route: Route, geometry: { size: number; pieceLength: number; blockSize: number }): Promise<void>;
  /** 'fetching' hints it heard and garbage blocks it sent so far. */
  tally(): Promise<{ heard: number; sent: number }>;
}

interface HostileWindow {
  __arm(frames: [string, string[]][]): void;
  __tally: { heard: number; sent: number };
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export async function openFramingTab(harness: Harness): Promise<FramingTab> {
  const context = await harness.browser.newContext();
  const { bitfield, have, request, fetching } = TYPE_CODES;
  await context.addInitScript(hookChannels, { silenced: [bitfield, have, request, fetching], fetching });
  const page = await context.newPage();
  await page.goto(harness.localUrl);
  return {
    page,
    tab: playwrightTab(page),
    context,
    async arm(route, { size, pieceLength, blockSize }) {
      const frames: [string, string[]][] = [];
      for (let piece = 0; piece * pieceLength < size; piece++) {
        const pieceBytes = Math.min(pieceLength, size - piece * pieceLength);
        const offset = Math.floor((pieceBytes - 1) / blockSize) * blockSize;
        const data = new Uint8Array(pieceBytes - offset).fill(0xee);
        frames.push([base64(encode({ type: 'fetching', ...route, piece })), [base64(encode({ type: 'block', ...route, piece, offset, data }))]]);
      }
      await page.evaluate((f) => (window as unknown as HostileWindow).__arm(f), frames);
    },
    tally: () => page.evaluate(() => ({ ...(window as unknown as HostileWindow).__tally })),
  };
}

/** Runs in the page before its scripts: drops the engine's frames of the `silenced` types, answers armed hints. */
function hookChannels(codes: { silenced: number[]; fetching: number }): void {
  const silenced = new Set(codes.silenced);
  const w = window as unknown as HostileWindow;
  const send = RTCDataChannel.prototype.send;
  const hooked = new WeakSet<RTCDataChannel>();
  const toBytes = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  let armed = new Map<string, Uint8Array<ArrayBuffer>[]>();
  w.__tally = { heard: 0, sent: 0 };
  w.__arm = (frames) => void (armed = new Map(frames.map(([hint, blocks]) => [hint, blocks.map(toBytes)])));
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: ArrayBufferView<ArrayBuffer> | ArrayBuffer | Blob | string) {
    if (!hooked.has(this)) {
      hooked.add(this);
      this.addEventListener('message', (e: MessageEvent) => {
        const bytes = new Uint8Array(e.data as ArrayBuffer);
        if (bytes[1] !== codes.fetching) return;
        w.__tally.heard++;
        for (const block of armed.get(btoa(String.fromCharCode(...bytes))) ?? []) {
          if (this.readyState === 'open') (send.call(this, block), w.__tally.sent++);
        }
      });
    }
    const type = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)[1] : undefined;
    if (type !== undefined && silenced.has(type)) return;
    send.call(this, data as ArrayBufferView<ArrayBuffer>);
  };
}
