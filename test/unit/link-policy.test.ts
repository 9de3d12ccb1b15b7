import { describe, expect, it } from 'vitest';
import {
  ADDRESS_SHARE, admitLink, countAddresses, IDLE_LINK_MS, linksToGiveWay, peersToTry, SHARER_LINK_CAPS, TAB_LINK_CAPS, type Admission, type HeldLink,
  type LinkView,
} from '../../peer/links/link-policy.ts';
import type { PeerId } from '../../shared/ids.ts';

// What one address may hold of a peer's links, and the sharer's links kept for newcomers (peer/links/link-policy.ts).

const id = (n: number): PeerId => n.toString(16).padStart(32, '0');
const NOW = 100_000;
const BUSY = NOW - 1_000;
const IDLE = NOW - IDLE_LINK_MS - 1;
/** `count` links from `address`, ids from `first`, last used at `lastUsed`. */
const links = (first: number, count: number, address: string, lastUsed = BUSY): HeldLink[] =>
  Array.from({ length: count }, (_, i) => ({ peerId: id(first + i), since: 0, lastUsed: lastUsed - i, address }));
const classmates = (first: number, count: number, lastUsed = BUSY): HeldLink[] =>
  Array.from({ length: count }, (_, i) => ({ peerId: id(first + i), since: 0, lastUsed, address: `laptop ${first + i}` }));

describe('link policy: admission', () => {
  const hogger = links(1000, 40, 'hogger'); // one laptop's 40 sockets, all busy (it fakes requests)
  const newcomer = { address: 'laptop new', newcomer: true };
  const returning = { address: 'laptop new', newcomer: false };
  const cases: [string, Parameters<typeof admitLink>, Admission][] = [
    ['room: yes', [TAB_LINK_CAPS, classmates(1, 11), returning, false, NOW], { accept: true, close: null }],
    ['full, we asked for this offer: yes', [TAB_LINK_CAPS, classmates(1, 12), returning, true, NOW], { accept: true, close: null }],
    ['the sharer, inside its reserve: a newcomer is taken', [SHARER_LINK_CAPS, classmates(1, 40), newcomer, false, NOW], { accept: true, close: null }],
    ['the sharer, inside its reserve: a mate linked before waits (an idle link given way would not let it in)',
      [SHARER_LINK_CAPS, classmates(1, 44), returning, false, NOW], { accept: false, waits: false }],
    ['the sharer, full of busy classmates and one idle: a newcomer takes the idle link, a mate linked before waits',
      [SHARER_LINK_CAPS, [...classmates(1, 47), ...links(100, 1, 'idle', IDLE)], newcomer, false, NOW], { accept: true, close: id(100) }],
    ['full, one address holds more than its share: its longest-idle link gives way, busy or not',
      [SHARER_LINK_CAPS, [...hogger, ...classmates(1, 8)], returning, false, NOW], { accept: true, close: id(1039) }],
    ['full, the asker\'s own address holds its share already: no',
      [SHARER_LINK_CAPS, [...hogger, ...classmates(1, 8)], { address: 'hogger', newcomer: true }, false, NOW], { accept: false, waits: true }],
    ['room, but the asker\'s address holds its share while a mate of another address could be linked: no',
      [TAB_LINK_CAPS, links(1, ADDRESS_SHARE, 'hogger'), { address: 'hogger', newcomer: true }, false, NOW, () => true], { accept: false, waits: false }],
    ['full of busy classmates: a newcomer waits too', [TAB_LINK_CAPS, classmates(1, 12), newcomer, false, NOW], { accept: false, waits: true }],
    ['full, some idle: a newcomer takes the longest-idle link', [TAB_LINK_CAPS, [...classmates(1, 10), ...links(20, 2, 'idle', IDLE)], newcomer, false, NOW],
      { accept: true, close: id(21) }],
    ['full, some idle: a mate linked before waits for the give-way', [TAB_LINK_CAPS, [...classmates(1, 10), ...links(20, 2, 'idle', IDLE)], returning, false, NOW],
      { accept: false, waits: true }],
    ['every peer on one address (loopback): as before, full means no (the tick\'s give-way frees an idle link)',
      [TAB_LINK_CAPS, [...links(1, 11, 'lo'), ...links(20, 1, 'lo', IDLE)], { address: 'lo', newcomer: true }, false, NOW],
      { accept: false, waits: true }],
  ];
  it.each(cases)('link policy: %s', (_, args, want) => {
    expect(admitLink(...args)).toEqual(want);
  });

  it('link policy: a laptop with 64 sockets ends with ADDRESS_SHARE of the sharer\'s links once classmates ask', () => {
    let held = links(1000, SHARER_LINK_CAPS.max, 'hogger');
    for (let i = 0; i < SHARER_LINK_CAPS.max; i++) {
      const asker = { address: `laptop ${i}`, newcomer: true };
      const verdict = admitLink(SHARER_LINK_CAPS, held, asker, false, NOW);
      if (!verdict.accept) continue;
      held = held.filter((l) => l.peerId !== verdict.close);
      if (held.length < SHARER_LINK_CAPS.max) held.push({ peerId: id(i), since: NOW, lastUsed: undefined, ...asker });
    }
    expect(countAddresses(held.map((l) => l.address)).get('hogger')).toBe(ADDRESS_SHARE);
    expect(held).toHaveLength(SHARER_LINK_CAPS.max);
  });
});

describe('link policy: a full peer\'s crowded address', () => {
  const hogger = links(1000, TAB_LINK_CAPS.max, 'hogger'); // busy: it fakes requests

  it('link policy: full of one address\'s busy links while a mate of another address waits: all but its share give way', () => {
    expect(linksToGiveWay(TAB_LINK_CAPS, hogger, null, NOW, () => true)).toEqual(hogger.slice(ADDRESS_SHARE).map((l) => l.peerId));
  });

  it('link policy: full of one address\'s links and no other address to link to (loopback): nothing gives way', () => {
    expect(linksToGiveWay(TAB_LINK_CAPS, hogger, null, NOW, () => false)).toEqual([]);
    expect(linksToGiveWay(TAB_LINK_CAPS, hogger.slice(1), null, NOW, () => true)).toEqual([]); // not full
  });
});

describe('link policy: peers to try', () => {
  const view = (addressOf: (p: PeerId) => string, heldIds: PeerId[] = []): LinkView => ({
    links: heldIds.length, inUse: heldIds.length, asked: 0, has: (p) => heldIds.includes(p), mayTry: () => true,
    addressOf, byAddress: countAddresses(heldIds.map(addressOf)),
  });
  const hogger = Array.from({ length: 10 }, (_, i) => id(100 + i));
  const honest = [id(1), id(2), id(3)];
  const addressOf = (p: PeerId) => (hogger.includes(p) ? 'hogger' : p);

  it('link policy: a mate whose address holds ADDRESS_SHARE links comes after every other', () => {
    expect(peersToTry(TAB_LINK_CAPS, view(addressOf), [...hogger, ...honest])).toEqual([...hogger.slice(0, 4), ...honest, hogger[4]]);
    expect(peersToTry(TAB_LINK_CAPS, view(addressOf, hogger.slice(0, 4)), [...hogger.slice(4), ...honest]))
      .toEqual([...honest, hogger[4]]);
  });

  it('link policy: on one address (loopback) the order is the candidates\'', () => {
    const all = [...honest, ...hogger];
    expect(peersToTry(TAB_LINK_CAPS, view(() => 'lo'), all)).toEqual(all.slice(0, TAB_LINK_CAPS.wanted));
  });
});
