import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeLinkBudget, FD_RESERVE, fdsPerLink, gatheringNetworks, linkBudget, linksWithin, openFileLimit } from '../../node-peer/fd-budget.ts';

// A Node peer takes no more WebRTC links than its open-file limit has room for (node-peer/fd-budget.ts): past
// it, libwebrtc aborts the process (a teacher's sharer with Linux's default of 1024 did, under a hostile student).

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

const address = (family: 'IPv4' | 'IPv6', address: string): NetworkInterfaceInfo => ({
  family, address, netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}),
}) as NetworkInterfaceInfo;

describe('fd budget', () => {
  it('reads the soft open-file limit from /proc/self/limits; none where the file is missing or says unlimited', () => {
    expect(openFileLimit(() => LIMITS)).toBe(1024);
    expect(openFileLimit(() => LIMITS.replace(/1024 {17}4096/, 'unlimited            unlimited'))).toBeNull();
    expect(openFileLimit(() => { throw new Error('ENOENT'); })).toBeNull();
    expect(openFileLimit(() => 'garbage')).toBeNull();
  });

  it('counts one network per interface and address family, IPv6 link-local left out', () => {
    expect(gatheringNetworks({
      lo: [address('IPv4', '127.0.0.1'), address('IPv6', '::1')],
      wlan0: [address('IPv4', '192.168.1.23'), address('IPv4', '192.168.1.24'), address('IPv6', 'fe80::1')],
      docker0: [address('IPv6', 'fd00::2')],
    })).toBe(4);
    expect(gatheringNetworks({})).toBe(1);
  });

  it('a limit of 1024 with four networks takes 12 links, not a sharer\'s 48, and says so; a high limit caps nothing', () => {
    expect(fdsPerLink(4)).toBe(64);
    expect(linksWithin(1024, fdsPerLink(4))).toBe(Math.floor((1024 - FD_RESERVE) / 64));
    expect(linkBudget(48, false, 1024, 4)).toEqual({ links: 12, openFiles: 1024 });
    expect(linkBudget(48, false, 1_048_576, 4)).toBeNull();
    expect(linkBudget(12, false, 1024, 4)).toBeNull(); // a tab's 12 fit
    expect(linkBudget(48, false, null, 4)).toBeNull(); // no known limit (macOS, Windows)
  });

  it('a server in the same process keeps its relay\'s share and a hall\'s sockets: 1 link at 1024, 23 at 4096, all 48 at 8192', () => {
    expect(linkBudget(48, true, 1024, 4)).toEqual({ links: 1, openFiles: 1024 });
    expect(linkBudget(48, true, 4096, 4)).toEqual({ links: 23, openFiles: 4096 });
    expect(linkBudget(48, true, 8192, 4)).toBeNull();
    expect(describeLinkBudget({ links: 1, openFiles: 1024 }, 48)).toMatch(/^this process may open 1024 files, room for 1 WebRTC link, not 48: raise the limit/);
  });

  it('a limit too low for even one link by the estimate still allows one: a peer with none could not work at all', () => {
    expect(linkBudget(48, false, 300, 8)).toEqual({ links: 1, openFiles: 300 });
  });
});
