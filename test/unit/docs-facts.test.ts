import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import * as L from '../../shared/limits.ts';
import * as S from '../../shared/signaling.ts';

// The values docs/limits.md and docs/protocol.md quote are shared/limits.ts's and shared/signaling.ts's: change a
// constant and this test names the row to update. And the README stays short enough to read in a few minutes.

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const { KiB, MiB } = L.SIZES;
const s = (ms: number): string => `${ms / 1000} s`;
const kib = (bytes: number): string => `${bytes / KiB} KiB`;
const mib = (bytes: number): string => `${bytes / MiB} MiB`;

/** Each table row of docs/limits.md (by its first cell), with what its Value cell must say (the Why cell: `why:`). */
const LIMIT_ROWS: Record<string, string[]> = {
  'Frame size': [kib(L.MAX_SIGNAL_FRAME_BYTES), `why:${L.MAX_PIECES_PER_FILE} piece hashes`],
  'Hard frame cap': [mib(L.MAX_WS_PAYLOAD_BYTES)],
  'Oversized frames': [`${L.MAX_OVERSIZED_FRAMES} answered`, `closes ${S.CLOSE_TOO_LARGE}`],
  'Before `hello`': [`≤ ${kib(L.MAX_HELLO_FRAME_BYTES)}`, `within ${s(L.HELLO_TIMEOUT_MS)}`, `${S.CLOSE_NO_HELLO}`],
  Sockets: [`${L.MAX_CONNECTIONS_PER_ADDRESS} per address (${S.CLOSE_TOO_MANY_FROM_ADDRESS})`, `${L.MAX_CONNECTIONS} in all (${S.CLOSE_SERVER_FULL})`],
  'TCP connections (before HTTP reads a byte)': [
    `sockets + ${L.TCP_HEADROOM_PER_ADDRESS} per address`, `sockets + ${L.TCP_HEADROOM} in all`, `headers: ${s(L.HTTP_HEADERS_TIMEOUT_MS)}`,
  ],
  'New sockets per address': [`${L.NEW_CONNECTIONS_BURST_PER_ADDRESS} at once, then ${L.NEW_CONNECTIONS_PER_SECOND_PER_ADDRESS}/s`],
  'Frame bytes per address': [`${mib(L.INBOUND_BYTES_BURST_PER_ADDRESS)} at once, then ${kib(L.INBOUND_BYTES_PER_SECOND_PER_ADDRESS)}/s`],
  Rate: [`burst ${L.SIGNAL_RATE_BURST} frames, then ${L.SIGNAL_RATE_PER_SECOND} frames/s`],
  Abuse: [`${L.MAX_RATE_STRIKES} refused frames (regained ${L.RATE_STRIKES_PER_SECOND}/s), then close ${S.CLOSE_RATE_LIMIT}`],
  '`resolve-code`': [
    `costs ${L.RESOLVE_CODE_COST} frames`, `${L.CODE_GUESS_BURST_PER_ADDRESS} guesses then ${L.CODE_GUESSES_PER_SECOND_PER_ADDRESS}/s per address`,
    `${L.WRONG_CODE_BURST} wrong codes then ${L.WRONG_CODES_PER_SECOND}/s`,
  ],
  Heartbeat: [`every ${s(L.HEARTBEAT_MS)}`, `${L.MAX_MISSED_PONGS} pings without a pong`],
  'Unfinished message': [`${s(L.UNFINISHED_MESSAGE_MS)}, then close ${S.CLOSE_UNFINISHED}`],
  'Swarms per socket': [`${L.MAX_SWARMS_PER_SOCKET}`],
  'Members per swarm': [`${L.MAX_MEMBERS_PER_SWARM}`],
  'Files per swarm': [`${L.MAX_ANNOUNCEMENTS_PER_SWARM} announcements, ${mib(L.MAX_ANNOUNCED_BYTES_PER_SWARM)}`],
  'Manifest bytes': [
    `${mib(L.MAX_ANNOUNCED_BYTES_PER_PEER)} per peer, ${mib(L.MAX_ANNOUNCED_BYTES_PER_ADDRESS)} per address, ${mib(L.MAX_ANNOUNCED_BYTES_TOTAL)} in all`,
    `why:its ${L.MAX_SWARMS_PER_SOCKET} swarms`,
  ],
  Nickname: [`1–${L.MAX_NICKNAME_LENGTH} characters`],
  'Unsent bytes per socket': [mib(L.MAX_SIGNAL_BUFFERED_BYTES)],
  'TURN allocations': [`${L.MAX_TURN_ALLOCATIONS_PER_PEER} per peer, ${L.MAX_TURN_ALLOCATIONS_PER_ADDRESS} per address, ${L.MAX_TURN_ALLOCATIONS} in total`],
  'TURN-over-TCP connections': [
    `${L.MAX_TURN_TCP_CONNECTIONS_PER_ADDRESS} per address, ${L.MAX_TURN_TCP_CONNECTIONS} in total`, `${s(L.TURN_TCP_IDLE_MS)} without an allocation`,
  ],
  'Permissions and channels': [`${L.MAX_TURN_PEERS_PER_ALLOCATION} per allocation`],
  'Unread relayed bytes per TCP client': [mib(L.MAX_TURN_TCP_BUFFERED_BYTES)],
};

/** Table rows by first cell: [Value, Why], thousands separators dropped ("10,000" reads as 10000). */
function tableRows(markdown: string): Map<string, [string, string]> {
  const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Limit |'));
  return new Map(rows.map((line) => {
    const [first, value, why] = line.slice(2).replace(/(\d),(\d{3})/g, '$1$2').split(' | ');
    return [first!.trim(), [` ${value ?? ''}`, why ?? '']];
  }));
}

it('docs/limits.md: every row quotes the values of shared/limits.ts, and every row is checked here', () => {
  const rows = tableRows(read('docs/limits.md'));
  expect([...rows.keys()].sort()).toEqual(Object.keys(LIMIT_ROWS).sort());
  for (const [row, facts] of Object.entries(LIMIT_ROWS)) {
    const [value, why] = rows.get(row)!;
    for (const fact of facts) {
      if (fact.startsWith('why:')) expect(why, row).toContain(fact.slice(4));
      else expect(value, row).toMatch(new RegExp(`\\D${fact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
  }
});

it('docs/protocol.md: the signaling version, every close code and the hello caps are the constants', () => {
  const protocol = read('docs/protocol.md');
  expect(protocol).toContain(`\`SIGNAL_VERSION\` (${S.SIGNAL_VERSION})`);
  const closeCodes = Object.entries(S).filter(([name]) => name.startsWith('CLOSE_')).map(([, code]) => code as number);
  expect(closeCodes.length).toBeGreaterThan(0);
  for (const code of closeCodes) expect(protocol).toMatch(new RegExp(`\\b${code} [a-z]`));
  expect(protocol).toContain(`none within ${s(L.HELLO_TIMEOUT_MS)}`);
  expect(protocol).toContain(`before \`hello\`:\n${kib(L.MAX_HELLO_FRAME_BYTES)}`);
});

it('README: under 18 kB, so it reads in a few minutes (long write-ups go to docs/)', () => {
  expect(Buffer.byteLength(read('README.md'))).toBeLessThan(18_000);
});
