import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Classroom } from '../../e2e/classroom-netns.ts';

// The classroom's links (test/e2e/classroom-netns.ts: every laptop a veth to the router namespace). Uplinks: a
// token bucket on each laptop's egress. One Wi-Fi channel: one token bucket on an IFB device in the router
// namespace that every student's packets pass twice (entering the router from the laptop, and leaving it towards
// the laptop), so a byte between two students spends the shared rate twice and one from laptop 1, the teacher's,
// wired to the "access point", once: simulator/medium.ts measured.

const run = promisify(execFile);
const tc = (ns: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, 'tc', ...args]);
const tbf = (mbit: number) => ['tbf', 'rate', `${mbit}mbit`, 'burst', '32kb', 'latency', '100ms'];

/** Every laptop's uplink at `mbit`, laptop 1's (the teacher's) at `teacherMbit` if given. */
export async function shapeUplinks(classroom: Classroom, mbit: number, teacherMbit?: number): Promise<void> {
  for (const [i, laptop] of classroom.laptops.entries()) {
    await tc(laptop.ns, 'qdisc', 'add', 'dev', 'eth0', 'root', ...tbf(i === 0 && teacherMbit ? teacherMbit : mbit));
  }
}

/** One channel of `mbit` shared by every laptop but laptop 1 (wired to the access point). */
export async function shareAir(classroom: Classroom, mbit: number): Promise<void> {
  const router = classroom.teacherNs;
  await run('ip', ['-n', router, 'link', 'add', 'air', 'type', 'ifb']);
  await run('ip', ['-n', router, 'link', 'set', 'air', 'up']);
  await tc(router, 'qdisc', 'add', 'dev', 'air', 'root', ...tbf(mbit));
  const toAir = ['matchall', 'action', 'mirred', 'egress', 'redirect', 'dev', 'air'];
  for (let i = 2; i <= classroom.laptops.length; i++) {
    const dev = `lap${i}`; // the router's side of laptop i's link (classroom-netns.ts)
    await tc(router, 'qdisc', 'add', 'dev', dev, 'handle', 'ffff:', 'ingress');
    await tc(router, 'filter', 'add', 'dev', dev, 'parent', 'ffff:', ...toAir);
    await tc(router, 'qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'prio');
    await tc(router, 'filter', 'add', 'dev', dev, 'parent', '1:', ...toAir);
  }
}
