import * as v from 'valibot';
import { FILE_ID_BYTES, PEER_ID_BYTES, SWARM_ID_BYTES } from './ids.ts';
import {
  MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH, MAX_SIGNAL_FRAME_BYTES, SHARE_CODE_LENGTH,
} from './limits.ts';
import { ManifestSchema, type Manifest } from './manifest.ts';
import { isShownNickname, MAX_RAW_NICKNAME_LENGTH } from './nickname.ts';
import { err, ok, type Result } from './result.ts';

// Tab ↔ server signaling: JSON text frames over one WebSocket at `/ws` (docs/protocol.md).
// One schema for both sides: the server parses client frames, the client parses server frames.
// valibot objects drop unknown keys, so a parsed frame is already rebuilt from checked fields.

export const SIGNAL_VERSION = 1;
export const SIGNAL_PATH = '/ws';
/** Where `npm start` serves the page and SIGNAL_PATH, and where `tabswarm` looks without --server. */
export const DEFAULT_PORT = 8080;
export const RESUME_SECRET_BYTES = 32;
/** Typed by people: no 0/O, 1/I/L to confuse. */
export const SHARE_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export const CLOSE_REPLACED = 4001;
export const CLOSE_SHUTDOWN = 4002;
export const CLOSE_RATE_LIMIT = 4008;
export const CLOSE_TOO_LARGE = 4009;
/** No hello within HELLO_TIMEOUT_MS, or another frame before it. */
export const CLOSE_NO_HELLO = 4010;
/** This address already holds MAX_CONNECTIONS_PER_ADDRESS sockets. */
export const CLOSE_TOO_MANY_FROM_ADDRESS = 4011;
/** The server already holds MAX_CONNECTIONS sockets. */
export const CLOSE_SERVER_FULL = 4012;
/** A message begun and left unfinished for UNFINISHED_MESSAGE_MS. */
export const CLOSE_UNFINISHED = 4014;

export const SIGNAL_ERROR_CODES = [
  'ERR_BAD_JSON', 'ERR_BAD_FRAME', 'ERR_UNKNOWN_TYPE', 'ERR_FRAME_TOO_LARGE', 'ERR_NOT_HELLO', 'ERR_NOT_MEMBER',
  'ERR_NO_SUCH_PEER', 'ERR_MANIFEST', 'ERR_LIMIT', 'ERR_UNKNOWN_CODE', 'ERR_RATE_LIMIT', 'ERR_BUDGET', 'ERR_NICKNAME',
] as const;
export type SignalErrorCode = (typeof SIGNAL_ERROR_CODES)[number];

export const CLIENT_FRAME_TYPES = [
  'hello', 'join', 'leave', 'announce', 'signal', 'nickname', 'share-code', 'resolve-code',
] as const;
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

/** What went wrong with a frame; `ref` is the type of the offending frame when it had a known one. */
export interface SignalError {
  code: SignalErrorCode;
  message: string;
  ref?: ClientFrameType;
}

const hexId = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)));
export const PeerIdSchema = hexId(PEER_ID_BYTES);
export const SwarmIdSchema = hexId(SWARM_ID_BYTES);
export const FileIdSchema = hexId(FILE_ID_BYTES);
const ResumeSecretSchema = hexId(RESUME_SECRET_BYTES);
/** A nickname as the server shows it (shared/nickname.ts): what peer lists carry. */
export const NicknameSchema = v.pipe(v.string(), v.check(isShownNickname, 'not a valid nickname'));
/** A nickname as typed: bounded here, normalised or refused (ERR_NICKNAME) by the server. */
const TypedNicknameSchema = v.pipe(v.string(), v.maxLength(MAX_RAW_NICKNAME_LENGTH));
/** Lenient on input (people type codes): trimmed and upper-cased; an unknown code is ERR_UNKNOWN_CODE. */
const TypedCodeSchema = v.pipe(v.string(), v.maxLength(32), v.trim(), v.toUpperCase());
export const ShareCodeSchema = v.pipe(
  v.string(), v.regex(new RegExp(`^[${SHARE_CODE_ALPHABET}]{${SHARE_CODE_LENGTH}}$`)),
);

