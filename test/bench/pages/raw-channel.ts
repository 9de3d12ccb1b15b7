import { describePairs, selectedOf, type PairInfo } from './rtc-path.ts';

// Browser side of the raw RTCDataChannel bench: one RTCPeerConnection and one channel per tab,
// SDP carried by the Node harness (page.evaluate), two ways to move bytes one way:
// push (sender floods up to a bufferedAmount high water) and window (receiver requests N blocks in flight).

let pc: RTCPeerConnection | null = null;
let channel: RTCDataChannel | null = null;
let channelOpen: Promise<RTCDataChannel> | null = null;

const nowMs = () => performance.timeOrigin + performance.now();

function setChannel(dc: RTCDataChannel): void {
  dc.binaryType = 'arraybuffer';
  channel = dc;
  channelOpen = new Promise((resolve) => {
    if (dc.readyState === 'open') resolve(dc);
    else dc.addEventListener('open', () => resolve(dc), { once: true });
  });
}

async function gathered(conn: RTCPeerConnection, timeoutMs: number): Promise<string> {
  if (conn.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      conn.addEventListener('icegatheringstatechange', () => {
        if (conn.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
      });
    });
  }
  return conn.localDescription?.sdp ?? '';
}

/** Offerer: a fresh connection and channel; answers the offer SDP with every gathered candidate. */
export async function offer(config: RTCConfiguration = { iceServers: [] }): Promise<string> {
  pc = new RTCPeerConnection(config);
  setChannel(pc.createDataChannel('bench'));
  await pc.setLocalDescription(await pc.createOffer());
  return gathered(pc, 3000);
}

export async function answer(sdp: string, config: RTCConfiguration = { iceServers: [] }): Promise<string> {
  pc = new RTCPeerConnection(config);
  pc.addEventListener('datachannel', (e) => setChannel(e.channel));
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  return gathered(pc, 3000);
}

export async function accept(sdp: string): Promise<void> {
  await pc?.setRemoteDescription({ type: 'answer', sdp });
}

export async function waitOpen(timeoutMs: number): Promise<boolean> {
  const deadline = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
  for (;;) {
    if (channelOpen !== null) return (await Promise.race([channelOpen, deadline])) !== null;
    if ((await Promise.race([new Promise((r) => setTimeout(r, 20)), deadline])) === null) return false;
  }
}

export const pairs = async (): Promise<PairInfo[]> => (pc === null ? [] : ((await describePairs([pc]))[0] ?? []));
export const path = async (): Promise<PairInfo | null> => selectedOf(await pairs());

export function close(): void {
  channel?.close();
  pc?.close();
  pc = null; channel = null; channelOpen = null;
}

function openChannel(): RTCDataChannel {
  if (channel === null || channel.readyState !== 'open') throw new Error('channel not open');
  return channel;
}

const drained = (dc: RTCDataChannel) =>
  new Promise<void>((resolve) => dc.addEventListener('bufferedamountlow', () => resolve(), { once: true }));

export interface PushParams { messageBytes: number; totalBytes: number; highWater: number; lowThreshold: number }

/** Sender floods messages while bufferedAmount < highWater, then waits for bufferedamountlow. */
export async function pushSend(p: PushParams): Promise<{ startMs: number }> {
  const dc = openChannel();
  dc.bufferedAmountLowThreshold = p.lowThreshold;
  const message = new Uint8Array(p.messageBytes).fill(7);
  const startMs = nowMs();
  for (let sent = 0; sent < p.totalBytes;) {
    if (dc.bufferedAmount >= p.highWater) await drained(dc);
    const n = Math.min(p.messageBytes, p.totalBytes - sent);
    dc.send(n === message.byteLength ? message : message.subarray(0, n));
    sent += n;
  }
  return { startMs };
}

/** Counts bytes until totalBytes arrived; resolves with the arrival time of the last byte. */
export function receiveAll(totalBytes: number): Promise<{ endMs: number; firstMs: number }> {
  const dc = openChannel();
  let received = 0;
  let firstMs = 0;
  return new Promise((resolve) => {
    dc.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      if (received === 0) firstMs = nowMs();
      received += e.data.byteLength;
      if (received >= totalBytes) { dc.onmessage = null; resolve({ endMs: nowMs(), firstMs }); }
    };
  });
}

// request: <count:u32> — the receiver asks for `count` more blocks; the server answers each with one block.
/** Window server: answers every request with `count` blocks of messageBytes (request/response). */
export function serveBlocks(messageBytes: number): void {
  const dc = openChannel();
  const block = new Uint8Array(messageBytes).fill(9);
  dc.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    const count = new DataView(e.data).getUint32(0);
    for (let i = 0; i < count; i++) dc.send(block);
  };
}

export interface WindowParams { messageBytes: number; totalBytes: number; window: number; grantEvery: number }

/** Receiver-driven: keeps `window` blocks requested; re-grants in batches of grantEvery as blocks arrive. */
export function fetchWindowed(p: WindowParams): Promise<{ startMs: number; endMs: number }> {
  const dc = openChannel();
  const totalBlocks = Math.ceil(p.totalBytes / p.messageBytes);
  let requested = 0;
  let received = 0;
  let ungranted = 0;
  const request = (count: number) => {
    const n = Math.min(count, totalBlocks - requested);
    if (n <= 0) return;
    const frame = new DataView(new ArrayBuffer(4));
    frame.setUint32(0, n);
    dc.send(frame.buffer);
    requested += n;
  };
  const startMs = nowMs();
  return new Promise((resolve) => {
    dc.onmessage = () => {
      received++;
      ungranted++;
      if (received >= totalBlocks) { dc.onmessage = null; resolve({ startMs, endMs: nowMs() }); return; }
      if (ungranted >= p.grantEvery) { request(ungranted); ungranted = 0; }
    };
    request(p.window);
  });
}
