// Caps on every size a peer or a socket controls, each with its reason. One place, so the
// server, the client and the tests agree.

const KiB = 1024;
const MiB = 1024 * KiB;

/** Manifests stay bounded: ~1k pieces is what BitTorrent aims for (hash list ≈ 64 KiB of hex). */
export const TARGET_PIECES_PER_FILE = 1024;
/** Hard cap on pieces a manifest may list; with MAX_PIECE_LENGTH this bounds a file at 64 GiB. */
export const MAX_PIECES_PER_FILE = 4096;
/** Small pieces keep per-piece overhead (hash, IndexedDB write, have message) negligible. */
export const MIN_PIECE_LENGTH = 64 * KiB;
/** A piece is held in memory until verified: this bounds that memory per piece. */
export const MAX_PIECE_LENGTH = 16 * MiB;
/** File names are shown and used when saving; longer names are a UI and storage hazard. */
export const MAX_FILE_NAME_LENGTH = 255;
/** MIME types are short by nature; anything longer is garbage. */
export const MAX_MIME_TYPE_LENGTH = 127;
/** Largest file size a manifest may declare (MAX_PIECES_PER_FILE × MAX_PIECE_LENGTH). */
export const MAX_FILE_SIZE = MAX_PIECES_PER_FILE * MAX_PIECE_LENGTH;

export const SIZES = { KiB, MiB } as const;

// ---- Signaling (tab ↔ server JSON over ws) ----

/** One announce of a 4096-piece manifest is ~276 KB of JSON (4096 × 67 B of hex hashes): fits with room. */
export const MAX_SIGNAL_FRAME_BYTES = 384 * KiB;
/** Above this the ws library drops the socket itself (1009) without buffering more; between the two we answer. */
export const MAX_WS_PAYLOAD_BYTES = 1 * MiB;
/** Oversized frames tolerated per socket (each answered ERR_FRAME_TOO_LARGE); the next one closes 4009. */
export const MAX_OVERSIZED_FRAMES = 3;
/** Burst of frames per socket: a joiner into a full class trickles ~10 ICE candidates to each of ~30 peers. */
export const SIGNAL_RATE_BURST = 400;
/** Sustained frames per second per socket: ten times a busy tab's steady need, a blip at 5,000 sockets. */
export const SIGNAL_RATE_PER_SECOND = 50;
/** resolve-code costs this many frames: it is the only frame that guesses, so guessing is slow (~5/s). */
export const RESOLVE_CODE_COST = 10;
/** Frames refused for rate that a socket may still send (refilled 1/s); past this it is abuse: close 4008. */
export const MAX_RATE_STRIKES = 50;
/** Refused-frame allowance regained per second, so a client that backs off is never closed. */
export const RATE_STRIKES_PER_SECOND = 1;
/** Ping interval; a socket that misses 2 pongs in a row (~20–30 s silent) is terminated. */
export const HEARTBEAT_MS = 10_000;
/** Missed pongs before a socket is treated as dead (laptop slept, Wi-Fi dropped). */
export const MAX_MISSED_PONGS = 2;
/** A tab joins a handful of swarms; 32 bounds the fan-out of one socket's nickname and close events. */
export const MAX_SWARMS_PER_SOCKET = 32;
/**
 * A school hall of 300 laptops plus the teacher's tabs, ×1.5 headroom; bounds every broadcast and member list
 * (a joined list of 512 is ~30 KB of JSON; the server spends a few KB per member, `npm run bench -- --only hall`).
 */
export const MAX_MEMBERS_PER_SWARM = 512;
/** A class shares dozens of files, not hundreds; bounds the replay a joiner receives. */
export const MAX_ANNOUNCEMENTS_PER_SWARM = 256;
/** Stored manifest JSON per swarm (~150 typical manifests, ~28 at 4096 pieces): bounds memory and replay size. */
export const MAX_ANNOUNCED_BYTES_PER_SWARM = 8 * MiB;
/** Nicknames are shown next to peers; 32 characters fit a label. */
export const MAX_NICKNAME_LENGTH = 32;
/**
 * A peer's nickname changes reach its swarms' members at most once a second, the latest one last: each change is
 * a frame to every member (255 in a full swarm), so 400 changes in one frame burst were 102,000 frames.
 */
