import { createHmac, randomBytes } from 'node:crypto';
import TurnServer, { type TurnAllocation, type TurnMessage, type TurnReply } from 'node-turn';
import type { PeerId } from '../shared/ids.ts';
import { checkTurnUsername, turnPassword } from './turn-credentials.ts';
import { listenTcp, listenUdp, type Listener } from './turn-transports.ts';

// The teacher's laptop as STUN server and TURN relay: node-turn's message handling, our sockets
// (turn-transports.ts), TURN REST credentials checked against live swarm membership, and fixes for
// node-turn 0.0.6's timers and refresh bug. One port for STUN and TURN, over UDP and TCP.

export interface RelayOptions {
  /** Addresses to listen on; each relayed address is the listening address the client reached. */
  ips: readonly string[];
  /** 0 = any free port (the same number on every address and on UDP and TCP). */
  port: number;
  stun: boolean;
  turn: boolean;
  /** HMAC key of the TURN REST credentials. */
  secret: Uint8Array;
  /** A credential only works while its peer is in at least one swarm. */
  isMember: (peerId: PeerId) => boolean;
  /** Relaying to 127.0.0.0/8 lets a member reach the teacher's own local services: tests only. */
  allowLoopbackPeers?: boolean;
  now?: () => number;
}

export interface Relay {
  port: number;
  allocationCount(): number;
  /** Idempotent. */
  close(): Promise<void>;
}

export const TURN_REALM = 'tabswarm';
/** A peer makes one allocation per link per TURN URL: a class of 60 with UDP + TCP stays well under. */
const MAX_ALLOCATIONS_PER_PEER = 256;
/** RFC 5766 defaults: 10 min allocations, refreshable up to one hour. */
const DEFAULT_LIFETIME_S = 600;
const MAX_LIFETIME_S = 3600;
const NONCE_LIFETIME_MS = 3600_000;

const isLoopback = (address: string): boolean => address.startsWith('127.') || address === '::1' || address === '0.0.0.0';
const peerOf = (username: string): string => username.slice(username.indexOf(':') + 1);

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

function closeAllocation(allocation: TurnAllocation): void {
  clearTimeout(allocation.timer);
  for (const socket of allocation.sockets) socket.close();
}

/** Closes an allocation's relay socket whenever node-turn forgets it (it leaves the socket open). */
function trackAllocations(turn: TurnServer): Record<string, TurnAllocation> {
  const allocations: Record<string, TurnAllocation> = {};
  turn.allocations = new Proxy(allocations, {
    set: (target, key, allocation: TurnAllocation) => {
      const update = allocation.update.bind(allocation);
      // node-turn's update() without a lifetime arms a NaN timer: the allocation would die at once.
      allocation.update = (lifetime) => update(lifetime || allocation.lifetime);
      return Reflect.set(target, key, allocation);
    },
    deleteProperty: (target, key) => {
      const allocation = Reflect.get(target, key) as TurnAllocation | undefined;
      if (allocation) closeAllocation(allocation);
      return Reflect.deleteProperty(target, key);
    },
  });
  // refresh.js reads these two names, which node-turn never sets (every refresh killed the allocation).
  turn.defaultLifetime = DEFAULT_LIFETIME_S;
  turn.maxAllocateTimeout = MAX_LIFETIME_S;
  turn.allocate.checkQuota = (username) => typeof username === 'string' &&
    Object.values(allocations).filter((a) => peerOf(a.user.username) === peerOf(username)).length < MAX_ALLOCATIONS_PER_PEER;
  return allocations;
}

/** Refuses permissions and channels towards loopback: a member must not reach the teacher's local services. */
function guardPeerAddresses(turn: TurnServer): void {
  const forbidden = (msg: TurnMessage, attribute: string) =>
    msg.getAttributes(attribute).some((a) => isLoopback(String((a as { address?: unknown }).address)));
  const guard = (event: string, handle: (msg: TurnMessage, reply: TurnReply) => void) => {
    turn.removeAllListeners(event);
    turn.on(event, (msg: TurnMessage, reply: TurnReply) =>
      forbidden(msg, 'xor-peer-address') ? reply.reject(403, 'Forbidden') : handle(msg, reply));
  };
  guard('create_permission', (msg, reply) => turn.createPermission.createPermission(msg, reply));
  guard('channel_bind', (msg, reply) => turn.channelBind.channelBind(msg, reply));
}

function createTurn(opts: RelayOptions, now: () => number): { turn: TurnServer; allocations: Record<string, TurnAllocation> } {
  const turn = new TurnServer({ authMech: 'long-term', realm: TURN_REALM, debugLevel: 'OFF', log: () => undefined });
  turn.software = 'tabswarm';
  turn.authentification.credentials = credentialLookup(opts, now);
  useStatelessNonces(turn, randomBytes(32), now);
  if (!opts.allowLoopbackPeers) guardPeerAddresses(turn);
  if (!opts.stun) {
    turn.removeAllListeners('binding');
    turn.on('binding', (_msg: TurnMessage, reply: TurnReply) => reply.discard());
  }
  return { turn, allocations: trackAllocations(turn) };
}

/** With port 0, the port the system picks for UDP may be taken for TCP or on another address: pick again. */
const ANY_PORT_ATTEMPTS = 8;

async function listenAll(turn: TurnServer, ips: readonly string[], wanted: number): Promise<{ port: number; listeners: Listener[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listenOnce(turn, ips, wanted);
    } catch (error) {
      const busy = (error as { code?: unknown }).code === 'EADDRINUSE';
      if (wanted !== 0 || !busy || attempt >= ANY_PORT_ATTEMPTS) throw error;
    }
  }
}

async function listenOnce(turn: TurnServer, ips: readonly string[], wanted: number): Promise<{ port: number; listeners: Listener[] }> {
  const listeners: Listener[] = [];
  let port = wanted;
  try {
    for (const ip of ips) {
      const udp = await listenUdp(turn, ip, port);
      listeners.push(udp);
      port = udp.port;
      listeners.push(await listenTcp(turn, ip, port));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
  return { port, listeners };
}

export async function createRelay(opts: RelayOptions): Promise<Relay> {
  const now = opts.now ?? Date.now;
  const { turn, allocations } = createTurn(opts, now);
  const { port, listeners } = await listenAll(turn, opts.ips, opts.port);
  let closing: Promise<void> | null = null;
  const close = async () => {
    for (const key of Object.keys(allocations)) delete turn.allocations[key];
    await Promise.all(listeners.map((listener) => listener.close()));
  };
  return { port, allocationCount: () => Object.keys(allocations).length, close: () => (closing ??= close()) };
}
