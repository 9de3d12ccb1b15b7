import type { WebSocket } from 'ws';

// ws keeps its frame parser private, yet two of its facts decide what a socket costs us: the largest message it
// will buffer (small until hello, full size after) and whether a message is half-received. Read and set here only,
// checked at runtime, so a ws upgrade that renames them fails loudly (the server tests exercise both) instead of
// silently dropping a limit.

interface ReceiverInternals {
  _maxPayload: number; // bytes a message may reach before ws closes the socket 1009 without buffering more
  _totalPayloadLength: number; // payload bytes of the message being received (0 between messages)
  _bufferedBytes: number; // bytes read from TCP and not yet parsed into a frame
}

function receiverOf(socket: WebSocket): ReceiverInternals {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverInternals> | null })._receiver;
  const fields = ['_maxPayload', '_totalPayloadLength', '_bufferedBytes'] as const;
  if (!receiver || fields.some((f) => typeof receiver[f] !== 'number')) {
    throw new Error('ws receiver internals changed: update signaling-server/guards/ws-receiver.ts');
  }
  return receiver as ReceiverInternals;
}

/** From the next frame on, a message over `bytes` closes the socket 1009 unread. */
export function setMaxMessageBytes(socket: WebSocket, bytes: number): void {
  receiverOf(socket)._maxPayload = bytes;
}

/** True while part of a message (a frame's bytes, or fragments without the final one) has arrived. */
export function hasUnfinishedMessage(socket: WebSocket): boolean {
  const receiver = receiverOf(socket);
  return receiver._totalPayloadLength > 0 || receiver._bufferedBytes > 0;
}
