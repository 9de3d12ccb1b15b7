import type { PeerId } from '../../shared/ids.ts';

// One colour per peer for the whole page (piece maps, legends, peer list), in order of first sight.

/** Calm, distinguishable hues (tested against each other and against the missing/in-flight styles). */
const PALETTE = ['#3f7cac', '#d1495b', '#2a9d8f', '#8e6cc0', '#e09f3e', '#4c956c', '#c06c84', '#5c80bc', '#b5838d', '#6b9080'];
export const SELF_COLOR = '#44546a';
export const MISSING_COLOR = '#e8ecf1';
export const IN_FLIGHT_COLOR = '#f6c453';
/** Arrived, being hashed and written: the in-flight hue, filled. */
export const CHECKING_COLOR = IN_FLIGHT_COLOR;

const colors = new Map<string, string>();

export function peerColor(peerId: PeerId | 'self'): string {
  if (peerId === 'self') return SELF_COLOR;
  let color = colors.get(peerId);
  if (color === undefined) {
    color = PALETTE[colors.size % PALETTE.length]!;
    colors.set(peerId, color);
  }
  return color;
}

/** A peer's nickname, else a short form of its id. */
export function peerName(peerId: string, nicknames: ReadonlyMap<string, string>): string {
  const nick = nicknames.get(peerId);
  return nick ? nick : `peer ${peerId.slice(0, 6)}`;
}
