import { createHmac, randomBytes } from 'node:crypto';
import TurnServer, { type TurnMessage, type TurnReply } from 'node-turn';
import { isPeerId, type PeerId } from '../../shared/ids.ts';
import type { Logger } from '../log.ts';
import { installAllocations, type Allocations } from './allocations.ts';
import { checkTurnUsername, turnPassword } from './credentials.ts';
import { relayLimits, type RelayLimits } from './limits.ts';
import { createRelayLog, type RelayEvent, type RelayLog } from './events.ts';
import { createPeerPolicy, type Network } from './peer-policy.ts';
import { installRelaying } from './relaying.ts';
import { createTcpConnections, listenTcp, listenUdp, type Listener, type TurnCore } from './transports.ts';

// The teacher's laptop as STUN server and TURN relay: node-turn's message parsing and authentication,
// our sockets (transports.ts), allocations (allocations.ts) and relaying (relaying.ts,
// peer-policy.ts), TURN REST credentials checked against live swarm membership.
// One port for STUN and TURN, over UDP and TCP.

export interface RelayOptions {
  /** Addresses to listen on; each relayed address is the listening address the client reached. */
  ips: readonly string[];
  /** 0 = any free port (the same number on every address and on UDP and TCP). */
  port: number;
  stun: boolean;
  turn: boolean;
  /** HMAC key of the TURN REST credentials. */
  secret: Uint8Array;
  /** A credential only works while its peer is in at least one swarm; endPeer() ends its allocations. */
  isMember: (peerId: PeerId) => boolean;
  /** Networks the relay sends into; default: the subnets of `ips` (turn-peer-policy.ts). */
  peerNetworks?: readonly Network[];
  limits?: Partial<RelayLimits>;
  logger?: Logger;
  now?: () => number;
}

export interface Relay {
  port: number;
  /** The networks it relays into, for the start banner. */
  peerNetworks: readonly Network[];
  allocationCount(): number;
  /** Ends the peer's allocations at once: call when it leaves its last swarm or disconnects. */
  endPeer(peerId: PeerId): void;
  stats(): { allocations: number; tcpConnections: number; events: Partial<Record<RelayEvent, number>> };
  /** Idempotent. */
  close(): Promise<void>;
}

export const TURN_REALM = 'tabswarm';
const NONCE_LIFETIME_MS = 3600_000;

/** node-turn asks `credentials[username]` for the password: computed here from the username, never stored. */
function credentialLookup(opts: RelayOptions, now: () => number): Record<string, string | undefined> {
  return new Proxy({}, {
    get: (_target, username) => {
      if (!opts.turn || typeof username !== 'string') return undefined;
      const peer = checkTurnUsername(username, now());
      return peer.ok && opts.isMember(peer.value) ? turnPassword(opts.secret, username) : undefined;
    },
  });
}

/** Stateless nonces (node-turn keeps each one in a map with a one-hour timer): `<expiry hex><mac>`. */
function useStatelessNonces(turn: TurnServer, key: Buffer, now: () => number): void {
  const mac = (expiry: string) => createHmac('sha256', key).update(expiry).digest('hex').slice(0, 16);
  turn.authentification.generateNonce = () => {
    const expiry = Math.floor(now() + NONCE_LIFETIME_MS).toString(16);
    return expiry + mac(expiry);
  };
  turn.authentification.checkNonce = (nonce) => {
    if (typeof nonce !== 'string' || nonce.length <= 16) return false;
    const expiry = nonce.slice(0, -16);
    return nonce.slice(-16) === mac(expiry) && parseInt(expiry, 16) > now();
  };
}

interface Turn {
  core: TurnCore;
  allocations: Allocations;
  peerNetworks: readonly Network[];
}

function createTurn(opts: RelayOptions, log: RelayLog, now: () => number): Turn {
  const turn = new TurnServer({ authMech: 'long-term', realm: TURN_REALM, debugLevel: 'OFF', log: () => undefined });
  turn.software = 'tabswarm';
  turn.authentification.credentials = credentialLookup(opts, now);
  useStatelessNonces(turn, randomBytes(32), now);
  if (!opts.stun) {
    turn.removeAllListeners('binding');
    turn.on('binding', (_msg: TurnMessage, reply: TurnReply) => reply.discard());
  }
  const limits = relayLimits(opts.limits);
  const isMember = (peer: string) => isPeerId(peer) && opts.isMember(peer);
  const allocations = installAllocations(turn, { limits, log, isMember });
  const policy = createPeerPolicy({ listening: opts.ips, networks: opts.peerNetworks ?? null, isRelayed: allocations.isRelayed });
  const relaying = installRelaying(turn, { policy, limits, log });
  const core: TurnCore = { turn, relaying, limits, log, tcp: createTcpConnections(limits) };
  return { core, allocations, peerNetworks: policy.networks };
}

/** With port 0, the port the system picks for UDP may be taken for TCP or on another address: pick again. */
const ANY_PORT_ATTEMPTS = 8;

async function listenAll(core: TurnCore, ips: readonly string[], wanted: number): Promise<{ port: number; listeners: Listener[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listenOnce(core, ips, wanted);
    } catch (error) {
      const busy = (error as { code?: unknown }).code === 'EADDRINUSE';
      if (wanted !== 0 || !busy || attempt >= ANY_PORT_ATTEMPTS) throw error;
    }
  }
}

async function listenOnce(core: TurnCore, ips: readonly string[], wanted: number): Promise<{ port: number; listeners: Listener[] }> {
  const listeners: Listener[] = [];
  let port = wanted;
  try {
    for (const ip of ips) {
      const udp = await listenUdp(core, ip, port);
      listeners.push(udp);
      port = udp.port;
      listeners.push(await listenTcp(core, ip, port));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
  return { port, listeners };
}

export async function createRelay(opts: RelayOptions): Promise<Relay> {
  const now = opts.now ?? Date.now;
  const log = createRelayLog(opts.logger, now);
  const { core, allocations, peerNetworks } = createTurn(opts, log, now);
  const { port, listeners } = await listenAll(core, opts.ips, opts.port);
  let closing: Promise<void> | null = null;
  const close = async () => {
    allocations.closeAll();
    await Promise.all(listeners.map((listener) => listener.close()));
  };
  return {
    port,
    peerNetworks,
    allocationCount: allocations.count,
    endPeer: allocations.endPeer,
    stats: () => ({ allocations: allocations.count(), tcpConnections: core.tcp.count(), events: log.counts() }),
    close: () => (closing ??= close()),
  };
}
