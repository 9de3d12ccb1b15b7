import { randomBytes } from 'node:crypto';
import type { Client, Hub } from '../hub.ts';
import { hasUnfinishedMessage } from './ws-receiver.ts';

// What keeps a socket connected: it reads (answers each ping with a pong echoing that ping's random payload, so
// neither frames nor unsolicited pongs count), it does not let unsent bytes pile up, and it finishes the messages
// it starts. Checked once per heartbeat.

const PING_PAYLOAD_BYTES = 8;

/** A pong counts only if it echoes a ping sent since the last one that did: proof that the socket read it. */
export function onPong(client: Client, data: Buffer): void {
  if (client.unansweredPings.some((payload) => payload.equals(data))) {
    client.missedPongs = 0;
    client.unansweredPings = [];
  }
}

export type LivenessVerdict = 'alive' | 'silent' | 'not-reading' | 'unfinished';

/** One heartbeat for one socket: what it failed, if anything; sends the next ping when it is alive. */
export function checkLiveness(hub: Hub, client: Client, now: number): LivenessVerdict {
  const { socket } = client;
  if (client.closing) return 'alive'; // already being closed: no more pings
  if (client.missedPongs >= hub.limits.maxMissedPongs) return 'silent';
  if (socket.bufferedAmount > hub.limits.maxBufferedBytes) return 'not-reading';
  if (hasUnfinishedMessage(socket)) {
    client.unfinishedSince ??= now;
    if (now - client.unfinishedSince >= hub.limits.unfinishedMessageMs) return 'unfinished';
  } else {
    client.unfinishedSince = null;
  }
  const payload = randomBytes(PING_PAYLOAD_BYTES);
  client.missedPongs += 1;
  client.unansweredPings.push(payload); // at most maxMissedPongs long: one more miss and the socket is dropped
  socket.ping(payload);
  return 'alive';
}