export const NICKNAME_FANOUT_EVERY_MS = 1000;
/** Offers/answers of a data-channel connection are ~1–3 KB; 32 KiB leaves room for any browser's SDP. */
export const MAX_SDP_LENGTH = 32 * KiB;
/** One ICE candidate line is ~100–200 chars. */
export const MAX_CANDIDATE_LENGTH = 1 * KiB;
/** Short codes a person types: 6 chars of a 31-letter alphabet (~887 million codes; README: time to guess one). */
export const SHARE_CODE_LENGTH = 6;
/** Unsent bytes a socket may pile up (a joined replay is ≤ ~8 MiB); beyond this it is not reading: cut off. */
export const MAX_SIGNAL_BUFFERED_BYTES = 32 * MiB;
/** hello is ≤ ~300 B (peer id, resume secret, a 32-character nickname): nothing bigger is parsed before it. */
export const MAX_HELLO_FRAME_BYTES = 1 * KiB;
/** A page sends hello as soon as its socket opens; a socket silent this long is not a page (close 4010). */
export const HELLO_TIMEOUT_MS = 10_000;
/** Sockets one address may hold: a laptop with dozens of the page's tabs, ×2 (more: close 4011). */
export const MAX_CONNECTIONS_PER_ADDRESS = 64;
/** New sockets one address may open at once: a laptop reloading a dozen tabs, ×2 (more: the upgrade is refused 429). */
export const NEW_CONNECTIONS_BURST_PER_ADDRESS = 24;
/** New sockets per second per address after that: tabs reconnect with backoff; a flood reopening sockets does not. */
export const NEW_CONNECTIONS_PER_SECOND_PER_ADDRESS = 2;
/** Sockets in all: the 5,000-socket load bench ×2; each costs ~10–50 KB of server memory (more: close 4012). */
export const MAX_CONNECTIONS = 10_000;
/** TCP connections (a descriptor each) are capped at accept: an address's sockets plus this many for page loads
 *  and upgrades in progress (a browser opens ~6 per host; several browsers on one laptop, ×2)… */
export const TCP_HEADROOM_PER_ADDRESS = 64;
/** …and the server's sockets plus this many in all. */
export const TCP_HEADROOM = 1_024;
/** An HTTP request whose headers have not all arrived this long is closed (Node's default: 60 s). */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** A message begun but unfinished this long (a trickled frame, fragments never ended) closes the socket 4014. */
export const UNFINISHED_MESSAGE_MS = 20_000;
/** Manifest JSON one peer may have stored in all its swarms: two full swarms' worth of a teacher's files. */
export const MAX_ANNOUNCED_BYTES_PER_PEER = 16 * MiB;
/** Manifest JSON stored from one address (all its tabs and reconnects): one laptop cannot fill the server. */
export const MAX_ANNOUNCED_BYTES_PER_ADDRESS = 24 * MiB;
/** Manifest JSON the server stores in all (~2–3× this in heap): ~900 typical 1,024-piece manifests. */
export const MAX_ANNOUNCED_BYTES_TOTAL = 64 * MiB;
/** Frame bytes one address may send at once: a tab's whole replay of a swarm's manifests (8 MiB), twice. */
export const INBOUND_BYTES_BURST_PER_ADDRESS = 16 * MiB;
/** Frame bytes per second per address after that: ~1 maximal announce/s, so parsing and hashing stay cheap. */
export const INBOUND_BYTES_PER_SECOND_PER_ADDRESS = 256 * KiB;
/** Share-code guesses per address, burst: a person retyping a mistyped code a few times. */
export const CODE_GUESS_BURST_PER_ADDRESS = 5;
/** Share-code guesses per address per second, however many sockets it opens. */
export const CODE_GUESSES_PER_SECOND_PER_ADDRESS = 1;
/** Wrong share codes the whole server answers per second, burst 60: caps guessing from any number of addresses. */
export const WRONG_CODES_PER_SECOND = 10;
/** Burst of wrong codes server-wide: a class of 30 mistyping at once still gets answers. */
export const WRONG_CODE_BURST = 60;

