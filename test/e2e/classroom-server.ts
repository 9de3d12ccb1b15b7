import { iceConfigOf, parseStartSettings } from '../../commands/start-settings.ts';
import { createSignalingServer } from '../../signaling-server/server.ts';

// Runs inside the classroom's teacher namespace: the signaling server with the teacher's STUN/TURN as `npm start`
// configures them (STUN, TURN… from the environment), serving the page built for the test (STATIC_DIR), on PORT
// (default: any free port). Prints `READY <port>` once listening; SIGTERM or the end of stdin closes it.

const parsed = parseStartSettings([], { ...process.env, PORT: process.env['PORT'] ?? '0' });
if (!parsed.ok || parsed.value.help) throw new Error(parsed.ok ? 'no settings' : parsed.error);
const settings = parsed.value.settings;
const server = await createSignalingServer({
  port: settings.port, host: settings.host, iceConfig: iceConfigOf(settings),
  ...(settings.staticDir === null ? {} : { staticDir: settings.staticDir }),
});
console.log(`READY ${server.port}`);
for (const line of server.describeIce()) console.log(line);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.once('end', stop).resume(); // the test process that spawned this one is gone
