import { FILE_ID_BYTES, isHexId, PEER_ID_BYTES, SWARM_ID_BYTES } from './ids.ts';
import { MAX_HELLO_SWARMS } from './limits.ts';
import {
  BITFIELD_BITS_AT, BITFIELD_PIECE_COUNT_AT, BLOCK_DATA_AT, DROP_BYTES, FILE_ID_AT, HAVE_BYTES, HELLO_PEER_ID_AT,
  HELLO_SWARM_COUNT_AT, HELLO_SWARMS_AT, HELLO_VERSION_AT, PIECE_AT, REASON_CODES, REJECT_BYTES,
  REJECT_REASON_AT, SPAN_BYTES, SPAN_LENGTH_AT, SPAN_OFFSET_AT, SWARM_ID_AT, TYPE_AT, TYPE_CODES, VERSION_AT,
} from './codec-layout.ts';
import {
  assertNoProblem, assertUint, pieceCountProblem, pieceIndexProblem, spanProblem, spareBitsProblem,
  U32_MAX, U8_MAX,
} from './codec-rules.ts';
import { WIRE_VERSION, type BlockSpan, type Route, type WireMsg, type WireType } from './wire-messages.ts';

// Our own messages: a field out of range is a programming fault and throws RangeError, so that
// every frame we send is one that decode accepts.

type MsgOf<T extends WireType> = Extract<WireMsg, { type: T }>;

interface FrameWriter {
  frame: Uint8Array;
  view: DataView;
}

