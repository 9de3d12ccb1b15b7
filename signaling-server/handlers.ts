import type { PeerId, SwarmId } from '../shared/ids.ts';
import { verifyManifest } from '../shared/manifest.ts';
import { NICKNAME_FANOUT_EVERY_MS } from '../shared/limits.ts';
import { checkNickname } from '../shared/nickname.ts';
import {
  CLOSE_REPLACED, encodeFrame, SIGNAL_VERSION, type ClientFrame, type IceServer, type SignalError,
} from '../shared/signaling.ts';
import { broadcast, peerInfo, send, sendError, sendText, type Client, type Hub, type Session } from './hub.ts';
import type { AnnounceOutcome } from './directory/rooms.ts';

// One function per client frame type. Every outgoing frame is built here from checked fields.

type Frame<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;

const defaultNickname = (peerId: PeerId): string => `Peer ${peerId.slice(0, 4)}`;

/** Called for a parsed frame; a frame other than hello before hello is ERR_NOT_HELLO. */
export async function handleFrame(hub: Hub, client: Client, frame: ClientFrame): Promise<void> {
  const session = client.session;
  if (frame.type === 'hello') return onHello(hub, client, frame);
  if (!session) return sendError(hub, client, { code: 'ERR_NOT_HELLO', message: 'send hello first', ref: frame.type });
  switch (frame.type) {
    case 'join': return onJoin(hub, session, frame.swarmId);
    case 'leave': return onLeave(hub, session, frame.swarmId);
    case 'announce': return onAnnounce(hub, session, frame);
    case 'signal': return onSignal(hub, session, frame);
    case 'nickname': return onNicknameFrame(hub, session, frame.nickname);
    case 'share-code': return onShareCode(hub, session, frame.swarmId);
    case 'resolve-code': return onResolveCode(hub, session, frame.code);
    default: {
      const unreachable: never = frame;
      return unreachable;
    }
  }
}

async function onHello(hub: Hub, client: Client, frame: Frame<'hello'>): Promise<void> {
  if (client.session) return sendError(hub, client, { code: 'ERR_BAD_FRAME', message: 'hello was already sent', ref: 'hello' });
  const claimed = frame.peerId !== undefined && frame.resumeSecret !== undefined
    && hub.isResumeSecret(frame.peerId, frame.resumeSecret) ? frame.peerId : null;
  const peerId = claimed ?? hub.newPeerId();
  const nickname = frame.nickname === undefined ? null : checkNickname(frame.nickname);
  const stale = hub.sessions.get(peerId);
  const named = nickname?.ok ? nickname.value : defaultNickname(peerId);
  const session: Session = stale ?? { peerId, nickname: named, client, nicknameSent: named, nicknameSentAt: 0, nicknameTimer: null };
  if (stale) replaceSocket(hub, stale, client);
  client.session = session;
  hub.sessions.set(peerId, session);
  send(hub, client, {
    type: 'welcome', peerId, resumeSecret: hub.resumeSecretFor(peerId), resumed: claimed !== null, iceServers: iceServersFor(hub, session),
  });
  // A refused nickname does not refuse the hello: the tab joins under its default name and is told why.
  if (nickname && !nickname.ok) sendError(hub, client, { code: 'ERR_NICKNAME', message: nickname.error, ref: 'hello' });
  if (stale && nickname?.ok && nickname.value !== stale.nickname) await onNickname(hub, stale, nickname.value);
}

/** TURN credentials go to swarm members only (a resumed session may already be one). */
function iceServersFor(hub: Hub, session: Session): IceServer[] {
  if (!hub.ice) return [...hub.iceServers];
  const { host } = session.client;
  const isMember = hub.directory.localSwarmsOf(session.peerId).size > 0;
  return isMember ? hub.ice.memberIceServers(host, session.peerId) : hub.ice.publicIceServers(host);
}

/** The stale socket's memberships become the new socket's: no peer-left / peer-joined churn. */
function replaceSocket(hub: Hub, session: Session, client: Client): void {
  const old = session.client;
  old.session = null;
  session.client = client;
  hub.logger.info('session resumed on a new socket');
  old.socket.close(CLOSE_REPLACED, 'replaced');
}

