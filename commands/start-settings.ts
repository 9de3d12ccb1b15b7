import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { HEARTBEAT_MS } from '../shared/limits.ts';
import { parseLinkRate } from '../shared/link-load.ts';
import { err, ok, type Result } from '../shared/result.ts';
import { DEFAULT_PORT, IceServerSchema, type IceServer } from '../shared/signaling.ts';
import { DEFAULT_ICE_PORT, DEFAULT_TURN_TTL_S, type IceConfig } from '../signaling-server/relay/ice-config.ts';
import { parseNetworks, type Network } from '../signaling-server/relay/peer-policy.ts';
import { DEFAULT_HOST } from '../signaling-server/server.ts';

// Every setting of `npm start`, once: its flag, its environment variable, its default and its help. The table
// parses argv and the environment into StartSettings, prints the usage, and is what the README's
// "Configuration" table is checked against (test/unit/start-settings.test.ts). A flag beats its variable.

export interface StartSettings {
  port: number;
  host: string;
  share: string[];
  uplink: number | null; // bytes per second; null = unknown
  stun: number | null; // null = off
  turn: number | null;
  turnTtlSeconds: number;
  turnNetworks: Network[] | null; // null = the subnets TURN listens on
  iceServers: IceServer[];
  redisUrl: string | null;
  heartbeatMs: number;
  staticDir: string | null; // null = dist/
  stateDir: string | null; // null = resume-key.ts's default
}

interface Setting<K extends keyof StartSettings> {
  flag: string;
  /** The variable, then any older name it is also read from. */
  env: readonly [string, ...string[]];
  arg: string; // what the usage shows after the flag
  default: StartSettings[K];
  defaultText: string;
  help: string;
  many?: true; // the flag may be given more than once
  /** `values`: each time the flag was given, or the variable's value; `from`: which, for the error. */
  parse(values: readonly string[], from: string): Result<StartSettings[K], string>;
}

type Table = { [K in keyof StartSettings]: Setting<K> };

const last = (values: readonly string[]): string => values[values.length - 1]!;

const rate = (values: readonly string[], from: string): Result<number, string> => {
  const bytes = parseLinkRate(last(values));
  return bytes !== null ? ok(bytes) : err(`${from} must be a rate such as 100mbit or 1gbit: ${last(values)}`);
};

const portNumber = (text: string): number | null => {
  const port = Number(text);
  return text.trim() !== '' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : null;
};

const onOffOrPort = (values: readonly string[], from: string): Result<number | null, string> => {
  const text = last(values);
  if (text === 'on') return ok(DEFAULT_ICE_PORT);
  if (text === 'off') return ok(null);
  const port = portNumber(text);
  return port === null ? err(`${from} must be on, off or a port: ${text}`) : ok(port);
};

/** A Redis URL without its password, for the banner and errors. */
export const redactedUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

export const SETTINGS: Table = {
  port: {
    flag: 'port', env: ['PORT'], arg: 'N', default: DEFAULT_PORT, defaultText: String(DEFAULT_PORT),
    help: 'the port of the page and its socket (0: any free port)',
    parse: (values, from) => {
      const port = portNumber(last(values));
      return port === null ? err(`bad port: ${from} ${last(values)}`) : ok(port);
    },
  },
  host: {
    flag: 'host', env: ['HOST'], arg: 'ADDRESS', default: DEFAULT_HOST, defaultText: `${DEFAULT_HOST} (every interface)`,
    help: 'the address to listen on (127.0.0.1: only this machine); STUN/TURN listen on each IPv4 address of it at start',
    parse: (values) => ok(last(values)),
  },
  share: {
    flag: 'share', env: ['SHARE'], arg: 'FILE_OR_FOLDER', default: [], defaultText: 'nothing', many: true,
    help: 'this process also shares these from disk as a peer (docs/node-peer.md); the flag may be repeated',
    parse: (values) => ok([...values]),
  },
  uplink: {
    flag: 'uplink', env: ['UPLINK'], arg: 'RATE', default: null, defaultText: 'unknown',
    help: "the sharer's link speed, e.g. 1gbit: while it has room the sharer sends every copy itself (Wi-Fi)",
    parse: rate,
  },
  stun: {
    flag: 'stun', env: ['STUN', 'STUN_PORT'], arg: 'on|off|PORT', default: DEFAULT_ICE_PORT, defaultText: `on, port ${DEFAULT_ICE_PORT}`,
    help: "the teacher's STUN server", parse: onOffOrPort,
  },
  turn: {
    flag: 'turn', env: ['TURN', 'TURN_PORT'], arg: 'on|off|PORT', default: DEFAULT_ICE_PORT, defaultText: `on, port ${DEFAULT_ICE_PORT}`,
    help: "the teacher's TURN relay, UDP and TCP on one port (with STUN when the ports are equal)", parse: onOffOrPort,
  },
  turnTtlSeconds: {
    flag: 'turn-ttl', env: ['TURN_TTL'], arg: 'SECONDS', default: DEFAULT_TURN_TTL_S, defaultText: `${DEFAULT_TURN_TTL_S} (8 h)`,
    help: 'how long a relay credential lasts (a relayed link dies when it ends)',
    parse: (values, from) => {
      const ttl = Number(last(values));
      return Number.isInteger(ttl) && ttl >= 60 ? ok(ttl) : err(`${from} must be whole seconds, at least 60: ${last(values)}`);
    },
  },
  turnNetworks: {
    flag: 'turn-networks', env: ['TURN_NETWORKS'], arg: 'CIDR,…', default: null, defaultText: 'the subnets TURN listens on',
    help: 'the networks the relay sends into, e.g. 10.0.0.0/16,192.168.4.0/24 (between its own clients it always relays)',
    parse: (values, from) => {
      const networks = parseNetworks(last(values));
      return networks.ok ? networks : err(`${from}: ${networks.error}`);
    },
  },
  iceServers: {
    flag: 'ice-servers', env: ['ICE_SERVERS'], arg: 'JSON', default: [], defaultText: "none beyond the teacher's STUN/TURN",
    help: 'more ICE servers, a JSON array of {urls, username?, credential?}, e.g. a coturn you run yourself',
    parse: (values, from) => {
      let value: unknown;
      try {
        value = JSON.parse(last(values));
      } catch {
        return err(`${from} is not valid JSON`);
      }
      const parsed = v.safeParse(v.array(IceServerSchema), value);
      return parsed.success ? ok(parsed.output) : err(`${from} must be a JSON array of {urls, username?, credential?}`);
    },
  },
  redisUrl: {
    flag: 'redis-url', env: ['REDIS_URL'], arg: 'URL', default: null, defaultText: "none: everything in this process's memory",
    help: "share swarms with a school's other processes through this Redis (docs/scale-out.md)",
    parse: (values, from) => {
      const text = last(values);
      const protocol = URL.canParse(text) ? new URL(text).protocol : null;
      if (protocol === 'redis:' || protocol === 'rediss:') return ok(text);
      return err(`${from} must look like redis://host:6379 (or rediss://, with user:password@ and /db if needed): ${redactedUrl(text)}`);
    },
  },
  heartbeatMs: {
    flag: 'heartbeat-ms', env: ['HEARTBEAT_MS'], arg: 'MS', default: HEARTBEAT_MS, defaultText: String(HEARTBEAT_MS),
    help: "how often sockets are pinged and a school's processes check each other",
    parse: (values, from) => {
      const ms = Number(last(values));
      return Number.isInteger(ms) && ms >= 50 && ms <= 600_000 ? ok(ms) : err(`${from} must be whole milliseconds from 50 to 600000: ${last(values)}`);
    },
  },
  staticDir: {
    flag: 'static-dir', env: ['STATIC_DIR'], arg: 'DIR', default: null, defaultText: 'dist/ (what `vite build` writes)',
    help: 'the built page to serve', parse: (values) => ok(last(values)),
  },
  stateDir: {
    flag: 'state-dir', env: ['STATE_DIR'], arg: 'DIR', default: null, defaultText: '$XDG_STATE_HOME/tabswarm, else ~/.local/state/tabswarm',
    help: 'where the resume key is kept (yours alone, 0700), so tabs keep their peer ids across a restart',
    parse: (values) => ok(last(values)),
  },
};

