import { codedError } from '../errors.ts';
import { PEER_ID_BYTES, SWARM_ID_BYTES } from '../ids.ts';
import { MAX_HELLO_SWARMS } from '../limits.ts';
import { err, ok } from '../result.ts';
import {
  assertUint, exactLengthProblem, fail, HEADER_BYTES, readHexId, startFrame, U8_MAX, writeHexId,
  type Decoded, type FrameBounds, type MsgOf,
} from './frame.ts';

// The first message on a link: who we are and which swarms we share with the remote peer.

export const HELLO_PEER_ID_AT = HEADER_BYTES;
export const HELLO_VERSION_AT = HELLO_PEER_ID_AT + PEER_ID_BYTES;
export const HELLO_SWARM_COUNT_AT = HELLO_VERSION_AT + 1;
export const HELLO_SWARMS_AT = HELLO_SWARM_COUNT_AT + 2;

export const HELLO_BOUNDS: FrameBounds = { min: HELLO_SWARMS_AT, max: HELLO_SWARMS_AT + MAX_HELLO_SWARMS * SWARM_ID_BYTES };

// hello: <ver:u8><type=1><peerId:16><version:u8><swarmCount:u16><swarmId:16 × swarmCount>
export function encodeHello(msg: MsgOf<'hello'>): Uint8Array {
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

export function decodeHello(frame: Uint8Array, view: DataView): Decoded {
  const count = view.getUint16(HELLO_SWARM_COUNT_AT);
  const problem = count > MAX_HELLO_SWARMS
    ? codedError('ERR_TOO_LARGE', `hello lists ${count} swarms > ${MAX_HELLO_SWARMS}`)
    : exactLengthProblem(frame, HELLO_SWARMS_AT + count * SWARM_ID_BYTES, `hello with ${count} swarms`);
  if (problem) return err(problem);
  const swarms: string[] = [];
  for (let i = 0; i < count; i++) swarms.push(readHexId(frame, HELLO_SWARMS_AT + i * SWARM_ID_BYTES, SWARM_ID_BYTES));
  if (new Set(swarms).size !== count) return fail('ERR_BAD_FRAME', 'hello lists a swarm twice');
  const peerId = readHexId(frame, HELLO_PEER_ID_AT, PEER_ID_BYTES);
  return ok({ type: 'hello', peerId, version: view.getUint8(HELLO_VERSION_AT), swarms });
}
