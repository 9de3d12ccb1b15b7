import { describe, expect, it } from 'vitest';
import type { LinkState } from '../../peer/contracts.ts';
import { RETRY_AFTER_MS } from '../../peer/links/link-backoff.ts';
import { CONNECT_TIMEOUT_MS, createLinkManager, type LinkManager } from '../../peer/links/link-manager.ts';
import { ADDRESS_SHARE, IDLE_LINK_MS, linksToGiveWay, SHARER_LINK_CAPS } from '../../peer/links/link-policy.ts';
import type { PeerLinkOptions, SignaledPeerLink } from '../../peer/links/peer-link.ts';
import type { SignalingClient } from '../../peer/signaling/client.ts';
import type { SignalingHandlers } from '../../peer/signaling/events.ts';
import type { PeerId } from '../../shared/ids.ts';
import { ABUSE_BACKOFF_BASE_MS, MAX_ABUSE_CLOSES } from '../../shared/limits.ts';
import { ok } from '../../shared/result.ts';
import type { SignalPayload } from '../../shared/signaling.ts';

// The link manager's decisions with fake links, a fake signaling client, a hand-driven clock and ticker.

const SWARM = 'f'.repeat(32);
const SELF = '5'.repeat(32);
const id = (c: string): PeerId => c.repeat(32);
const SMALLER = [id('1'), id('2'), id('3')];
const LARGER = [id('7'), id('8'), id('9'), id('a'), id('b')];
const offer = (fingerprint: string): SignalPayload => ({ type: 'offer', sdp: `v=0\r\na=fingerprint:${fingerprint}\r\n` });

interface FakeLink extends SignaledPeerLink {
  readonly opts: PeerLinkOptions;
  readonly signals: SignalPayload[];
  setState(state: LinkState): void;
}

function fakeLink(opts: PeerLinkOptions): FakeLink {
  let state: LinkState = 'connecting';
  const link: FakeLink = {
    opts, signals: [], remotePeerId: opts.remotePeerId, onMessage: null, onStateChange: null,
    get state() { return state; },
    setState(next) {
      if (state === 'closed') return;
      state = next;
      link.onStateChange?.(next);
    },
    send: async () => {},
    bufferedAmount: () => 0,
    maxMessageSize: () => 65536,
    path: async () => ({ relayed: null, rttMs: null, localCandidateType: null, remoteCandidateType: null }),
    signal: (payload) => void link.signals.push(payload),
    remoteFingerprint: () => null,
    close: () => link.setState('closed'),
    closeForAbuse: (reason) => opts.onAbuse?.(reason),
  };
  return link;
}

function setup(o: { wantedLinks?: number; maxLinks?: number; lastUsed?: (peerId: PeerId) => number | undefined } = {}) {
  let t = 0;
  let tick = () => {};
  const handlers: Partial<SignalingHandlers>[] = [];
  const sent: Array<{ to: PeerId; payload: SignalPayload }> = [];
  const created: FakeLink[] = [];
  const signaling: SignalingClient = {
    status: 'open', peerId: SELF, iceServers: [],
    subscribe: (h) => (handlers.push(h), () => {}),
    join() {}, leave() {}, announce() {}, setNickname() {},
    signal: (to, payload) => (sent.push({ to, payload }), true),
    shareCode: async () => ok('ABCDEF'),
    resolveCode: async () => ok(SWARM),
    joinedSwarms: () => [SWARM],
    close() {},
  };
  const manager: LinkManager = createLinkManager({
    signaling, ...o, random: () => 0, now: () => t,
    createLink: (opts) => {
      const link = fakeLink(opts);
      created.push(link);
      return link;
    },
    every: (fn) => ((tick = fn), () => {}),
  });
  const emit = <K extends keyof SignalingHandlers>(name: K, ...args: Parameters<SignalingHandlers[K]>) => {
    for (const h of handlers) (h[name] as ((...a: typeof args) => void) | undefined)?.(...args);
  };
  emit('onWelcome', { peerId: SELF, resumed: false, iceServers: [] });
  return {
    manager, created, sent, emit,
    join: (peers: PeerId[], addressOf = (p: PeerId) => p.slice(0, 16)) =>
      emit('onJoined', SWARM, peers.map((peerId) => ({ peerId, nickname: '', addressTag: addressOf(peerId) })), []),
    /** Moves the clock on and runs the periodic pass. */
    after(ms: number) {
      t += ms;
      tick();
    },
    linksTo: (peerId: PeerId) => created.filter((l) => l.remotePeerId === peerId),
    asked: (peerId: PeerId) => sent.filter((s) => s.to === peerId && s.payload.type === 'renegotiate').length,
  };
}

