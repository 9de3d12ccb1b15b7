import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { TURN_FD_SHARE } from '../shared/limits.ts';
import { parseOpenFileLimit } from '../shared/open-files.ts';

// A Node peer's links are @roamhq/wrtc peer connections, and each holds file descriptors: ~10 of its own (two
// threads' event loops) and ~11 per network it gathers candidates on (UDP and TCP sockets per interface and
// address family): measured 32 on loopback alone, 54 with two interfaces more. A process that runs out of
// descriptors gets no error from libwebrtc: its event loop exits the process. With Linux's common limit of 1024 open files, 48 links
// attempted at once (a sharer's cap; a hostile student's sockets can ask for all of them) killed the teacher's
// process, so a Node peer takes no more links than its open-file limit has room for.

/** Descriptors one link may hold, counted high: the measured figures plus a margin for its data channel. */
export const fdsPerLink = (networks: number): number => 16 + 12 * networks;
/** Descriptors kept for everything else: the server socket, shared and written files. */
export const FD_RESERVE = 256;
/** Sockets of a 300-laptop hall on a signaling server in the same process (`npm start -- --share`). */
export const HALL_SOCKETS = 300;

/** Descriptors a signaling server in the same process may hold: its relay's share (TURN_FD_SHARE) and a hall's sockets. */
export const serverFiles = (limit: number): number => Math.floor(limit * TURN_FD_SHARE) + HALL_SOCKETS;

/**
 * The networks a peer connection gathers on: one per interface and address family with an address that is not
 * IPv6 link-local (libwebrtc skips those), loopback included.
 */
export function gatheringNetworks(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): number {
  const networks = new Set<string>();
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const a of addresses ?? []) if (!(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'))) networks.add(`${name}/${a.family}`);
  }
  return Math.max(1, networks.size);
}

/** This process's open-file limit (shared/open-files.ts); null where there is no /proc (macOS, Windows: their
 * limits are far above what a peer uses). */
export function openFileLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  try {
    return parseOpenFileLimit(readLimits());
  } catch {
    return null;
  }
}

/** How many links fit in `limit` open files (at least 1: a peer with none could not work at all). */
export const linksWithin = (limit: number, perLink: number, otherFiles = 0): number =>
  Math.max(1, Math.floor((limit - FD_RESERVE - otherFiles) / perLink));

/** What the open-file limit allows this process: null when it caps nothing. */
export interface LinkBudget {
  /** Links at most. */
  links: number;
  /** The open-file limit that sets it. */
  openFiles: number;
}

/** The budget of this process, or null when the limit allows `wanted` links; `withServer`: the signaling server runs here too. */
export function linkBudget(wanted: number, withServer = false, limit = openFileLimit(), networks = gatheringNetworks()): LinkBudget | null {
  if (limit === null) return null;
  const links = linksWithin(limit, fdsPerLink(networks), withServer ? serverFiles(limit) : 0);
  return links >= wanted ? null : { links, openFiles: limit };
}

/** What the terminal says when the limit holds the links down, and how to lift it. */
export const describeLinkBudget = (b: LinkBudget, wanted: number): string =>
  `this process may open ${b.openFiles} files, room for ${b.links} WebRTC link${b.links === 1 ? '' : 's'}, not ${wanted}: ` +
  `raise the limit (e.g. \`ulimit -n 8192\`, or LimitNOFILE= for a service) to serve more peers at once`;