async function onJoin(hub: Hub, session: Session, swarmId: SwarmId): Promise<void> {
  const outcome = await hub.directory.join(session.peerId, swarmId);
  if (outcome === 'too-many-swarms' || outcome === 'swarm-full') {
    const message = outcome === 'swarm-full' ? 'swarm is full' : 'joined too many swarms';
    return sendError(hub, session.client, { code: 'ERR_LIMIT', message, ref: 'join' });
  }
  if (hub.ice) send(hub, session.client, { type: 'ice-servers', iceServers: iceServersFor(hub, session) });
  sendText(hub, session.client, await joinedText(hub, session.peerId, swarmId));
  if (outcome === 'joined') broadcast(hub, swarmId, { type: 'peer-joined', swarmId, peer: peerInfo(session) }, session.peerId);
}

/** The joined frame, with each stored announcement spliced in as serialized when it was stored. */
async function joinedText(hub: Hub, joiner: PeerId, swarmId: SwarmId): Promise<string> {
  const [all, stored] = await Promise.all([hub.directory.members(swarmId), hub.directory.announcements(swarmId)]);
  const members = all.filter((m) => m.peerId !== joiner);
  const announcements = stored.join(',');
  const head = JSON.stringify({ v: SIGNAL_VERSION, type: 'joined', swarmId, members });
  return `${head.slice(0, -1)},"announcements":[${announcements}]}`;
}

async function onLeave(hub: Hub, session: Session, swarmId: SwarmId): Promise<void> {
  if (!(await hub.directory.leave(session.peerId, swarmId))) {
    return sendError(hub, session.client, { code: 'ERR_NOT_MEMBER', message: 'not a member of that swarm', ref: 'leave' });
  }
  send(hub, session.client, { type: 'left', swarmId });
  broadcast(hub, swarmId, { type: 'peer-left', swarmId, peerId: session.peerId }, null);
  // TURN allocations are earned by membership: they end with the last swarm.
  if (hub.directory.localSwarmsOf(session.peerId).size === 0) hub.ice?.endRelaying(session.peerId);
}

/** Everything a departed session leaves behind: memberships (peer-left to each swarm) and its id. */
export async function endSession(hub: Hub, session: Session): Promise<void> {
  hub.sessions.delete(session.peerId);
  if (session.nicknameTimer !== null) clearTimeout(session.nicknameTimer);
  for (const swarmId of await hub.directory.leaveAll(session.peerId)) {
    broadcast(hub, swarmId, { type: 'peer-left', swarmId, peerId: session.peerId }, null);
  }
  hub.ice?.endRelaying(session.peerId);
}

async function onAnnounce(hub: Hub, session: Session, frame: Frame<'announce'>): Promise<void> {
  const notMember = { code: 'ERR_NOT_MEMBER', message: 'announce only in a swarm you joined', ref: 'announce' } as const;
  if (!hub.directory.localSwarmsOf(session.peerId).has(frame.swarmId)) return sendError(hub, session.client, notMember);
  const verified = await verifyManifest(frame.fileId, frame.manifest);
  if (!verified.ok) {
    return sendError(hub, session.client, { code: 'ERR_MANIFEST', message: verified.error.message, ref: 'announce' });
  }
  if (hub.sessions.get(session.peerId) !== session) return; // the peer went away while we hashed
  const { swarmId, fileId } = frame;
  const manifest = verified.value;
  const outcome = await hub.directory.announce(swarmId, session.peerId, session.client.address, fileId, manifest);
  if (outcome === 'not-member') return sendError(hub, session.client, notMember);
  const refusal = ANNOUNCE_REFUSALS[outcome];
  if (refusal) return sendError(hub, session.client, { ...refusal, ref: 'announce' });
  if (outcome === 'stored') {
    broadcast(hub, swarmId, { type: 'announcement', swarmId, fileId, manifest, from: session.peerId }, session.peerId);
  }
}

async function onSignal(hub: Hub, session: Session, frame: Frame<'signal'>): Promise<void> {
  const text = encodeFrame({ type: 'signal', from: session.peerId, payload: frame.payload });
  if (!(await hub.directory.relay(session.peerId, frame.to, text))) {
    return sendError(hub, session.client, { code: 'ERR_NO_SUCH_PEER', message: 'no such peer in your swarms', ref: 'signal' });
  }
}