function startFrame(type: WireType, byteLength: number): FrameWriter {
  const frame = new Uint8Array(byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(VERSION_AT, WIRE_VERSION);
  view.setUint8(TYPE_AT, TYPE_CODES[type]);
  return { frame, view };
}

function writeHexId(frame: Uint8Array, at: number, hex: string, bytes: number, field: string): void {
  if (!isHexId(hex, bytes)) throw new RangeError(`wire: ${field} is not ${bytes} bytes of lowercase hex`);
  for (let i = 0; i < bytes; i++) frame[at + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

function writeRoute(w: FrameWriter, route: Route): void {
  writeHexId(w.frame, SWARM_ID_AT, route.swarmId, SWARM_ID_BYTES, 'swarmId');
  writeHexId(w.frame, FILE_ID_AT, route.fileId, FILE_ID_BYTES, 'fileId');
}

function writeSpan(w: FrameWriter, span: BlockSpan): void {
  for (const [value, field] of [[span.piece, 'piece'], [span.offset, 'offset'], [span.length, 'length']] as const) {
    assertUint(value, U32_MAX, field);
  }
  assertNoProblem(spanProblem(span.piece, span.offset, span.length));
  w.view.setUint32(PIECE_AT, span.piece);
  w.view.setUint32(SPAN_OFFSET_AT, span.offset);
  w.view.setUint32(SPAN_LENGTH_AT, span.length);
}

// hello: <ver:u8><type=1><peerId:16><version:u8><swarmCount:u16><swarmId:16 × swarmCount>
function encodeHello(msg: MsgOf<'hello'>): Uint8Array {
  assertUint(msg.version, U8_MAX, 'hello.version');
  assertUint(msg.swarms.length, MAX_HELLO_SWARMS, 'hello.swarms.length');
  if (new Set(msg.swarms).size !== msg.swarms.length) throw new RangeError('wire: hello lists a swarm twice');
  const w = startFrame('hello', HELLO_SWARMS_AT + msg.swarms.length * SWARM_ID_BYTES);
  writeHexId(w.frame, HELLO_PEER_ID_AT, msg.peerId, PEER_ID_BYTES, 'peerId');
  w.view.setUint8(HELLO_VERSION_AT, msg.version);
  w.view.setUint16(HELLO_SWARM_COUNT_AT, msg.swarms.length);
  msg.swarms.forEach((swarmId, i) => {
    writeHexId(w.frame, HELLO_SWARMS_AT + i * SWARM_ID_BYTES, swarmId, SWARM_ID_BYTES, 'hello.swarms[]');
  });
  return w.frame;
}

// bitfield: <ver:u8><type=2><swarmId:16><fileId:32><pieceCount:u32><bits:ceil(pieceCount/8)>, MSB first
function encodeBitfield(msg: MsgOf<'bitfield'>): Uint8Array {
  assertUint(msg.pieceCount, U32_MAX, 'bitfield.pieceCount');
  assertNoProblem(pieceCountProblem(msg.pieceCount) ?? spareBitsProblem(msg.bits, msg.pieceCount));
  const w = startFrame('bitfield', BITFIELD_BITS_AT + msg.bits.length);
  writeRoute(w, msg);
  w.view.setUint32(BITFIELD_PIECE_COUNT_AT, msg.pieceCount);
  w.frame.set(msg.bits, BITFIELD_BITS_AT);
  return w.frame;
}

// have:     <ver:u8><type=3><swarmId:16><fileId:32><piece:u32>
// fetching: <ver:u8><type=8><swarmId:16><fileId:32><piece:u32>
function encodePieceMsg(msg: MsgOf<'have'> | MsgOf<'fetching'>): Uint8Array {
  assertUint(msg.piece, U32_MAX, `${msg.type}.piece`);
  assertNoProblem(pieceIndexProblem(msg.piece));
  const w = startFrame(msg.type, HAVE_BYTES);
  writeRoute(w, msg);
  w.view.setUint32(PIECE_AT, msg.piece);
  return w.frame;
}

// request: <ver:u8><type=4><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32>
// cancel:  <ver:u8><type=6><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32>
function encodeSpanMsg(msg: MsgOf<'request'> | MsgOf<'cancel'>): Uint8Array {
  const w = startFrame(msg.type, SPAN_BYTES);
  writeRoute(w, msg);
  writeSpan(w, msg);
  return w.frame;
}

// block: <ver:u8><type=5><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32><data:length>
// One copy of data into the frame: the bytes come from the store in their own buffer, so no fewer.
function encodeBlock(msg: MsgOf<'block'>): Uint8Array {
  const span = { piece: msg.piece, offset: msg.offset, length: msg.data.length };
  const w = startFrame('block', BLOCK_DATA_AT + msg.data.length);
  writeRoute(w, msg);
  writeSpan(w, span);
  w.frame.set(msg.data, BLOCK_DATA_AT);
  return w.frame;
}

// reject: <ver:u8><type=7><swarmId:16><fileId:32><piece:u32><offset:u32><length:u32><reason:u8>
function encodeReject(msg: MsgOf<'reject'>): Uint8Array {
  const reason: number | undefined = REASON_CODES[msg.reason];
  if (reason === undefined) throw new RangeError(`wire: unknown reject reason ${String(msg.reason)}`);
  const w = startFrame('reject', REJECT_BYTES);
  writeRoute(w, msg);
  writeSpan(w, msg);
  w.view.setUint8(REJECT_REASON_AT, reason);
  return w.frame;
}

// drop: <ver:u8><type=9><swarmId:16><fileId:32>
function encodeDrop(msg: MsgOf<'drop'>): Uint8Array {
  const w = startFrame('drop', DROP_BYTES);
  writeRoute(w, msg);
  return w.frame;
}

/** One message → one frame for one data-channel send. Throws RangeError on an out-of-range field. */
export function encode(msg: WireMsg): Uint8Array {
  switch (msg.type) {
    case 'hello': return encodeHello(msg);
    case 'bitfield': return encodeBitfield(msg);
    case 'have':
    case 'fetching': return encodePieceMsg(msg);
    case 'request': return encodeSpanMsg(msg);
    case 'block': return encodeBlock(msg);
    case 'cancel': return encodeSpanMsg(msg);
    case 'reject': return encodeReject(msg);
    case 'drop': return encodeDrop(msg);
    default: {
      const unknown: never = msg;
      throw new RangeError(`wire: unknown message type ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
