import { describe, expect, it } from 'vitest';
import { newPeerId, newSwarmId } from '../../shared/ids.ts';
import { parseServerFrame } from '../../shared/signaling.ts';

// A member's address tag is the server's (shared/signaling.ts): a malformed one fails the frame, a missing one
// (a school's older process listing its members through Redis during an upgrade) is a member of its own address.

const joined = (member: Record<string, unknown>) => JSON.stringify({
  v: 1, type: 'joined', swarmId: newSwarmId(), members: [{ peerId: newPeerId(), nickname: 'Ada', ...member }], announcements: [],
});

describe('peer info schema', () => {
  it('peer info: a member with a tag or without one parses; an empty or non-hex tag fails the frame', () => {
    const tagged = parseServerFrame(joined({ addressTag: '0123456789abcdef' }));
    expect(tagged.ok && tagged.value.type === 'joined' && tagged.value.members[0]!.addressTag).toBe('0123456789abcdef');
    const untagged = parseServerFrame(joined({}));
    expect(untagged.ok && untagged.value.type === 'joined' && untagged.value.members[0]!.addressTag).toBeUndefined();
    for (const addressTag of ['', '127.0.0.1', 'f'.repeat(15)]) {
      expect(parseServerFrame(joined({ addressTag })).ok, addressTag).toBe(false);
    }
  });
});