const ANNOUNCE_REFUSALS: Partial<Record<AnnounceOutcome, SignalError>> = {
  'too-many': { code: 'ERR_LIMIT', message: 'too many files in this swarm' },
  'too-large': { code: 'ERR_LIMIT', message: 'manifests of this swarm exceed their byte budget' },
  'over-peer-budget': { code: 'ERR_BUDGET', message: 'your announced manifests exceed the budget of one peer' },
  'over-address-budget': { code: 'ERR_BUDGET', message: 'manifests announced from your address exceed its budget' },
  'over-total-budget': { code: 'ERR_BUDGET', message: 'the server stores all the manifests it can: try later' },
};

async function onNicknameFrame(hub: Hub, session: Session, typed: string): Promise<void> {
  const nickname = checkNickname(typed);
  if (!nickname.ok) return sendError(hub, session.client, { code: 'ERR_NICKNAME', message: nickname.error, ref: 'nickname' });
  await onNickname(hub, session, nickname.value);
}

/**
 * The new nickname is the session's at once (a member list or a newcomer sees it); the members are told at most
 * once per NICKNAME_FANOUT_EVERY_MS, the latest nickname last, so one member cannot multiply its frames 255-fold.
 */
async function onNickname(hub: Hub, session: Session, nickname: string): Promise<void> {
  session.nickname = nickname;
  if (session.nicknameTimer !== null) return; // the fan-out already pending sends the latest
  const wait = session.nicknameSentAt + NICKNAME_FANOUT_EVERY_MS - Date.now();
  if (wait <= 0) return fanOutNickname(hub, session);
  session.nicknameTimer = setTimeout(() => {
    session.nicknameTimer = null;
    if (hub.sessions.get(session.peerId) !== session) return;
    fanOutNickname(hub, session).catch((e: unknown) => hub.logger.warn('nickname fan-out failed', { error: String(e) }));
  }, wait);
  session.nicknameTimer.unref();
}

/** peer-updated reaches every peer sharing a swarm with this one, once each. */
async function fanOutNickname(hub: Hub, session: Session): Promise<void> {
  if (session.nickname === session.nicknameSent) return;
  session.nicknameSent = session.nickname;
  session.nicknameSentAt = Date.now();
  await hub.directory.updatePeer(peerInfo(session));
  const text = encodeFrame({ type: 'peer-updated', peer: peerInfo(session) });
  hub.directory.broadcastOnce(hub.directory.localSwarmsOf(session.peerId), text, session.peerId);
}

async function onShareCode(hub: Hub, session: Session, swarmId: SwarmId): Promise<void> {
  const code = hub.directory.localSwarmsOf(session.peerId).has(swarmId) ? await hub.directory.shareCode(swarmId) : null;
  if (code === null) {
    return sendError(hub, session.client, { code: 'ERR_NOT_MEMBER', message: 'share only a swarm you joined', ref: 'share-code' });
  }
  send(hub, session.client, { type: 'share-code', swarmId, code });
}

/** Guesses are counted per address (reconnecting buys none) and wrong codes server-wide (guards/addresses.ts). */
async function onResolveCode(hub: Hub, session: Session, code: string): Promise<void> {
  const verdict = hub.addresses.guess(session.client.address);
  if (verdict !== 'ok') {
    const message = verdict === 'address-rate' ? 'too many codes tried from your address: wait a few seconds'
      : 'too many wrong codes tried on this server: wait a few seconds, or use the join link';
    return sendError(hub, session.client, { code: 'ERR_RATE_LIMIT', message, ref: 'resolve-code' });
  }
  const swarmId = await hub.directory.resolveCode(code);
  if (swarmId === null) {
    hub.addresses.reportWrongCode();
    return sendError(hub, session.client, { code: 'ERR_UNKNOWN_CODE', message: 'no swarm has that code', ref: 'resolve-code' });
  }
  send(hub, session.client, { type: 'code-resolved', code, swarmId });
}
