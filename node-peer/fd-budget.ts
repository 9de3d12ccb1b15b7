import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

// A Node peer's links are @roamhq/wrtc peer connections, and each holds file descriptors: ~10 of its own (two
// threads' event loops) and ~11 per network it gathers candidates on (UDP and TCP sockets per interface and
// address family): measured 32 on loopback alone, 54 with two interfaces more. A process that runs out of
// descriptors gets no error from libwebrtc: it aborts. With Linux's common limit of 1024 open files, 48 links
// attempted at once (a sharer's cap; a hostile student's sockets can ask for all of them) killed the teacher's
// process, so a Node peer takes no more links than its open-file limit has room for.

/** Descriptors one link may hold, counted high: the measured figures plus a margin for its data channel. */
export const fdsPerLink = (networks: number): number => 16 + 12 * networks;
/** Descriptors kept for everything else: the server socket, shared and written files. */
export const FD_RESERVE = 256;
/** More kept when the signaling server runs in the same process (`npm start -- --share`): a socket and a TURN
 * allocation per laptop of a 300-laptop hall. */
export const SERVER_IN_PROCESS_FILES = 600;

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

/**
 * This process's open-file limit (Node raises the soft limit to the hard one at start), from /proc/self/limits;
 * null where there is no such file (macOS, Windows: their limits are far above what a peer uses).
 */
export function openFileLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return null;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return null;
  const limit = Number(soft);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : null;
}

/** How many links fit in `limit` open files (at least 1: a peer with none could not work at all); null: no cap. */
export function linksWithin(limit: number | null, perLink: number, otherFiles = 0): number | null {
  if (limit === null) return null;
  return Math.max(1, Math.floor((limit - FD_RESERVE - otherFiles) / perLink));
}

/** What the open-file limit allows this process: null when it caps nothing. */
export interface LinkBudget {
  /** Links at most. */
  links: number;
  /** The open-file limit that sets it. */
  openFiles: number;
}

/** The budget of this process, or null when the limit allows `wanted` links; `otherFiles`: kept for other work. */
export function linkBudget(wanted: number, otherFiles = 0, limit = openFileLimit(), networks = gatheringNetworks()): LinkBudget | null {
  const links = linksWithin(limit, fdsPerLink(networks), otherFiles);
  return links === null || limit === null || links >= wanted ? null : { links, openFiles: limit };
}

/** What the terminal says when the limit holds the links down, and how to lift it. */
export const describeLinkBudget = (b: LinkBudget, wanted: number): string =>
  `this process may open ${b.openFiles} files, room for ${b.links} WebRTC links, not ${wanted}: ` +
  `raise the limit (e.g. \`ulimit -n 8192\`, or LimitNOFILE= for a service) to serve more peers at once`;
