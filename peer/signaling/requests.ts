import { codedError, type CodedError, type SignalingClientErrorCode } from '../../shared/errors.ts';
import type { SwarmId } from '../../shared/ids.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import type { ClientFrameBody, SignalError } from '../../shared/signaling.ts';

// Requests to the signaling server that expect one answer: share-code and resolve-code. Answers are matched
// by key (the swarm ID or the code); an error frame answers the oldest request of its kind.

/** share-code / resolve-code answers come back within one round trip; this bounds a lost answer. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The server's error frame, or why no answer came (shared/errors.ts). */
export type RequestError = SignalError | CodedError<SignalingClientErrorCode>;

type Pending<T> = { key: string; settle: (r: Result<T, RequestError>) => void };

export interface RequestBook {
  shareCode(swarmId: SwarmId): Promise<Result<string, RequestError>>;
  resolveCode(code: string): Promise<Result<SwarmId, RequestError>>;
  onShareCode(swarmId: SwarmId, code: string): void;
  onCodeResolved(code: string, swarmId: SwarmId): void;
  /** An error frame whose `ref` names the request kind it answers. */
  onError(ref: string | undefined, error: SignalError): void;
  /** Fails every pending request (the socket went away). */
  failAll(error: CodedError<SignalingClientErrorCode>): void;
}

/** `send` returns false when the frame could not be sent (not connected). */
export function createRequestBook(send: (body: ClientFrameBody) => boolean): RequestBook {
  const pendingCodes: Pending<string>[] = []; // share-code requests awaiting their answer, oldest first
  const pendingResolves: Pending<SwarmId>[] = [];

  function settle<T>(queue: Pending<T>[], key: string, result: Result<T, RequestError>): void {
    const i = queue.findIndex((p) => p.key === key);
    if (i >= 0) queue.splice(i, 1)[0]!.settle(result);
  }

  function request<T>(queue: Pending<T>[], key: string, body: ClientFrameBody): Promise<Result<T, RequestError>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(err(codedError('ERR_SIGNALING_TIMEOUT', 'no answer from the server'))), REQUEST_TIMEOUT_MS);
      const entry: Pending<T> = { key, settle: done };
      function done(r: Result<T, RequestError>) {
        clearTimeout(timer);
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        resolve(r);
      }
      queue.push(entry);
      if (!send(body)) done(err(codedError('ERR_SIGNALING_DISCONNECTED', 'not connected to the signaling server')));
    });
  }

  return {
    shareCode: (swarmId) => request(pendingCodes, swarmId, { type: 'share-code', swarmId }),
    resolveCode(code) {
      const key = code.trim().toUpperCase();
      return request(pendingResolves, key, { type: 'resolve-code', code: key });
    },
    onShareCode: (swarmId, code) => settle(pendingCodes, swarmId, ok(code)),
    onCodeResolved: (code, swarmId) => settle(pendingResolves, code, ok(swarmId)),
    onError(ref, error) {
      if (ref === 'share-code') pendingCodes.shift()?.settle(err(error));
      else if (ref === 'resolve-code') pendingResolves.shift()?.settle(err(error));
    },
    failAll(error) {
      for (const p of pendingCodes.splice(0)) p.settle(err(error));
      for (const p of pendingResolves.splice(0)) p.settle(err(error));
    },
  };
}
