import type { WebSocket } from 'ws';
import type { PeerId, SwarmId } from '../shared/ids.ts';
import * as L from '../shared/limits.ts';
import { encodeFrame, type IceServer, type PeerInfo, type ServerFrameBody, type SignalError } from '../shared/signaling.ts';
import type { IceProvider } from './relay/ice-config.ts';
import type { Logger } from './log.ts';
import type { AddressLimits, Addresses } from './guards/addresses.ts';
import type { SocketRateLimiter, RateLimits } from './guards/rate-limit.ts';
import type { Directory } from './directory/contract.ts';
import type { RoomLimits } from './directory/rooms.ts';

// The state one server instance shares between its sockets, and the ways to send to them.

export interface ServerLimits extends RoomLimits, RateLimits, AddressLimits {
  maxFrameBytes: number;
  maxHelloFrameBytes: number;
  helloTimeoutMs: number;
  unfinishedMessageMs: number;
  maxOversizedFrames: number;
  resolveCodeCost: number;
  maxMissedPongs: number;
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: L.MAX_SIGNAL_FRAME_BYTES,
  maxHelloFrameBytes: L.MAX_HELLO_FRAME_BYTES,
  helloTimeoutMs: L.HELLO_TIMEOUT_MS,
  unfinishedMessageMs: L.UNFINISHED_MESSAGE_MS,
  maxConnectionsPerAddress: L.MAX_CONNECTIONS_PER_ADDRESS,
  maxConnections: L.MAX_CONNECTIONS,
  newConnectionsBurstPerAddress: L.NEW_CONNECTIONS_BURST_PER_ADDRESS,
  newConnectionsPerSecondPerAddress: L.NEW_CONNECTIONS_PER_SECOND_PER_ADDRESS,
  inboundBytesBurstPerAddress: L.INBOUND_BYTES_BURST_PER_ADDRESS,
  inboundBytesPerSecondPerAddress: L.INBOUND_BYTES_PER_SECOND_PER_ADDRESS,
  codeGuessBurstPerAddress: L.CODE_GUESS_BURST_PER_ADDRESS,
  codeGuessesPerSecondPerAddress: L.CODE_GUESSES_PER_SECOND_PER_ADDRESS,
  wrongCodeBurst: L.WRONG_CODE_BURST,
  wrongCodesPerSecond: L.WRONG_CODES_PER_SECOND,
  maxOversizedFrames: L.MAX_OVERSIZED_FRAMES,
  rateBurst: L.SIGNAL_RATE_BURST,
  ratePerSecond: L.SIGNAL_RATE_PER_SECOND,
  resolveCodeCost: L.RESOLVE_CODE_COST,
  maxRateStrikes: L.MAX_RATE_STRIKES,
  rateStrikesPerSecond: L.RATE_STRIKES_PER_SECOND,
  maxMissedPongs: L.MAX_MISSED_PONGS,
  maxBufferedBytes: L.MAX_SIGNAL_BUFFERED_BYTES,
  maxSwarmsPerSocket: L.MAX_SWARMS_PER_SOCKET,
  maxMembersPerSwarm: L.MAX_MEMBERS_PER_SWARM,
  maxAnnouncementsPerSwarm: L.MAX_ANNOUNCEMENTS_PER_SWARM,
  maxAnnouncedBytesPerSwarm: L.MAX_ANNOUNCED_BYTES_PER_SWARM,
  maxAnnouncedBytesPerPeer: L.MAX_ANNOUNCED_BYTES_PER_PEER,
  maxAnnouncedBytesPerAddress: L.MAX_ANNOUNCED_BYTES_PER_ADDRESS,
  maxAnnouncedBytesTotal: L.MAX_ANNOUNCED_BYTES_TOTAL,
};

/** One connected socket. */
export interface Client {
  socket: WebSocket;
  session: Session | null; // set by hello; null again once replaced by a resumed socket
  limiter: SocketRateLimiter;
  oversizedFrames: number; // frames over maxFrameBytes so far
  helloSeen: boolean; // a valid hello arrived: full-size frames from now on
  missedPongs: number; // pings sent since the last pong that echoed one
  unansweredPings: Buffer[]; // their random payloads: only a pong echoing one proves the socket reads
  unfinishedSince: number | null; // ms when a half-received message was first seen; null between messages
  handled: Promise<void>; // the last frame's handling: frames are handled one after another, in order
  closing: boolean; // closed for abuse: nothing more it sends is handled
  host: string | undefined; // the HTTP Host of the upgrade: where the browser reached this server
  address: string; // the remote IP (guards/addresses.ts): what connection, guess and manifest budgets are counted by
  addressTag: string; // what members are told of that address (Hub.addressTagFor)
}

/** One peer: outlives its socket when resumed. */
export interface Session {
  peerId: PeerId;
  nickname: string;
  client: Client;
  nicknameSent: string; // the nickname the members were last told
  nicknameSentAt: number; // ms when they were told it (handlers.ts: at most one fan-out per NICKNAME_FANOUT_EVERY_MS)
  nicknameTimer: ReturnType<typeof setTimeout> | null; // the pending fan-out of a later change
}

/** What members are told of a peer. */
export const peerInfo = (s: Session): PeerInfo => ({ peerId: s.peerId, nickname: s.nickname, addressTag: s.client.addressTag });

export interface Hub {
  directory: Directory; // swarms, announcements, codes: in memory, or shared by a school's processes through Redis
  sessions: Map<PeerId, Session>;
  iceServers: readonly IceServer[];
  ice: IceProvider | null; // the teacher's STUN/TURN: replaces iceServers, TURN credentials for members only
  limits: ServerLimits;
  addresses: Addresses;
  logger: Logger;
  /** HMAC of the peerId under this server's key: proves a hello's claim to a previous id. */
  resumeSecretFor(peerId: PeerId): string;
  /** Constant-time check of a claimed secret. */
  isResumeSecret(peerId: PeerId, secret: string): boolean;
  /** A keyed hash of an address, ADDRESS_TAG_BYTES: equal for one address, and the address cannot be read back from it. */
  addressTagFor(address: string): string;
  newPeerId(): PeerId;
  randomInt(n: number): number;
}

/** Sends pre-encoded text; a reader too slow to drain its buffer is cut off rather than held in memory. */
export function sendText(hub: Hub, client: Client, text: string): void {
  const { socket } = client;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > hub.limits.maxBufferedBytes) {
    hub.logger.warn('terminating a socket that does not read', { buffered: socket.bufferedAmount });
    socket.terminate();
    return;
  }
  socket.send(text);
}

export const send = (hub: Hub, client: Client, body: ServerFrameBody): void => sendText(hub, client, encodeFrame(body));

export const sendError = (hub: Hub, client: Client, error: SignalError): void =>
  send(hub, client, { type: 'error', ...error });

/** Sends one encoding of `body` to every member of the swarm, wherever connected, except `except`. */
export function broadcast(hub: Hub, swarmId: SwarmId, body: ServerFrameBody, except: PeerId | null): void {
  hub.directory.broadcast(swarmId, encodeFrame(body), except);
}