describe('link manager', () => {
  it('link manager: offers to larger peerIds and asks smaller ones for an offer, never both', () => {
    const fx = setup();
    fx.join([id('1'), id('9')]);
    expect(fx.linksTo(id('9')).map((l) => l.opts.initiator)).toEqual([true]);
    expect(fx.linksTo(id('1'))).toEqual([]);
    expect(fx.asked(id('1'))).toBe(1);
    expect(fx.asked(id('9'))).toBe(0);
  });

  it('link manager: a subscriber that comes late (the engine, once the profile is open) hears of links already connected', () => {
    const fx = setup();
    fx.join([id('9'), id('a')]);
    const [first, second] = [fx.linksTo(id('9'))[0]!, fx.linksTo(id('a'))[0]!];
    first.setState('connected');
    const told: PeerId[] = [];
    fx.manager.subscribe({ onLink: (link) => told.push(link.remotePeerId) });
    expect(told).toEqual([id('9')]); // the one still connecting is told once it connects
    second.setState('connected');
    expect(told).toEqual([id('9'), id('a')]);
  });

  it('link manager: a request for an offer that crossed our own offer starts no second negotiation', () => {
    const fx = setup();
    fx.join([id('9')]); // we are the smaller id: we offered at once
    const [link] = fx.linksTo(id('9'));
    fx.emit('onSignal', id('9'), { type: 'renegotiate', renegotiate: true }); // it asked before our offer arrived
    expect(link!.signals).toEqual([]);
    link!.setState('connected');
    fx.emit('onSignal', id('9'), { type: 'renegotiate', renegotiate: true }); // on an open link: passed on
    expect(link!.signals).toEqual([{ type: 'renegotiate', renegotiate: true }]);
    expect(fx.linksTo(id('9')).length).toBe(1);
  });

  it('link manager: answers an offer only from a smaller peerId', () => {
    const fx = setup();
    fx.join([id('1'), id('9')]);
    fx.emit('onSignal', id('9'), offer('AA')); // a larger peer must not offer
    fx.emit('onSignal', id('1'), offer('BB'));
    const answering = fx.linksTo(id('1'));
    expect(answering.map((l) => [l.opts.initiator, l.signals[0]?.type])).toEqual([[false, 'offer']]);
    expect(fx.linksTo(id('9')).every((l) => l.opts.initiator)).toBe(true);
  });

  it('link manager: seeks at most wantedLinks, then tries others once attempts time out', () => {
    const fx = setup({ wantedLinks: 2, maxLinks: 2 });
    fx.join(LARGER);
    expect(fx.created.length).toBe(2);
    fx.after(CONNECT_TIMEOUT_MS + 1);
    expect(fx.created.slice(0, 2).every((l) => l.state === 'closed')).toBe(true);
    fx.after(1);
    expect(fx.created.filter((l) => l.state !== 'closed').length).toBe(2);
    expect(new Set(fx.created.map((l) => l.remotePeerId)).size).toBe(4); // the timed-out two wait their turn
  });

  it('link manager: accepts offers only up to maxLinks in all', () => {
    const fx = setup({ wantedLinks: 1, maxLinks: 2 });
    fx.join(SMALLER);
    expect(fx.asked(id('1'))).toBe(1); // its one wanted link: asked for, not offered
    for (const p of SMALLER) fx.emit('onSignal', p, offer(`F${p[0]}`));
    expect(fx.created.map((l) => l.remotePeerId)).toEqual([id('1'), id('2')]);
  });

  it('link manager: a failed link is retried only after the retry delay', () => {
    const fx = setup();
    fx.join([id('9')]);
    fx.created[0]!.setState('connected');
    fx.created[0]!.setState('closed');
    fx.after(RETRY_AFTER_MS - 1);
    expect(fx.created.length).toBe(1);
    fx.after(1);
    expect(fx.created.length).toBe(2);
  });

  it('link manager: a link closed for abuse is not rebuilt for an exponentially growing time, then never', () => {
    const fx = setup();
    fx.join([id('9')]);
    let expected = 1;
    for (let n = 1; n < MAX_ABUSE_CLOSES; n++) {
      const link = fx.created.at(-1)!;
      link.setState('connected');
      link.closeForAbuse!('too many bad frames');
      expect(link.state).toBe('closed');
      fx.after(ABUSE_BACKOFF_BASE_MS * 2 ** (n - 1) - 1);
      expect(fx.created.length).toBe(expected);
      fx.after(1);
      expect(fx.created.length).toBe(++expected);
    }
    fx.manager.closeForAbuse(id('9'));
    fx.after(24 * 3600_000);
    expect(fx.created.length).toBe(expected);
  });

  it('link manager: offers and offer requests from a peer kept out for abuse are ignored', () => {
    const fx = setup();
    fx.join([id('1'), id('9')]);
    fx.emit('onSignal', id('1'), offer('A1'));
    fx.linksTo(id('1'))[0]!.setState('connected');
    fx.manager.closeForAbuse(id('1'));
    fx.emit('onSignal', id('1'), offer('A2'));
    fx.emit('onSignal', id('1'), { type: 'renegotiate', renegotiate: true });
    expect(fx.linksTo(id('1')).length).toBe(1);
    fx.after(ABUSE_BACKOFF_BASE_MS);
    fx.emit('onSignal', id('1'), offer('A3'));
    expect(fx.linksTo(id('1')).length).toBe(2);
  });

  it('link manager: an ordinary failure does not keep out a peer that offers again', () => {
    const fx = setup();
    fx.join([id('1')]);
    fx.emit('onSignal', id('1'), offer('A1'));
    fx.linksTo(id('1'))[0]!.setState('closed');
    fx.emit('onSignal', id('1'), offer('A2'));
    expect(fx.linksTo(id('1')).length).toBe(2);
  });

  it('link manager: a full tab takes a newcomer at once in place of its longest-idle link, and keeps that idler away', () => {
    const used = new Map<PeerId, number>();
    const fx = setup({ wantedLinks: 1, maxLinks: 3, lastUsed: (p) => used.get(p) });
    fx.join([...SMALLER, id('4')]);
    for (const p of SMALLER) fx.emit('onSignal', p, offer(`F${p[0]}`)); // three ids fill every link
    for (const l of fx.created) l.setState('connected');
    used.set(id('2'), IDLE_LINK_MS - 1000); // id 2 fetched lately: it keeps its link, and one in use is all we want
    fx.after(IDLE_LINK_MS);
    expect(fx.created.every((l) => l.state === 'connected')).toBe(true); // two idle, but nobody waits
    fx.emit('onSignal', id('4'), offer('F4')); // a newcomer: in at once
    expect(fx.linksTo(id('4'))).toHaveLength(1);
    const closed = fx.created.filter((l) => l.state === 'closed').map((l) => l.remotePeerId);
    expect(closed).toEqual([id('1')]);
    fx.emit('onSignal', id('1'), offer('FX')); // the idler comes straight back: kept away
    expect(fx.linksTo(id('1'))).toHaveLength(1);
    fx.after(2000);
    expect(fx.created.filter((l) => l.state === 'closed')).toHaveLength(1); // nobody else waits: the rest stay
  });

  it('link manager: a full tab turns away a mate it was linked to before, then gives way one idle link per mate turned away', () => {
    const used = new Map<PeerId, number>();
    const fx = setup({ wantedLinks: 1, maxLinks: 2, lastUsed: (p) => used.get(p) });
    fx.join([...SMALLER]);
    for (const p of SMALLER.slice(0, 2)) fx.emit('onSignal', p, offer(`F${p[0]}`));
    for (const l of fx.created) l.setState('connected');
    fx.linksTo(id('1'))[0]!.setState('closed'); // its link failed: id 1 is no newcomer
    fx.emit('onSignal', id('3'), offer('F3'));
    fx.linksTo(id('3'))[0]!.setState('connected');
    used.set(id('3'), IDLE_LINK_MS - 1000);
    fx.after(IDLE_LINK_MS);
    fx.emit('onSignal', id('1'), offer('F1b')); // full, and not a newcomer: turned away for now
    expect(fx.linksTo(id('1'))).toHaveLength(1);
    fx.after(1000); // the tick: the longest-idle link (id 2's) gives way
    expect(fx.linksTo(id('2'))[0]!.state).toBe('closed');
    expect(fx.linksTo(id('3'))[0]!.state).toBe('connected');
    fx.emit('onSignal', id('1'), offer('F1c'));
    expect(fx.linksTo(id('1'))).toHaveLength(2);
  });

  it('link manager: one address gets ADDRESS_SHARE links while mates of other addresses are not linked, then room left', () => {
    const fx = setup({ wantedLinks: 1, maxLinks: 8 });
    const hogger = ['1', '2', '3', '4', '6', '7', '8', '9'].map(id); // one laptop's sockets
    const hoggerLinks = () => fx.created.filter((l) => hogger.includes(l.remotePeerId) && l.state !== 'closed').length;
    const ask = (p: PeerId) => fx.emit('onSignal', p, p < SELF ? offer(`F${p[0]}`) : { type: 'renegotiate', renegotiate: true });
    fx.join([...hogger, id('a'), id('b')], (p) => (hogger.includes(p) ? '0'.repeat(16) : p.slice(0, 16)));
    for (const p of hogger) ask(p);
    expect(hoggerLinks()).toBe(ADDRESS_SHARE); // a and b are not linked yet
    ask(id('a'));
    ask(id('b'));
    expect(fx.linksTo(id('a'))).toHaveLength(1);
    expect(fx.linksTo(id('b'))).toHaveLength(1);
    for (const p of hogger) ask(p); // nobody of another address waits now: the rest of the room is theirs
    expect(hoggerLinks()).toBe(6);
    for (const l of fx.created) l.setState('connected');
    for (const peerId of ['c', 'd', 'e'].map(id)) {
      fx.emit('onPeerJoined', SWARM, { peerId, nickname: '', addressTag: peerId.slice(0, 16) });
      ask(peerId); // full: the crowded address's links beyond its share give way to them
    }
    expect(hoggerLinks()).toBe(ADDRESS_SHARE);
    expect(fx.linksTo(id('d'))).toHaveLength(1);
    expect(fx.linksTo(id('e'))).toEqual([]); // then a newcomer waits its turn like anyone (nothing is idle)
  });
});