/** The shape check only (server runs verifyManifest too); typed as shared/manifest.ts's Manifest. */
const ManifestFieldSchema = v.pipe(ManifestSchema, v.transform((m): Manifest => m));

const short = (max: number) => v.pipe(v.string(), v.maxLength(max));
const CandidateSchema = v.object({
  candidate: short(MAX_CANDIDATE_LENGTH),
  sdpMid: v.optional(v.nullable(short(64))),
  sdpMLineIndex: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255)))),
  usernameFragment: v.optional(v.nullable(short(256))),
});

/** simple-peer's signal data, every kind it emits. */
export const SignalPayloadSchema = v.variant('type', [
  v.object({ type: v.picklist(['offer', 'answer']), sdp: short(MAX_SDP_LENGTH) }),
  v.object({ type: v.literal('candidate'), candidate: CandidateSchema }),
  v.object({ type: v.literal('renegotiate'), renegotiate: v.literal(true) }),
  v.object({
    type: v.literal('transceiverRequest'),
    transceiverRequest: v.object({
      kind: v.picklist(['audio', 'video']),
      init: v.optional(v.object({ direction: v.optional(v.picklist(['sendrecv', 'sendonly', 'recvonly', 'inactive'])) })),
    }),
  }),
]);
export type SignalPayload = v.InferOutput<typeof SignalPayloadSchema>;

const frame = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ v: v.literal(SIGNAL_VERSION), type: v.literal(type), ...entries });

const ClientSchemas = {
  hello: frame('hello', {
    peerId: v.optional(PeerIdSchema), resumeSecret: v.optional(ResumeSecretSchema), nickname: v.optional(TypedNicknameSchema),
  }),
  join: frame('join', { swarmId: SwarmIdSchema }),
  leave: frame('leave', { swarmId: SwarmIdSchema }),
  announce: frame('announce', { swarmId: SwarmIdSchema, fileId: FileIdSchema, manifest: ManifestFieldSchema }),
  signal: frame('signal', { to: PeerIdSchema, payload: SignalPayloadSchema }),
  nickname: frame('nickname', { nickname: TypedNicknameSchema }),
  'share-code': frame('share-code', { swarmId: SwarmIdSchema }),
  'resolve-code': frame('resolve-code', { code: TypedCodeSchema }),
} satisfies Record<ClientFrameType, v.GenericSchema>;

export const ClientFrameSchema = v.variant('type', Object.values(ClientSchemas));
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;

/** ADDRESS_TAG_BYTES in hex: the server's keyed hash of a member's network address (the address itself never leaves it). */
export const ADDRESS_TAG_BYTES = 8;
export const AddressTagSchema = hexId(ADDRESS_TAG_BYTES);
/**
 * `addressTag`: equal for members on one address (one laptop), so a peer can cap what one address holds of its
 * links (peer/links/link-policy.ts). Set by the server from the socket's remote address; a client cannot name it.
 * Optional: a member listed without one (by a school's older process during an upgrade) counts as its own address.
 */
const PeerInfoSchema = v.object({ peerId: PeerIdSchema, nickname: NicknameSchema, addressTag: v.optional(AddressTagSchema) });
export type PeerInfo = v.InferOutput<typeof PeerInfoSchema>;
const AnnouncementSchema = v.object({ fileId: FileIdSchema, manifest: ManifestFieldSchema, from: PeerIdSchema });
export type Announcement = v.InferOutput<typeof AnnouncementSchema>;
export const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export type IceServer = v.InferOutput<typeof IceServerSchema>;

