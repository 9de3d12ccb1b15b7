import { ok } from '../result.ts';
import { fail, readRoute, ROUTE_END, startFrame, writeRoute, type Decoded, type FrameBounds, type MsgOf } from './frame.ts';

// slot: the sender's upload slots (shared/upload-slots.ts). granted=false: "your requests on this route are
// queued behind other peers' upload slots; they are kept, so do not time them out"; granted=true: "you hold a
// slot now: your requests are being served" (the request timeout runs again from here).

export const SLOT_GRANTED_AT = ROUTE_END;
export const SLOT_BYTES = SLOT_GRANTED_AT + 1;
export const SLOT_BOUNDS = { slot: { min: SLOT_BYTES, max: SLOT_BYTES } } as const satisfies Record<string, FrameBounds>;

// slot: <ver:u8><type=10><swarmId:16><fileId:32><granted:u8 (0 or 1)>
export function encodeSlot(msg: MsgOf<'slot'>): Uint8Array {
  const w = startFrame('slot', SLOT_BYTES);
  writeRoute(w, msg);
  w.view.setUint8(SLOT_GRANTED_AT, msg.granted ? 1 : 0);
  return w.frame;
}

export function decodeSlot(frame: Uint8Array): Decoded {
  const flag = frame[SLOT_GRANTED_AT]!;
  if (flag > 1) return fail('ERR_BAD_FRAME', `slot flag ${flag}`);
  return ok({ type: 'slot', ...readRoute(frame), granted: flag === 1 });
}
