import type { TurnSender } from 'node-turn';
import { logGate, type Logger } from '../log.ts';

// What the relay refused, dropped or failed to send, counted by code; each code is logged through log.ts's
// throttle, with how many there were since its last line.

export type RelayEvent =
  | 'TURN_PEER_REFUSED' // a permission, channel or packet towards a peer the policy refuses
  | 'TURN_SEND_FAILED' // the system refused a datagram or a TCP write (the packet is dropped)
  | 'TURN_HANDLER_FAILED' // node-turn threw on a frame (the frame is dropped)
  | 'TURN_ALLOCATION_QUOTA' // an allocation over a per-peer or per-address cap
  | 'TURN_CAPACITY' // an allocation or TCP connection over a total cap
  | 'TURN_TCP_CAPPED' // a TCP connection over the per-address cap, closed at once
  | 'TURN_TCP_IDLE' // a TCP connection without an allocation, closed
  | 'TURN_MEMBERSHIP_ENDED'; // allocations ended because their peer left its last swarm

export interface RelayLog {
  count(event: RelayEvent, detail?: string): void;
  counts(): Partial<Record<RelayEvent, number>>;
}

export function createRelayLog(logger: Logger | undefined, now: () => number = Date.now): RelayLog {
  const totals: Partial<Record<RelayEvent, number>> = {};
  const due = logGate<RelayEvent>(now);
  return {
    count: (event, detail) => {
      totals[event] = (totals[event] ?? 0) + 1;
      const leftOut = logger ? due(event) : null;
      if (leftOut === null) return;
      logger!.warn(`turn relay: ${event}`, { code: event, since: leftOut + 1, ...(detail ? { detail } : {}) });
    },
    counts: () => ({ ...totals }),
  };
}

/** Sends, never throws: a bad port or address, a closed socket or a failed write only drop this packet. */
export function sendSafely(sender: Pick<TurnSender, 'send'>, bytes: Buffer, port: number, address: string, log: RelayLog): void {
  try {
    sender.send(bytes, port, address, (error) => {
      if (error) log.count('TURN_SEND_FAILED', error.message);
    });
  } catch (error) {
    log.count('TURN_SEND_FAILED', String(error));
  }
}