export const ServerFrameSchema = v.variant('type', [
  frame('welcome', {
    peerId: PeerIdSchema, resumeSecret: ResumeSecretSchema, resumed: v.boolean(), iceServers: v.array(IceServerSchema),
  }),
  /** Sent before `joined`: the ICE list with this peer's TURN credentials, which only swarm members get. */
  frame('ice-servers', { iceServers: v.array(IceServerSchema) }),
  frame('joined', { swarmId: SwarmIdSchema, members: v.array(PeerInfoSchema), announcements: v.array(AnnouncementSchema) }),
  frame('left', { swarmId: SwarmIdSchema }),
  frame('peer-joined', { swarmId: SwarmIdSchema, peer: PeerInfoSchema }),
  frame('peer-left', { swarmId: SwarmIdSchema, peerId: PeerIdSchema }),
  frame('peer-updated', { peer: PeerInfoSchema }),
  frame('announcement', { swarmId: SwarmIdSchema, ...AnnouncementSchema.entries }),
  frame('signal', { from: PeerIdSchema, payload: SignalPayloadSchema }),
  frame('share-code', { swarmId: SwarmIdSchema, code: ShareCodeSchema }),
  frame('code-resolved', { code: ShareCodeSchema, swarmId: SwarmIdSchema }),
  frame('error', {
    code: v.picklist(SIGNAL_ERROR_CODES), message: v.string(), ref: v.optional(v.picklist(CLIENT_FRAME_TYPES)),
  }),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
/** A server frame without its version field: what server code builds before sending. */
export type ServerFrameBody = ServerFrame extends infer F ? (F extends unknown ? Omit<F, 'v'> : never) : never;

/** valibot messages quote the received value; an error frame must not echo a 300 KB string back. */
const MAX_ERROR_MESSAGE_LENGTH = 200;

const isClientFrameType = (t: unknown): t is ClientFrameType =>
  typeof t === 'string' && (CLIENT_FRAME_TYPES as readonly string[]).includes(t);

function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const where = issue?.path?.map((p) => String(p.key)).join('.') || 'frame';
  return `${where}: ${issue?.message ?? 'invalid'}`.slice(0, MAX_ERROR_MESSAGE_LENGTH);
}

function parseJsonObject(text: string, maxChars: number): Result<Record<string, unknown>, SignalError> {
  if (text.length > maxChars) return err({ code: 'ERR_FRAME_TOO_LARGE', message: `frame exceeds ${maxChars} bytes` });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err({ code: 'ERR_BAD_JSON', message: 'frame is not valid JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err({ code: 'ERR_BAD_FRAME', message: 'frame is not a JSON object' });
  }
  return ok(value as Record<string, unknown>);
}

/** Server side: one untrusted text frame → a typed, rebuilt client frame or a coded error. Never throws. */
export function parseClientFrame(text: string): Result<ClientFrame, SignalError> {
  const json = parseJsonObject(text, MAX_SIGNAL_FRAME_BYTES);
  if (!json.ok) return json;
  const { type } = json.value;
  if (!isClientFrameType(type)) return err({ code: 'ERR_UNKNOWN_TYPE', message: 'unknown frame type' });
  if (json.value['v'] !== SIGNAL_VERSION) {
    return err({ code: 'ERR_BAD_FRAME', message: `v must be ${SIGNAL_VERSION}`, ref: type });
  }
  const parsed = v.safeParse(ClientSchemas[type], json.value);
  if (!parsed.success) return err({ code: 'ERR_BAD_FRAME', message: firstIssue(parsed.issues), ref: type });
  return ok(parsed.output as ClientFrame);
}

/** Client side: the server is trusted more than peers, but still checked. Manifests need verifyManifest too. */
export function parseServerFrame(text: string): Result<ServerFrame, SignalError> {
  const json = parseJsonObject(text, Number.MAX_SAFE_INTEGER);
  if (!json.ok) return json;
  const parsed = v.safeParse(ServerFrameSchema, json.value);
  if (!parsed.success) return err({ code: 'ERR_BAD_FRAME', message: firstIssue(parsed.issues) });
  return ok(parsed.output);
}

export const encodeFrame = (body: ServerFrameBody | ClientFrameBody): string =>
  JSON.stringify({ v: SIGNAL_VERSION, ...body });
export type ClientFrameBody = ClientFrame extends infer F ? (F extends unknown ? Omit<F, 'v'> : never) : never;

/** The signaling endpoint on the page's own host: ws://host/ws on http, wss://host/ws on https. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${SIGNAL_PATH}`;
}
