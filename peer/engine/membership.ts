import type { SwarmId } from '../../shared/ids.ts';
import type { Announcement, PeerInfo } from '../../shared/signaling.ts';
import { milestone } from '../milestones.ts';
import type { SignalingClient } from '../signaling/client.ts';
import type { ServerState } from '../snapshot-types.ts';
import type { EngineContext } from './engine-context.ts';
import { createAnnouncedRoutes } from './file-routes.ts';
import { sendHello } from './peer-session.ts';

// What the signaling server tells the engine: who is in which swarm (so hellos declare exactly the
// swarms both sides are in), nicknames, and announcements (routes to add).

export interface MembershipHooks {
  changed: () => void;
  /** A swarm joined through the signaling client directly (e.g. the page's #swarm= fragment). */
  adopt: (swarmId: SwarmId) => void;
  setServer: (state: ServerState) => void;
}

export function subscribeMembership(ctx: Pick<EngineContext, 'state' | 'store' | 'now' | 'send' | 'changed' | 'uploads' | 'sha256'>, signaling: SignalingClient, hooks: MembershipHooks): () => void {
  const { state } = ctx;

  function onMembers(swarmId: SwarmId, members: Pick<PeerInfo, 'peerId' | 'nickname'>[]): void {
    if (!state.table.swarms.has(swarmId)) return;
    state.members.set(swarmId, new Set(members.map((m) => m.peerId)));
    for (const m of members) state.nicknames.set(m.peerId, m.nickname);
    for (const peer of state.peers.values()) sendHello(ctx, peer);
    hooks.changed();
  }

  const announced = createAnnouncedRoutes(ctx);
  const onAnnouncements = (swarmId: SwarmId, list: Announcement[]): void => {
    for (const a of list) announced(swarmId, a.fileId, a.manifest, a.from);
  };

  return signaling.subscribe({
    onStatus: (s) => {
      hooks.setServer(s === 'open' ? 'connected' : s === 'closed' ? 'closed' : state.selfId === null ? 'connecting' : 'reconnecting');
      hooks.changed();
    },
    onWelcome: ({ peerId }) => {
      state.selfId = peerId;
      hooks.changed();
    },
    onJoined: (swarmId, members, announcements) => {
      milestone('joined');
      if (!state.table.swarms.has(swarmId)) hooks.adopt(swarmId);
      onMembers(swarmId, members);
      onAnnouncements(swarmId, announcements);
    },
    onPeerJoined: (swarmId, peer) => {
      const members = state.members.get(swarmId);
      if (!members) return;
      onMembers(swarmId, [...[...members].map((peerId) => ({ peerId, nickname: state.nicknames.get(peerId) ?? '' })), peer]);
    },
    onPeerLeft: (swarmId, peerId) => {
      if (!state.members.get(swarmId)?.delete(peerId)) return;
      for (const peer of state.peers.values()) sendHello(ctx, peer);
      hooks.changed();
    },
    onPeerUpdated: (peer) => {
      state.nicknames.set(peer.peerId, peer.nickname);
      hooks.changed();
    },
    onAnnouncement: (swarmId, a) => onAnnouncements(swarmId, [a]),
  });
}
