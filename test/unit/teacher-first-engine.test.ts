import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../shared/codec.ts';
import { parseLinkRate } from '../../shared/link-load.ts';
import { createEngineFixture, fileOf, randomFile, SMALL_PIECES, until, type EngineFixture, type TestPeer } from '../helpers/engine-fixture.ts';

// Teacher first, engines end to end: a sharer that knows its uplink has room tells a downloader unasked that it
// serves it ('slot' granted=true, upload-slots.ts 'invite'), and the downloader then asks the file's origin first
// (file-routes.ts preferOrigin, setPreferredSource). A tab (uplink unknown) never says so: a peer among others.

const KiB = 1024;
const PIECES = 48; // of 64 KiB (SMALL_PIECES)
const complete = (p: TestPeer, fileId: string) => fileOf(p.engine.snapshot(), fileId)?.state === 'complete';

let fx: EngineFixture;
afterEach(() => fx?.closeAll());

/**
 * The teacher shares a file; one student fetches it all first, then a second student links to both. Returns
 * where the second student's pieces came from and the 'slot' messages the teacher sent it.
 */
async function classOf(uplinkBytesPerSecond: number | null) {
  fx = createEngineFixture();
  const teacher = await fx.peer('a1', { params: { ...SMALL_PIECES, uplinkBytesPerSecond } });
  const done = await fx.peer('b2', { params: SMALL_PIECES });
  const student = await fx.peer('c3', { params: SMALL_PIECES });
  const swarmId = await teacher.engine.createSwarm();
  const [fileId] = await teacher.engine.seed(swarmId, [randomFile(PIECES * 64 * KiB, 'lesson.bin')]);
  await done.engine.joinSwarm(swarmId);
  await until(() => teacher.engine.snapshot().swarms[0]?.members.length === 1, 2000, 'first student a member');
  fx.connect(teacher, done);
  await until(() => complete(done, fileId!), 5000, 'first student complete');
  // The teacher's link load needs 200 ms of sending history before it judges its link to have room
  // (shared/link-load.ts): a wait that only has to be long enough, never short enough.
  await new Promise((r) => setTimeout(r, 250));

  await student.engine.joinSwarm(swarmId);
  await until(() => student.engine.snapshot().swarms[0]?.members.length === 2, 2000, 'second student sees both');
  fx.connect(teacher, student);
  fx.connect(done, student);
  await until(() => complete(student, fileId!), 5000, 'second student complete');

  const sources = fileOf(student.engine.snapshot(), fileId!)!.sources;
  const slots = teacher.linkTo.get(student.peerId)!.sentFrames.map((f) => decode(f))
    .flatMap((m) => (m.ok && m.value.type === 'slot' ? [m.value.granted] : []));
  return { fromTeacher: sources[teacher.peerId] ?? 0, fromStudent: sources[done.peerId] ?? 0, slots };
}

describe('teacher first in the engine', () => {
  it('teacher first engine: a wired teacher with room invites the student, who takes most pieces from it', async () => {
    const { fromTeacher, fromStudent, slots } = await classOf(parseLinkRate('1gbit'));
    expect(fromTeacher + fromStudent).toBe(PIECES);
    expect(slots).toContain(true); // told unasked that it is served
    expect(fromTeacher).toBeGreaterThanOrEqual(0.8 * PIECES);
  });

  it('teacher first engine: a teacher whose uplink is unknown (a tab) never invites; the student fetches from both', async () => {
    const { fromTeacher, fromStudent, slots } = await classOf(null);
    expect(fromTeacher + fromStudent).toBe(PIECES);
    expect(slots).not.toContain(true);
    expect(fromStudent).toBeGreaterThan(0.25 * PIECES);
    expect(fromTeacher).toBeGreaterThan(0); // one peer among others, as before
  });
});
