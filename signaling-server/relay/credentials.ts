import { createHmac } from 'node:crypto';
import { isPeerId, type PeerId } from '../../shared/ids.ts';
import { err, ok, type Result } from '../../shared/result.ts';

// TURN REST credentials (draft-uberti-behave-turn-rest): username `<expiry unix s>:<peerId>`,
// credential base64(HMAC-SHA1(secret, username)). The relay recomputes the credential from the
// username alone, so nothing is stored per peer and a credential cannot be stretched or moved to
// another peer id without the secret.

export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix seconds after which the relay refuses the credential. */
  expiresAt: number;
}

export type TurnUsernameError = 'malformed' | 'expired';

const USERNAME_PATTERN = /^(\d{1,12}):([0-9a-f]+)$/;

export const turnPassword = (secret: Uint8Array, username: string): string =>
  createHmac('sha1', secret).update(username).digest('base64');

export function issueTurnCredential(secret: Uint8Array, peerId: PeerId, nowMs: number, ttlSeconds: number): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${peerId}`;
  return { username, credential: turnPassword(secret, username), expiresAt };
}

/** The peer a username names, if it is well formed and not expired at `nowMs`. */
export function checkTurnUsername(username: string, nowMs: number): Result<PeerId, TurnUsernameError> {
  const match = USERNAME_PATTERN.exec(username);
  const peerId = match?.[2];
  if (match === null || peerId === undefined || !isPeerId(peerId)) return err('malformed');
  if (Number(match[1]) * 1000 <= nowMs) return err('expired');
  return ok(peerId);
}
