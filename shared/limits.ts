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
