import { FILE_ID_BYTES, PEER_ID_BYTES, SWARM_ID_BYTES } from './ids.ts';
import { MAX_BITFIELD_BYTES, MAX_BLOCK_LENGTH, MAX_HELLO_SWARMS } from './limits.ts';
import type { RejectReason, WireType } from './wire-messages.ts';

// Field offsets and frame bounds of the binary wire. Every frame: <version:u8><type:u8><body>,
// numbers big-endian. The layout of each kind's body is written above its encoder in codec-encode.ts.

export const VERSION_AT = 0;
export const TYPE_AT = 1;
export const HEADER_BYTES = 2;

/** Route fields, shared by every piece-related kind. */
export const SWARM_ID_AT = HEADER_BYTES;
export const FILE_ID_AT = SWARM_ID_AT + SWARM_ID_BYTES;
export const ROUTE_END = FILE_ID_AT + FILE_ID_BYTES;

/** hello */
export const HELLO_PEER_ID_AT = HEADER_BYTES;
export const HELLO_VERSION_AT = HELLO_PEER_ID_AT + PEER_ID_BYTES;
export const HELLO_SWARM_COUNT_AT = HELLO_VERSION_AT + 1;
export const HELLO_SWARMS_AT = HELLO_SWARM_COUNT_AT + 2;

/** bitfield */
export const BITFIELD_PIECE_COUNT_AT = ROUTE_END;
export const BITFIELD_BITS_AT = BITFIELD_PIECE_COUNT_AT + 4;

/** have, fetching, request, block, cancel, reject */
export const PIECE_AT = ROUTE_END;
export const HAVE_BYTES = PIECE_AT + 4;
/** request, block, cancel, reject: a BlockSpan after the route */
export const SPAN_OFFSET_AT = PIECE_AT + 4;
export const SPAN_LENGTH_AT = SPAN_OFFSET_AT + 4;
export const SPAN_BYTES = SPAN_LENGTH_AT + 4;
/** reject */
export const REJECT_REASON_AT = SPAN_BYTES;
export const REJECT_BYTES = REJECT_REASON_AT + 1;
/** block: the data follows its span, whose length field makes a truncated block detectable */
export const BLOCK_DATA_AT = SPAN_BYTES;
/** drop: the route and nothing else */
export const DROP_BYTES = ROUTE_END;

export const TYPE_CODES = {
  hello: 1, bitfield: 2, have: 3, request: 4, block: 5, cancel: 6, reject: 7, fetching: 8, drop: 9,
} as const satisfies Record<WireType, number>;

export const TYPE_BY_CODE: ReadonlyMap<number, WireType> = new Map(
  Object.entries(TYPE_CODES).map(([type, code]) => [code, type as WireType]),
);

export const REASON_CODES = {
  'unknown-route': 1, 'not-had': 2, 'queue-full': 3, 'bad-span': 4, banned: 5,
} as const satisfies Record<RejectReason, number>;

export const REASON_BY_CODE: ReadonlyMap<number, RejectReason> = new Map(
  Object.entries(REASON_CODES).map(([reason, code]) => [code, reason as RejectReason]),
);

/** Smallest and largest frame of each kind, checked before any field is read. */
export const FRAME_BOUNDS: Readonly<Record<WireType, { min: number; max: number }>> = {
  hello: { min: HELLO_SWARMS_AT, max: HELLO_SWARMS_AT + MAX_HELLO_SWARMS * SWARM_ID_BYTES },
  bitfield: { min: BITFIELD_BITS_AT, max: BITFIELD_BITS_AT + MAX_BITFIELD_BYTES },
  have: { min: HAVE_BYTES, max: HAVE_BYTES },
  fetching: { min: HAVE_BYTES, max: HAVE_BYTES },
  request: { min: SPAN_BYTES, max: SPAN_BYTES },
  block: { min: BLOCK_DATA_AT + 1, max: BLOCK_DATA_AT + MAX_BLOCK_LENGTH },
  cancel: { min: SPAN_BYTES, max: SPAN_BYTES },
  reject: { min: REJECT_BYTES, max: REJECT_BYTES },
  drop: { min: DROP_BYTES, max: DROP_BYTES },
};
