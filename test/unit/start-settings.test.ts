import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { markdownTable, parseStartSettings, SETTINGS, usage, type StartSettings } from '../../commands/start-settings.ts';

// `npm start`'s one settings table: what it parses, and that the README and --help say what it holds.

const settings = (argv: string[], env: Record<string, string> = {}): StartSettings => {
  const parsed = parseStartSettings(argv, env);
  if (!parsed.ok || parsed.value.help) throw new Error(parsed.ok ? 'help' : parsed.error);
  return parsed.value.settings;
};

it("start settings: the README's Configuration table is the settings table", () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  expect(readme).toContain(markdownTable());
});

it('start settings: --help lists every flag and every variable', () => {
  const text = usage();
  for (const s of Object.values(SETTINGS)) {
    expect(text).toContain(`--${s.flag} `);
    for (const name of s.env) expect(text).toContain(name);
  }
  expect(parseStartSettings(['--help'], {})).toEqual({ ok: true, value: { help: true } });
});

it('start settings: nothing given is port 8080 on every interface, STUN and TURN on 3478, nothing shared', () => {
  expect(settings([])).toMatchObject({ port: 8080, host: '0.0.0.0', stun: 3478, turn: 3478, share: [], redisUrl: null, iceServers: [] });
});

it('start settings: a flag beats its variable; an empty variable counts as unset; --share may repeat', () => {
  expect(settings(['--port', '9000'], { PORT: '7000' }).port).toBe(9000);
  expect(settings([], { PORT: '7000', HOST: '' })).toMatchObject({ port: 7000, host: '0.0.0.0' });
  expect(settings(['--share', 'a', '--share', 'b c'], { SHARE: 'x' }).share).toEqual(['a', 'b c']);
  expect(settings([], { SHARE: 'x' }).share).toEqual(['x']);
});

it('start settings: STUN and TURN are on, off or a port; STUN_PORT / TURN_PORT are read when STUN / TURN are not set', () => {
  expect(settings([], { STUN: 'off', TURN: '0' })).toMatchObject({ stun: null, turn: 0 });
  expect(settings([], { STUN_PORT: '3479', TURN: 'on' })).toMatchObject({ stun: 3479, turn: 3478 });
  expect(settings(['--stun', 'off'], { STUN: '5000' }).stun).toBeNull();
});

it("start settings: --uplink is the shared folder's link speed in bytes per second; unset, unknown", () => {
  expect(settings([]).uplink).toBeNull();
  expect(settings(['--uplink', '1gbit']).uplink).toBe(125_000_000);
  expect(settings([], { UPLINK: '100 Mbit' }).uplink).toBe(12_500_000);
  expect(parseStartSettings([], { UPLINK: 'fast' })).toEqual({ ok: false, error: 'UPLINK must be a rate such as 100mbit or 1gbit: fast' });
  expect(parseStartSettings(['--uplink', '0mbit'], {}).ok).toBe(false);
});

it('start settings: a bad value is refused with the name it was given under', () => {
  const refused = (argv: string[], env: Record<string, string>) => {
    const parsed = parseStartSettings(argv, env);
    return parsed.ok ? null : parsed.error;
  };
  expect(refused([], { PORT: '70000' })).toMatch(/PORT/);
  expect(refused(['--port', 'x'], {})).toMatch(/--port/);
  expect(refused([], { STUN: 'sometimes' })).toMatch(/STUN must be on, off or a port/);
  expect(refused([], { TURN_TTL: '5' })).toMatch(/TURN_TTL must be whole seconds/);
  expect(refused([], { ICE_SERVERS: '[{"url":1}]' })).toMatch(/ICE_SERVERS must be a JSON array/);
  expect(refused([], { REDIS_URL: 'http://user:secret@x' })).toMatch(/REDIS_URL must look like redis:\/\/host:6379.*http:\/\/\*\*\*@x/);
  expect(refused([], { HEARTBEAT_MS: '10' })).toMatch(/HEARTBEAT_MS must be whole milliseconds/);
  expect(refused(['--prot', '9000'], {})).toMatch(/Unknown option '--prot'/);
  expect(refused(['stray'], {})).not.toBeNull();
});
