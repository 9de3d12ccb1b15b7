import type { FileId, PeerId, SwarmId } from '../../shared/ids.ts';
import type { Manifest } from '../../shared/manifest.ts';
import type { PeerInfo } from '../../shared/signaling.ts';
import type { AnnounceOutcome, JoinOutcome } from './rooms.ts';

// What the frame handlers know of swarms beyond their own sockets: membership, announcements, share codes,
// and delivery to a member wherever it is connected. Two implementations share this contract and one test
// suite: the in-memory default (one process) and Redis (several processes of one school).

export interface DirectoryHealth {
  /** 'memory': the embedded default; 'redis': connected; 'degraded': Redis unreachable, serving from memory. */
  mode: 'memory' | 'redis' | 'degraded';
  processId: string;
}

/** Local sockets, as the directory sees them: whom to hand a frame to, and under which name. */
export interface LocalPeers {
  /** Sends pre-encoded text to a peer connected to this process; false when it is not. */
  deliver(peerId: PeerId, text: string): boolean;
  info(peerId: PeerId): PeerInfo | undefined;
}

export interface Directory {
  join(peerId: PeerId, swarmId: SwarmId): Promise<JoinOutcome>;
  /** False when the peer was not a member. An emptied swarm is forgotten with its announcements and code. */
  leave(peerId: PeerId, swarmId: SwarmId): Promise<boolean>;
  /** Every swarm a local peer is in, left at once; returns the swarms left. */
  leaveAll(peerId: PeerId): Promise<SwarmId[]>;
  isMember(peerId: PeerId, swarmId: SwarmId): Promise<boolean>;
  /** The swarms of a peer connected to this process (synchronous: the TURN relay asks per packet). */
  localSwarmsOf(peerId: PeerId): ReadonlySet<SwarmId>;
  /** Every member, wherever connected, in join order where known. */
  members(swarmId: SwarmId): Promise<PeerInfo[]>;
  /** A local peer's nickname changed: members on other processes list the new one. */
  updatePeer(peer: PeerInfo): Promise<void>;
  /** `address` is the announcer's (guards/addresses.ts): manifest bytes are budgeted per peer, per address and in total. */
  announce(swarmId: SwarmId, from: PeerId, address: string, fileId: FileId, manifest: Manifest): Promise<AnnounceOutcome>;
  /** Each stored announcement as `{"fileId":…,"manifest":…,"from":…}`, serialized once when stored. */
  announcements(swarmId: SwarmId): Promise<string[]>;
  /** Same code for the same swarm while it lives; null when the swarm does not exist. */
  shareCode(swarmId: SwarmId): Promise<string | null>;
  resolveCode(code: string): Promise<SwarmId | null>;
  /** Sends to every member of the swarm, on every process, except `except`. */
  broadcast(swarmId: SwarmId, text: string, except: PeerId | null): void;
  /** Sends to every member of any of `swarmIds` once, except `except` (a nickname change). */
  broadcastOnce(swarmIds: Iterable<SwarmId>, text: string, except: PeerId): void;
  /** Sends to `to` wherever it is connected, if it shares a swarm with the local peer `from`; else false. */
  relay(from: PeerId, to: PeerId, text: string): Promise<boolean>;
  stats(): { swarms: number; peers: number; codes: number };
  health(): DirectoryHealth;
  close(): Promise<void>;
}
