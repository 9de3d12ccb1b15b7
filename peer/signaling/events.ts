import type { PeerId, SwarmId } from '../../shared/ids.ts';
import type { Announcement, IceServer, PeerInfo, SignalError, SignalPayload } from '../../shared/signaling.ts';

// What the signaling client tells its subscribers: client.ts emits these, dispatch.ts maps server frames to them.

export type SignalingStatus = 'connecting' | 'open' | 'closed';

export interface Welcome {
  peerId: PeerId;
  resumed: boolean;
  iceServers: IceServer[];
}

export interface SignalingHandlers {
  onStatus(status: SignalingStatus): void;
  onWelcome(welcome: Welcome): void;
  onJoined(swarmId: SwarmId, members: PeerInfo[], announcements: Announcement[]): void;
  onLeft(swarmId: SwarmId): void;
  onPeerJoined(swarmId: SwarmId, peer: PeerInfo): void;
  onPeerLeft(swarmId: SwarmId, peerId: PeerId): void;
  onPeerUpdated(peer: PeerInfo): void;
  onAnnouncement(swarmId: SwarmId, announcement: Announcement): void;
  onSignal(from: PeerId, payload: SignalPayload): void;
  onError(error: SignalError): void;
}

export type Emit = <K extends keyof SignalingHandlers>(name: K, ...args: Parameters<SignalingHandlers[K]>) => void;
