import SimplePeer from 'simple-peer/simplepeer.min.js';
import { CodedFailure } from '../../shared/errors.ts';
import type { PeerId } from '../../shared/ids.ts';
import { MAX_WIRE_FRAME_BYTES, SIZES } from '../../shared/limits.ts';
import type { IceServer, SignalPayload } from '../../shared/signaling.ts';
import type { LinkPath, LinkState, PeerLink } from '../contracts.ts';
import { createFrameInbox } from './early-frames.ts';
import { readSelectedPath } from './link-stats.ts';
import { milestone } from '../milestones.ts';

// One simple-peer connection to one remote peer, binary frames only. send() waits on the channel's
// `bufferedamountlow` event (with a timeout, as trystero does), so unsent bytes stay bounded. Frames that
// arrive before 'connect' (the remote side connected first) are held and delivered once onMessage is set.

/**
 * Default backpressure threshold. Chromium moves the most when a few hundred KiB are queued; flooding the buffer
 * collapses throughput (docs/performance.md; measured by test/e2e/links.test.ts).
 */
export const DEFAULT_LOW_WATER_BYTES = 256 * SIZES.KiB;
/** A channel that does not drain for this long is stuck; the send fails with ERR_TIMEOUT. */
const DRAIN_TIMEOUT_MS = 15_000;
/** ICE `disconnected` often heals by itself within a few seconds (Wi-Fi blip); then we restart ICE. */
const ICE_RESTART_AFTER_MS = 5_000;
/** A link still not back after this long is closed; the link manager builds a new one if still wanted. */
const RECONNECT_DEADLINE_MS = 30_000;

export interface PeerLinkOptions {
  remotePeerId: PeerId;
  initiator: boolean;
  iceServers: IceServer[];
  /** Relays a signal to the remote peer through the signaling server; false when it could not be sent. */
  sendSignal: (payload: SignalPayload) => boolean;
  /** Told when the link is closed for abuse (its owner keeps the peer away); absent: a plain close. */
  onAbuse?: (reason: string) => void;
  lowWaterBytes?: number;
  /** The WebRTC implementation outside a browser (Node: @roamhq/wrtc); absent: the browser's own. */
  wrtc?: object;
}

/** A PeerLink plus the signaling input that drives it; only the link manager sees this side. */
export interface SignaledPeerLink extends PeerLink {
  maxMessageSize(): number;
  /** Feeds one signal from the remote peer (offer, answer, candidate, renegotiate). */
  signal(payload: SignalPayload): void;
  /** The remote DTLS fingerprint of the current connection, to tell a fresh offer from a renegotiation. */
  remoteFingerprint(): string | null;
}

/** simple-peer fields and methods its typings leave out. */
interface SimplePeerInternals {
  _pc: RTCPeerConnection;
  _channel: RTCDataChannel | null;
  negotiate(): void;
}

const toRtcIceServers = (servers: IceServer[]): RTCIceServer[] =>
  servers.map((s) => ({
    urls: s.urls,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.credential !== undefined ? { credential: s.credential } : {}),
  }));

export const sdpFingerprint = (sdp: string | undefined): string | null =>
  /^a=fingerprint:(.+)$/m.exec(sdp ?? '')?.[1]?.trim() ?? null;

