import type { LinkPath, LinkState, PeerLink } from '../../peer/contracts.ts';
import { CodedFailure } from '../../shared/errors.ts';
import type { PeerId } from '../../shared/ids.ts';
import { MAX_WIRE_FRAME_BYTES } from '../../shared/limits.ts';

// Two in-memory PeerLinks piped together (bittorrent-protocol's wire.pipe(wire)): frames are copied and
// delivered on a later macrotask, in order, like a data channel.

export interface MemoryLink extends PeerLink {
  /** Frames this side has sent, for assertions (none kept with `record: false`). */
  readonly sentFrames: Uint8Array[];
}

/** `record: false` keeps no sent frames (a benchmark moving GiB would hold every copy). */
export function createMemoryLinkPair(a: PeerId, b: PeerId, opts: { record?: boolean } = {}): [MemoryLink, MemoryLink] {
  const record = opts.record ?? true;
  const left = createSide(b, record);
  const right = createSide(a, record);
  left.peer = right;
  right.peer = left;
  return [left, right];
}

type Side = MemoryLink & { peer: Side | null; deliver(frame: Uint8Array): void; setState(s: LinkState): void };

function createSide(remotePeerId: PeerId, record: boolean): Side {
  let state: LinkState = 'connected';
  const side: Side = {
    remotePeerId,
    sentFrames: [],
    peer: null,
    get state() {
      return state;
    },
    onMessage: null,
    onStateChange: null,
    async send(frame) {
      if (state === 'closed') throw new CodedFailure('ERR_PEER_CLOSED', 'link closed');
      const copy = frame.slice(); // the sender may reuse `frame` once this resolves
      if (record) side.sentFrames.push(copy);
      setTimeout(() => side.peer?.deliver(copy), 0);
    },
    bufferedAmount: () => 0,
    maxMessageSize: () => MAX_WIRE_FRAME_BYTES,
    path: async (): Promise<LinkPath> => ({ relayed: false, rttMs: 0, localCandidateType: 'host', remoteCandidateType: 'host' }),
    close() {
      if (state === 'closed') return;
      side.setState('closed');
      setTimeout(() => side.peer?.setState('closed'), 0);
    },
    deliver(frame) {
      if (state !== 'closed') side.onMessage?.(frame);
    },
    setState(next) {
      if (state === next) return;
      state = next;
      side.onStateChange?.(next);
    },
  };
  return side;
}
