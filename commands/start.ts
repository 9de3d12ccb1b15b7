import { networkInterfaces } from 'node:os';
import { consoleLogger } from '../signaling-server/log.ts';
import { resumeKeyFor } from '../signaling-server/resume-key.ts';
import { createSignalingServer } from '../signaling-server/server.ts';
import { anyAddress, iceConfigOf, loopbackOf, parseStartSettings, redactedUrl, usage } from './start-settings.ts';

// `npm start [-- options]`: the signaling server (page, socket, STUN/TURN) and, with --share, the Node peer sharing
// files from disk beside it. Only wiring: the settings are start-settings.ts's table, the parts their own folders.

/** Every address another laptop on the LAN could use, then loopback. */
function pageUrls(host: string, port: number): string[] {
  if (!anyAddress(host)) return [`http://${host}:${port}/`];
  const lan = Object.values(networkInterfaces()).flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `http://${a!.address}:${port}/`);
  return [...lan, `http://127.0.0.1:${port}/`];
}

async function start(): Promise<void> {
  const parsed = parseStartSettings(process.argv.slice(2), process.env);
  if (!parsed.ok) throw new Error(`${parsed.error}\n${usage()}`);
  if (parsed.value.help) return void console.log(usage());
  const s = parsed.value.settings;
  // A mistyped folder is refused before anything is served. The Node peer is loaded only when sharing: it
  // brings the native WebRTC module.
  if (s.share.length > 0) await (await import('../node-peer/shared-files.ts')).findSharedFiles(s.share);
  const server = await createSignalingServer({
    port: s.port, host: s.host, iceServers: s.iceServers, iceConfig: iceConfigOf(s), logger: consoleLogger,
    resumeKey: await resumeKeyFor(s.stateDir, s.redisUrl, consoleLogger), heartbeatMs: s.heartbeatMs,
    ...(s.staticDir === null ? {} : { staticDir: s.staticDir }), ...(s.redisUrl === null ? {} : { redisUrl: s.redisUrl }),
  });
  const urls = pageUrls(s.host, server.port);
  console.log(`tabswarm is serving. Open one of these in a browser (other laptops: a LAN address):`);
  for (const url of urls) console.log(`  ${url}`);
  for (const line of server.describeIce()) console.log(line);
  if (s.redisUrl !== null) console.log(`Sharing swarms with the other processes on ${redactedUrl(s.redisUrl)}`);
  const sharing = s.share.length === 0 ? null : await (await import('../node-peer/share-console.ts')).shareWithConsole({
    paths: s.share, log: (line) => console.log(line), nickname: 'teacher (shared folder)', uplinkBytesPerSecond: s.uplink,
    withServer: true, // its sockets and relay share the process's open files with the sharer's links
    // The teacher's own peer reaches the server on loopback; the class gets links on the first LAN address.
    server: `http://${loopbackOf(s.host)}:${server.port}/`, pageUrl: urls[0]!,
  }).catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  const shutdown = (signal: string) => {
    console.log(`\n${signal}: closing`);
    sharing?.stop();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

start().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
