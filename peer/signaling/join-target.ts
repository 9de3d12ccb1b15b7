import { isSwarmId, type SwarmId } from '../../shared/ids.ts';
import { SHARE_CODE_LENGTH } from '../../shared/limits.ts';
import { SHARE_CODE_ALPHABET } from '../../shared/signaling.ts';
import type { SignalingClient } from './client.ts';

// The three ways a person names a swarm: a join link (…#swarm=<id>), a bare swarm id, or a 6-letter share code.

const SWARM_FRAGMENT = /^#swarm=([0-9a-f]{32})$/;

/** The swarm a join link's fragment (#swarm=<id>) names, or null. */
export function swarmInFragment(hash: string): SwarmId | null {
  const id = SWARM_FRAGMENT.exec(hash)?.[1];
  return id !== undefined && isSwarmId(id) ? id : null;
}

/** The join link of a swarm on a page address (the swarm id rides in the fragment, never sent to a server). */
export const swarmLink = (page: { origin: string; pathname: string }, swarmId: SwarmId): string =>
  `${page.origin}${page.pathname}#swarm=${swarmId}`;

const SWARM_IN_TEXT = /(?:^|[#=/])([0-9a-f]{32})(?:$|[&/?])/;
const CODE = new RegExp(`^[${SHARE_CODE_ALPHABET}]{${SHARE_CODE_LENGTH}}$`);

/** Resolves what a person pasted or typed to a swarm id; null when it is none of the accepted forms. */
export async function parseJoinTarget(text: string, signaling: Pick<SignalingClient, 'resolveCode'>): Promise<SwarmId | null> {
  const trimmed = text.trim();
  const id = SWARM_IN_TEXT.exec(trimmed.toLowerCase())?.[1];
  if (id !== undefined && isSwarmId(id)) return id;
  if (CODE.test(trimmed.toUpperCase())) {
    const resolved = await signaling.resolveCode(trimmed);
    return resolved.ok ? resolved.value : null;
  }
  return null;
}
