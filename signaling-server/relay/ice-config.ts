import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { PeerId } from '../../shared/ids.ts';
import type { IceServer } from '../../shared/signaling.ts';
import type { Logger } from '../log.ts';
import { issueTurnCredential } from './credentials.ts';
import { networkText, type Network } from './peer-policy.ts';
import { createRelay, type Relay } from './turn-server.ts';

// What the browsers get as ICE servers: the teacher's own STUN and TURN at the address the browser
// used to reach the page, TURN credentials only for swarm members, then any configured extras.

export interface IceConfig {
  stunPort: number | null; // null = off
  turnPort: number | null; // null = off
  /** Lifetime of a TURN credential. Relayed links die when it ends, so it spans a school day. */
  turnTtlSeconds: number;
  /** Listening addresses of STUN/TURN; empty = every IPv4 address of this machine. */
  ips: readonly string[];
  /** TURN_NETWORKS: where the relay may send, as `address/prefix`; null = the subnets it listens on. */
  turnNetworks: readonly Network[] | null;
  extraIceServers: readonly IceServer[];
}

export interface IceServices {
  /** For any connected tab: STUN and the extras. `host` is the HTTP Host the browser used. */
  publicIceServers(host: string | undefined): IceServer[];
  /** For a swarm member: the same plus TURN with fresh credentials for this peer. */
  memberIceServers(host: string | undefined, peerId: PeerId): IceServer[];
  /** Ends the peer's TURN allocations at once: it left its last swarm or disconnected. */
  endRelaying(peerId: PeerId): void;
  /** What the start banner prints. */
  describe(): string[];
  close(): Promise<void>;
}

export const DEFAULT_ICE_PORT = 3478;
/** A school day: a relayed link dies when its credential ends. */
export const DEFAULT_TURN_TTL_S = 8 * 3600;

/** STUN and TURN on one port (one listener), on every IPv4 address, into the subnets they listen on. */
export const DEFAULT_ICE_CONFIG: IceConfig = {
  stunPort: DEFAULT_ICE_PORT, turnPort: DEFAULT_ICE_PORT, turnTtlSeconds: DEFAULT_TURN_TTL_S, ips: [], turnNetworks: null, extraIceServers: [],
};

const localIpv4Addresses = (): string[] =>
  Object.values(networkInterfaces()).flat().flatMap((a) => (a && a.family === 'IPv4' ? [a.address] : []));

const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;

/** The host part of an HTTP Host header, safe to put in an ICE URL; null when absent or odd. */
export function iceHostFrom(header: string | undefined): string | null {
  const match = header === undefined ? null : HOST_PATTERN.exec(header.trim());
  const host = match?.[1]?.toLowerCase() ?? null;
  // Chromium may resolve localhost to ::1, where nothing listens.
  return host === 'localhost' ? '127.0.0.1' : host;
}

interface Options {
  isMember: (peerId: PeerId) => boolean;
  logger?: Logger;
  now?: () => number;
}

interface Relays {
  relays: Relay[];
  stunPort: number | null;
  turnPort: number | null;
  turnRelay: Relay | null;
}

async function startRelays(config: IceConfig, opts: Options, secret: Uint8Array): Promise<Relays> {
  const ips = config.ips.length > 0 ? config.ips : localIpv4Addresses();
  const base = {
    ips, secret, isMember: opts.isMember, ...(config.turnNetworks ? { peerNetworks: config.turnNetworks } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.now ? { now: opts.now } : {}),
  };
  const { stunPort, turnPort } = config;
  if (stunPort !== null && stunPort === turnPort) {
    const relay = await createRelay({ ...base, port: stunPort, stun: true, turn: true });
    return { relays: [relay], stunPort: relay.port, turnPort: relay.port, turnRelay: relay };
  }
  const started: Relays = { relays: [], stunPort: null, turnPort: null, turnRelay: null };
  try {
    if (stunPort !== null) {
      const relay = await createRelay({ ...base, port: stunPort, stun: true, turn: false });
      started.relays.push(relay);
      started.stunPort = relay.port;
    }
    if (turnPort !== null) {
      const relay = await createRelay({ ...base, port: turnPort, stun: false, turn: true });
      started.relays.push(relay);
      started.turnPort = relay.port;
      started.turnRelay = relay;
    }
  } catch (error) {
    await Promise.all(started.relays.map((relay) => relay.close()));
    throw error;
  }
  return started;
}

/** What to do about the errors a teacher meets when the relay cannot listen. */
const START_HINTS: Record<string, string> = {
  EADDRINUSE: ' (is tabswarm already running? stop it first; another STUN/TURN server? set STUN_PORT / TURN_PORT, or STUN=off TURN=off)',
  EADDRNOTAVAIL: ' (HOST is not an address of this machine now: leave HOST unset, or give one of the addresses `npm start` prints without it)',
  ENOTFOUND: ' (HOST is not an address)',
};

export async function startIceServices(config: IceConfig, opts: Options): Promise<IceServices> {
  const secret = randomBytes(32);
  const { relays, stunPort, turnPort, turnRelay } = await startRelays(config, opts, secret).catch((error: unknown) => {
    const hint = START_HINTS[String((error as { code?: unknown }).code)] ?? '';
    throw new Error(`STUN/TURN could not start: ${String(error)}${hint}`, { cause: error });
  });
  const now = opts.now ?? Date.now;
  const publicIceServers = (header: string | undefined): IceServer[] => {
    const host = iceHostFrom(header);
    const stun = host !== null && stunPort !== null ? [{ urls: `stun:${host}:${stunPort}` }] : [];
    return [...stun, ...config.extraIceServers];
  };
  const memberIceServers = (header: string | undefined, peerId: PeerId): IceServer[] => {
    const host = iceHostFrom(header);
    if (host === null || turnPort === null) return publicIceServers(header);
    const { username, credential } = issueTurnCredential(secret, peerId, now(), config.turnTtlSeconds);
    const urls = [`turn:${host}:${turnPort}?transport=udp`, `turn:${host}:${turnPort}?transport=tcp`];
    return [...publicIceServers(header), { urls, username, credential }];
  };
  const ipsText = config.ips.length > 0 ? config.ips.join(', ') : 'every IPv4 address';
  const networks = [...new Set(turnRelay?.peerNetworks.map(networkText))].join(', '); // two addresses of one subnet: listed once
  const describe = () => [
    stunPort === null ? 'STUN: off' : `STUN: on, UDP ${stunPort} (${ipsText})`,
    turnPort === null ? 'TURN relay: off' : `TURN relay: on, UDP+TCP ${turnPort} (${ipsText}), credentials for swarm members, valid ${config.turnTtlSeconds} s`,
    ...(turnRelay ? [`TURN relays between its clients and into ${networks || 'no other network'} (TURN_NETWORKS), never to loopback, link-local or multicast`] : []),
    `extra ICE servers: ${config.extraIceServers.length === 0 ? 'none' : config.extraIceServers.map((s) => String(s.urls)).join(', ')}`,
  ];
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= Promise.all(relays.map((relay) => relay.close())).then(() => undefined));
  const endRelaying = (peerId: PeerId) => turnRelay?.endPeer(peerId);
  return { publicIceServers, memberIceServers, endRelaying, describe, close };
}

/** What the signaling server needs of the ICE services. */
export type IceProvider = Pick<IceServices, 'publicIceServers' | 'memberIceServers' | 'endRelaying'>;