export function createPeerLink(opts: PeerLinkOptions): SignaledPeerLink {
  const lowWater = opts.lowWaterBytes ?? DEFAULT_LOW_WATER_BYTES;
  const peer = new SimplePeer({
    initiator: opts.initiator, trickle: true, config: { iceServers: toRtcIceServers(opts.iceServers) },
    ...(opts.wrtc === undefined ? {} : { wrtc: opts.wrtc as SimplePeer.Options['wrtc'] }),
  });
  const internals = peer as unknown as SimplePeerInternals;
  let state: LinkState = 'connecting';
  let sendTail: Promise<void> = Promise.resolve(); // sends run one after another, in call order
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  let deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  let connectWaiters: Array<(ok: boolean) => void> = [];
  const inbox = createFrameInbox();

  const link: SignaledPeerLink = {
    remotePeerId: opts.remotePeerId,
    get state() { return state; },
    get onMessage() { return inbox.handler; },
    set onMessage(handler) { inbox.handler = handler; },
    onStateChange: null,
    send: (frame) => {
      const run = sendTail.then(() => sendNow(frame));
      sendTail = run.catch(() => undefined);
      return run;
    },
    bufferedAmount: () => internals._channel?.bufferedAmount ?? 0,
    maxMessageSize: () => Math.min(MAX_WIRE_FRAME_BYTES, internals._pc.sctp?.maxMessageSize || MAX_WIRE_FRAME_BYTES),
    path: (): Promise<LinkPath> => readSelectedPath(internals._pc),
    signal(payload) {
      if (state === 'closed') return;
      try {
        peer.signal(payload as SimplePeer.SignalData);
      } catch (e) {
        link.close(`bad signal: ${String(e)}`);
      }
    },
    remoteFingerprint: () => sdpFingerprint(internals._pc.remoteDescription?.sdp),
    closeForAbuse: (reason) => (opts.onAbuse ? opts.onAbuse(reason) : link.close(reason)),
    close(reason) {
      if (state === 'closed') return;
      clearIceTimers();
      setState('closed');
      inbox.clear();
      for (const w of connectWaiters.splice(0)) w(false);
      peer.destroy(reason === undefined ? undefined : new Error(reason));
    },
  };

  function setState(next: LinkState): void {
    if (state === next || state === 'closed') return;
    state = next;
    link.onStateChange?.(next);
  }

  /** Read through a call: the state changes while send() awaits, which narrowing cannot see. */
  const currentState = (): LinkState => state;

  function closedError(): CodedFailure {
    return new CodedFailure('ERR_PEER_CLOSED', `link to ${opts.remotePeerId} is closed`);
  }

  async function sendNow(frame: Uint8Array): Promise<void> {
    if (frame.byteLength > link.maxMessageSize()) {
      throw new CodedFailure('ERR_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds the channel's max message size`);
    }
    if (state === 'connecting' && !(await new Promise<boolean>((r) => connectWaiters.push(r)))) throw closedError();
    const channel = internals._channel;
    if (currentState() === 'closed' || channel === null || channel.readyState !== 'open') throw closedError();
    channel.send(frame as Uint8Array<ArrayBuffer>);
    while (channel.bufferedAmount > lowWater) {
      const drained = await waitForDrain(channel);
      if (currentState() === 'closed' || channel.readyState !== 'open') throw closedError();
      // A reconnecting link keeps its queue: ICE may come back and drain it.
      if (!drained && currentState() !== 'reconnecting') throw new CodedFailure('ERR_TIMEOUT', 'data channel did not drain');
    }
  }

  function waitForDrain(channel: RTCDataChannel): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        channel.removeEventListener('bufferedamountlow', onLow);
        channel.removeEventListener('close', onClose);
        resolve(drained);
      };
      const onLow = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), DRAIN_TIMEOUT_MS);
      channel.addEventListener('bufferedamountlow', onLow);
      channel.addEventListener('close', onClose);
    });
  }

  function clearIceTimers(): void {
    if (restartTimer !== null) clearTimeout(restartTimer);
    if (deadlineTimer !== null) clearTimeout(deadlineTimer);
    restartTimer = deadlineTimer = null;
  }

  function onIceState(iceState: RTCIceConnectionState): void {
    if (state === 'closed' || state === 'connecting') return;
    if (iceState === 'disconnected' && state === 'connected') {
      setState('reconnecting');
      restartTimer = setTimeout(restartIce, ICE_RESTART_AFTER_MS);
      deadlineTimer = setTimeout(() => link.close('ICE did not reconnect'), RECONNECT_DEADLINE_MS);
    } else if ((iceState === 'connected' || iceState === 'completed') && state === 'reconnecting') {
      clearIceTimers();
      setState('connected');
    }
  }

  // Only the initiator offers, so only it restarts ICE; simple-peer does not listen to negotiationneeded.
  function restartIce(): void {
    restartTimer = null;
    if (state !== 'reconnecting' || !opts.initiator) return;
    internals._pc.restartIce();
    internals.negotiate();
  }

  peer.on('signal', (data) => void opts.sendSignal(data as SignalPayload));
  peer.on('connect', () => {
    milestone('link-open');
    const channel = internals._channel;
    if (channel !== null) channel.bufferedAmountLowThreshold = lowWater;
    setState('connected');
    for (const w of connectWaiters.splice(0)) w(true);
  });
  peer.on('data', (chunk: unknown) => {
    if (!(chunk instanceof Uint8Array)) return; // text frames are not part of the protocol
    if (state !== 'closed') inbox.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  peer.on('iceStateChange', (iceState: RTCIceConnectionState) => onIceState(iceState));
  peer.on('error', (e: Error) => link.close(e.message));
  peer.on('close', () => link.close('closed by remote peer'));
  return link;
}