// ---- TURN relay (signaling-server/relay/) ----

/** A tab makes one allocation per link per TURN URL (UDP and TCP): a class of 60 needs ~120. */
export const MAX_TURN_ALLOCATIONS_PER_PEER = 256;
/** Peer ids are free, so the remote address is the real bound: a laptop's few tabs, each linked to a class. */
export const MAX_TURN_ALLOCATIONS_PER_ADDRESS = 512;
/** Each allocation holds a UDP socket (a file descriptor); lowered to fit TURN_FD_SHARE of the open-file limit. */
export const MAX_TURN_ALLOCATIONS = 8192;
/** Permissions and channels of one allocation: a browser permits a handful of candidates per link. */
export const MAX_TURN_PEERS_PER_ALLOCATION = 128;
/** TURN-over-TCP connections from one address: one per TCP allocation of that laptop's tabs. */
export const MAX_TURN_TCP_CONNECTIONS_PER_ADDRESS = 256;
/** All TURN-over-TCP connections (descriptors too); lowered like MAX_TURN_ALLOCATIONS. */
export const MAX_TURN_TCP_CONNECTIONS = 4096;
/** Relayed bytes queued for a TCP client that does not read; past this its datagrams are dropped, as UDP would. */
export const MAX_TURN_TCP_BUFFERED_BYTES = 1 * MiB;
/** Browsers allocate as soon as they connect: a TCP connection with no allocation for this long is closed. */
export const TURN_TCP_IDLE_MS = 10_000;
/** Share of the process's open-file limit the relay's sockets may hold; the rest serves tabs and the page. */
export const TURN_FD_SHARE = 0.5;

// ---- Wire (peer ↔ peer binary frames, shared/codec.ts and shared/codec/) ----

/** Chromium's RTCSctpTransport.maxMessageSize: a bigger message cannot be sent between Chromium peers. */
export const MAX_WIRE_FRAME_BYTES = 256 * KiB;
/** Block frame header (version, type, swarmId, fileId, piece, offset, length); shared/codec/pieces.ts names each field. */
export const WIRE_BLOCK_HEADER_BYTES = 62;
/** A block and its header must fit one data-channel message; in practice senders use ≤ 128 KiB blocks. */
export const MAX_BLOCK_LENGTH = MAX_WIRE_FRAME_BYTES - WIRE_BLOCK_HEADER_BYTES;
/** hello lists the swarms the two peers share; a peer cannot share more than it may join. */
export const MAX_HELLO_SWARMS = MAX_SWARMS_PER_SOCKET;
/** A bitfield has one bit per piece, so MAX_PIECES_PER_FILE bounds it (512 bytes). */
export const MAX_BITFIELD_BYTES = Math.ceil(MAX_PIECES_PER_FILE / 8);

// ---- Scheduling (the engine's defaults; piece picker and upload queue) ----
// Figures behind these choices: docs/performance.md. The test page's URL can override the first two for
// experiments (?block=<bytes>&window=<requests>, test/e2e/page-knobs.ts); the page students load cannot.

/**
 * Unit of transfer. Every block costs a request frame, a send, a decode and picker bookkeeping on both sides, so
 * fewer, larger blocks cost less CPU per MiB; half of Chromium's 256 KiB message cap, so a block frame always fits.
 */
export const DEFAULT_BLOCK_LENGTH = 128 * KiB;
/**
 * Requests in flight to one peer (across the routes it shares with us). 8 × 128 KiB = 1 MiB in flight reaches the
 * throughput plateau; more only queues bytes in the channel, where a flooded buffer collapses throughput.
 */
