import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { IceServerSchema, type IceServer } from '../shared/signaling.ts';
import { consoleLogger } from './log.ts';
import { parseIceConfig, startIceServices } from './relay/ice-config.ts';
import { sharedResumeKey } from './directory/redis/bus.ts';
import { loadResumeKey } from './resume-key.ts';
import { createSignalingServer } from './server.ts';

// CLI: `tsx signaling-server/main.ts [--port N] [--host H] [--stun on|off|PORT] [--turn on|off|PORT]
// [--turn-networks 10.0.0.0/16,…] [--share PATH]…`; env PORT, HOST, ICE_SERVERS (JSON array), STUN / STUN_PORT,
// TURN / TURN_PORT, TURN_TTL, TURN_NETWORKS (relay/ice-config.ts),
// REDIS_URL (share swarms with the school's other processes), HEARTBEAT_MS (socket and process liveness),
// STATIC_DIR (the built page; default dist/), STATE_DIR (where the resume key is kept: resume-key.ts),
// SHARE (a path: this process also joins as a peer sharing it from disk, node-peer/).

function parseIceServers(json: string | undefined): IceServer[] {
  if (json === undefined || json.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('ICE_SERVERS is not valid JSON');
  }
  const parsed = v.safeParse(v.array(IceServerSchema), value);
  if (!parsed.success) throw new Error('ICE_SERVERS must be a JSON array of {urls, username?, credential?}');
  return parsed.output;
}

/** A Redis URL without its password, for the banner. */
const redactedUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

function parseRedisUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must look like redis://host:6379 (or rediss://, with user:password@ and /db if needed): ${redactedUrl(value)}`);
  }
  return value;
}

function parseHeartbeat(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 50 || ms > 600_000) throw new Error(`HEARTBEAT_MS must be whole milliseconds from 50 to 600000: ${value}`);
  return ms;
}

/** Every address another laptop on the LAN could use, then loopback. */
function pageUrls(host: string, port: number): string[] {
  const lan = Object.values(networkInterfaces()).flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `http://${a!.address}:${port}/`);
  if (host !== '0.0.0.0') return [`http://${host}:${port}/`];
  return [...lan, `http://127.0.0.1:${port}/`];
}

const USAGE = `usage: npm start -- [--port N] [--host ADDRESS] [--share FILE_OR_FOLDER]… [--stun on|off|PORT]
       [--turn on|off|PORT] [--turn-networks CIDR,…]
Environment: PORT, HOST, SHARE, STUN, STUN_PORT, TURN, TURN_PORT, TURN_TTL, TURN_NETWORKS, ICE_SERVERS, REDIS_URL,
STATE_DIR (README.md, "Configuration").`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' }, host: { type: 'string' }, stun: { type: 'string' }, turn: { type: 'string' },
      'turn-networks': { type: 'string' }, share: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return void console.log(USAGE);
  const sharePaths = values.share ?? (process.env['SHARE'] ? [process.env['SHARE']] : []);
  // A mistyped folder is refused before anything is served (the Node peer is loaded only when sharing).
  if (sharePaths.length > 0) await (await import('../node-peer/shared-files.ts')).findSharedFiles(sharePaths);
  const port = Number(values.port ?? process.env['PORT'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port: ${values.port ?? process.env['PORT']}`);
  const host = values.host ?? process.env['HOST'] ?? '0.0.0.0';
  const redisUrl = parseRedisUrl(process.env['REDIS_URL']);
  const heartbeatMs = parseHeartbeat(process.env['HEARTBEAT_MS']);
  const iceServers = parseIceServers(process.env['ICE_SERVERS']);
  const iceConfig = parseIceConfig({
    ...process.env, ...(values.stun === undefined ? {} : { STUN_PORT: values.stun }), ...(values.turn === undefined ? {} : { TURN_PORT: values.turn }),
    ...(values['turn-networks'] === undefined ? {} : { TURN_NETWORKS: values['turn-networks'] }),
  }, iceServers, host);
  if (!iceConfig.ok) throw new Error(iceConfig.error);
  let isMember = (_peerId: string): boolean => false; // the relay starts first; the server answers once it runs
  const ice = await startIceServices(iceConfig.value, { isMember: (peerId) => isMember(peerId), logger: consoleLogger });
  const resume = loadResumeKey(process.env['STATE_DIR'] || undefined);
  if (resume.problem) console.warn(`resume key kept in memory only (tabs get new peer ids after a restart): ${resume.problem}`);
  let resumeKey = resume.key;
  if (redisUrl) {
    const shared = await sharedResumeKey(redisUrl, resumeKey);
    if (shared) resumeKey = shared;
    else console.warn('redis is not reachable yet: this process starts alone and joins the school once it is');
  }
  const server = await createSignalingServer({
    port, host, iceServers, ice, logger: consoleLogger, resumeKey, ...(process.env['STATIC_DIR'] ? { staticDir: process.env['STATIC_DIR'] } : {}), ...(redisUrl ? { redisUrl } : {}), ...(heartbeatMs ? { heartbeatMs } : {}),
  });
  isMember = server.isMember;
  console.log(`tabswarm is serving. Open one of these in a browser (other laptops: a LAN address):`);
  for (const url of pageUrls(host, server.port)) console.log(`  ${url}`);
  for (const line of ice.describe()) console.log(line);
  if (redisUrl) console.log(`Sharing swarms with the other processes on ${redactedUrl(redisUrl)}`);
  // Imported only when sharing: the Node peer loads the native WebRTC module.
  const sharing = sharePaths.length === 0 ? null : await (await import('../node-peer/share-console.ts')).shareWithConsole({
    paths: sharePaths, log: (line) => console.log(line), nickname: 'teacher (shared folder)',
    // The teacher's own peer reaches the server on loopback; the class gets links on the first LAN address.
    server: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${server.port}/`, pageUrl: pageUrls(host, server.port)[0]!,
  }).catch(async (e: unknown) => {
    await Promise.all([server.close(), ice.close()]);
    throw e;
  });
  const shutdown = (signal: string) => {
    console.log(`\n${signal}: closing`);
    sharing?.stop();
    void Promise.all([server.close(), ice.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
  process.exit(1);
});