describe('link policy: give way', () => {
  const caps = { wanted: 1, max: 2, reserved: 0 };
  const at = (peer: string, lastUsed: number | undefined) => ({ peerId: id(peer), since: 0, lastUsed, address: peer });
  const idle = [at('1', undefined), at('2', 5_000)];
  const busy = [at('1', 39_000), at('2', 39_500)];
  const cases: [string, Parameters<typeof linksToGiveWay>, PeerId[]][] = [
    ['not full', [caps, idle.slice(0, 1), 40_000, 40_000], []],
    ['full, links in use, nobody waits', [caps, busy, null, 40_000], []],
    ['full, a mate waits, no link idle', [caps, busy, 40_000, 40_000], []],
    ['full, a mate waits: the link idle longest', [caps, [at('1', 39_000), ...idle.slice(1), at('3', undefined)], 40_000, 40_000], [id('3')]],
    ['full, the mate turned away long ago, enough in use', [{ wanted: 1, max: 3, reserved: 0 }, [at('1', 39_000), ...idle], 0, 40_000], []],
    ['full, fewer in use than wanted: as many idle links as fall short', [{ wanted: 3, max: 3, reserved: 0 }, [at('1', 39_000), ...idle.slice(1), at('3', 1_000)], null, 40_000], [id('3'), id('2')]],
    ['the sharer, full of idle links: as many as it wants', [SHARER_LINK_CAPS, Array.from({ length: 48 }, (_, i) => ({ peerId: String(i).padStart(32, '0'), since: i, lastUsed: undefined, address: String(i) })), null, 40_000], Array.from({ length: 8 }, (_, i) => String(i).padStart(32, '0'))],
  ];
  it.each(cases)('link policy: %s', (_, args, want) => {
    expect(linksToGiveWay(...args)).toEqual(want);
  });
});
