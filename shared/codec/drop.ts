import { ok } from '../result.ts';
import { readRoute, ROUTE_END, startFrame, writeRoute, type Decoded, type FrameBounds, type MsgOf } from './frame.ts';

// drop: the sender removed the route's file. The receiver forgets it as a source on that route and sends it
// nothing more there (no have, fetching, bitfield or request) until it sends a bitfield on the route again.

export const DROP_BYTES = ROUTE_END;
export const DROP_BOUNDS = { drop: { min: DROP_BYTES, max: DROP_BYTES } } as const satisfies Record<string, FrameBounds>;

// drop: <ver:u8><type=9><swarmId:16><fileId:32>
export function encodeDrop(msg: MsgOf<'drop'>): Uint8Array {
  const w = startFrame('drop', DROP_BYTES);
  writeRoute(w, msg);
  return w.frame;
}

/** The header check already fixed the length: the route is all there is. */
export const decodeDrop = (frame: Uint8Array): Decoded => ok({ type: 'drop', ...readRoute(frame) });