type Env = Readonly<Record<string, string | undefined>>;

export type ParsedStart = { help: true } | { help: false; settings: StartSettings };

/** argv (after `npm start --`) and the environment into settings, or the first thing wrong with them. */
export function parseStartSettings(argv: readonly string[], env: Env): Result<ParsedStart, string> {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s: Setting<keyof StartSettings>) =>
    [s.flag, { type: 'string' as const, multiple: true }]));
  let flags: Record<string, string[] | boolean | undefined>;
  try {
    flags = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    return err(error instanceof Error ? error.message : String(error));
  }
  if (flags['help'] === true) return ok({ help: true });
  const settings = {} as Record<keyof StartSettings, unknown>;
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof StartSettings, Setting<keyof StartSettings>][]) {
    const given = flags[setting.flag] as string[] | undefined;
    const envName = setting.env.find((name) => (env[name] ?? '') !== '');
    const [values, from] = given ? [given, `--${setting.flag}`] : envName ? [[env[envName]!], envName] : [null, ''];
    if (values === null) {
      settings[key] = setting.default;
      continue;
    }
    const parsed = setting.parse(values, from);
    if (!parsed.ok) return parsed;
    settings[key] = parsed.value;
  }
  return ok({ help: false, settings: settings as StartSettings });
}

export const anyAddress = (host: string): boolean => host === '0.0.0.0' || host === '::';

/** What the relay needs of the settings: it listens on `host`, or on every IPv4 address when that is all of them. */
export const iceConfigOf = (s: StartSettings): IceConfig => ({
  stunPort: s.stun, turnPort: s.turn, turnTtlSeconds: s.turnTtlSeconds, ips: anyAddress(s.host) ? [] : [s.host],
  turnNetworks: s.turnNetworks, extraIceServers: s.iceServers,
});

/** Where this machine's own processes reach a server listening on `host` (the sharer joins through it). */
export const loopbackOf = (host: string): string => (anyAddress(host) ? '127.0.0.1' : host);

export function usage(): string {
  const rows = Object.values(SETTINGS).flatMap((s: Setting<keyof StartSettings>) => [
    `  --${s.flag} ${s.arg}${s.many ? ' …' : ''}`.padEnd(34) + s.env.join(' or '),
    `      ${s.help}. Default: ${s.defaultText}`,
  ]);
  return ['usage: npm start -- [options]   (a flag, or the environment variable beside it)', ...rows,
    '  --help, -h                      this list (README.md, "Configuration")'].join('\n');
}

/** The README's "Configuration" table, as the test expects it there. */
export function markdownTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = Object.values(SETTINGS).map((s: Setting<keyof StartSettings>) =>
    `| ${cell(s.env.map((e) => `\`${e}\``).join(' or '))} | \`--${s.flag} ${cell(s.arg)}\` | ${cell(s.help)} | ${cell(s.defaultText)} |`);
  return ['| Variable | Flag | What | Default |', '|---|---|---|---|', ...rows].join('\n');
}
