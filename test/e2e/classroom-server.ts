import { parseIceConfig, startIceServices } from '../../signaling-server/relay/ice-config.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';

// Runs inside the classroom's teacher namespace: the signaling server with the teacher's STUN/TURN wired as
// main.ts wires them, serving the page built for the test (STATIC_DIR). Env as main.ts: PORT, STUN, TURN.
// Prints `READY <port>` once listening; SIGTERM or the end of stdin closes it.

const config = parseIceConfig(process.env, []);
if (!config.ok) throw new Error(config.error);
let isMember = (_peerId: string): boolean => false;
const ice = await startIceServices(config.value, { isMember: (peerId) => isMember(peerId) });
const server = await createSignalingServer({
  port: Number(process.env['PORT'] ?? 0), host: '0.0.0.0', ice, ...(process.env['STATIC_DIR'] ? { staticDir: process.env['STATIC_DIR'] } : {}),
});
isMember = server.isMember;
console.log(`READY ${server.port}`);
for (const line of ice.describe()) console.log(line);
const stop = () => void Promise.all([server.close(), ice.close()]).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.once('end', stop).resume(); // the test process that spawned this one is gone
