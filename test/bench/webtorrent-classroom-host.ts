import { startStaticServer } from './lib/static-server.ts';
import { startTracker } from './lib/tracker.ts';

// Runs inside the classroom's teacher namespace (test/bench/lib/webtorrent-class.ts spawns it): the WebTorrent
// bench page and its WebSocket tracker on every teacher address. Prints "READY <page port> <tracker port>";
// exits when its stdin closes (the bench ended or died).

const repoRoot = process.argv[2];
if (!repoRoot) throw new Error('usage: webtorrent-classroom-host.ts <repo root>');
const site = await startStaticServer({ '/': repoRoot }, '0.0.0.0');
const tracker = await startTracker(repoRoot, '0.0.0.0');
process.stdout.write(`READY ${new URL(site.origin).port} ${new URL(tracker.url).port}\n`);
process.stdin.on('end', () => process.exit(0)).resume();