export const DEFAULT_MAX_REQUESTS_PER_PEER = 8;
/** Bytes requested from one peer and not yet received: the request window in bytes (1 MiB). */
export const DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER = DEFAULT_MAX_REQUESTS_PER_PEER * DEFAULT_BLOCK_LENGTH;
/**
 * A request unanswered this long is reassigned. An honest uploader serving 30 peers round-robin at
 * ~10 MB/s needs 30 × 1 MiB / 10 MB/s ≈ 3 s to reach the back of its queue: 20 s leaves headroom.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/**
 * A request queued behind an uploader's upload slots (it said 'slot' granted=false) is given up after this long:
 * a seeder with 48 links, 4 slots and 1 MiB pieces at 5 MB/s serves each peer in turn every ~10 s; a peer
 * that says "wait" and never serves must not hold our requests for ever.
 */
export const MAX_SLOT_WAIT_MS = 120_000;
/**
 * A file's origin (the teacher) that made us wait for an upload slot this recently has a full link: we fetch from
 * anyone, not it first (setPreferredSource). A full teacher tells a student to wait again each time its slot passes
 * on (simulated wired labs of 12–30 ran the same at 0.5 s as at 2 s; 0.25 s was 2 % slower); one with room never does.
 */
export const PREFERRED_BUSY_MS = 500;
/** Corrupt pieces a peer is proven to have sent before it is banned for that route (one may be an accident). */
export const MAX_HASH_STRIKES = 3;
/**
 * Cancelled requests per peer (per route) whose blocks are still accepted from that peer: what it may have sent
 * before our cancel reached it is at most one pipeline: 8 default ones (64). Older ones, and blocks never asked
 * of it, are refused and charged.
 */
export const MAX_CANCELLED_REQUESTS_REMEMBERED = 8 * DEFAULT_MAX_REQUESTS_PER_PEER;
/**
 * Pieces per route holding a failed copy's block digests (smart ban) until a good copy convicts the liar: ~64 B
 * per block, so ≤ 2 MiB even for 16 MiB pieces of 16 KiB blocks. Past it the oldest is forgotten (nobody struck).
 */
export const MAX_PIECES_WITH_EVIDENCE = 32;
/**
 * Requests one peer may have queued with us, across routes: 16 default windows, room for a peer that runs a
 * larger ?window. A queued request is ~100 bytes (the block is read only when served): 30 peers cost ~400 KB.
 */
export const MAX_QUEUED_REQUESTS_PER_PEER = 128;
/**
 * Bad frames (undecodable, unroutable, unrequested) a link may send before we close it. An honest peer drops a
 * few in races (a route still being verified, a swarm just left); a hundred unforgiven is a broken or hostile peer.
 */
export const MAX_BAD_FRAMES_PER_LINK = 100;
/** Bad-frame allowance regained per second, so an honest peer's rare race leftovers never add up to a close. */
export const BAD_FRAMES_FORGIVEN_PER_SECOND = 1;

// ---- Links (peer/links/peer-link.ts, peer/links/link-manager.ts) ----

/**
 * Frames a link holds until its handler is set (they arrive before simple-peer reports 'connect'): a peer's
 * hello and one bitfield (≤ ~570 B) per route it shares, i.e. a few hundred small frames at most.
 */
export const MAX_EARLY_FRAMES = 1024;
/** Bytes of those early frames: hundreds of bitfields fit many times over, yet a flooder holds only this. */
export const MAX_EARLY_FRAME_BYTES = 1 * MiB;
/** First wait before linking again to a peer whose link we closed for abuse; doubles each time. */
export const ABUSE_BACKOFF_BASE_MS = 30_000;
/** Links closed for abuse after which that peer is never linked again in this page's session. */
export const MAX_ABUSE_CLOSES = 3;
