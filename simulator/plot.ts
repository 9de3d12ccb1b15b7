import { readFileSync } from 'node:fs';

// `npx tsx simulator/plot.ts docs/class-sim.jsonl > docs/class-finishing-times.svg`: the README's chart from the
// simulator's JSON lines. Per class size, minutes until the last laptop has the file: plain HTTP from the teacher,
// tabswarm, and the bound no scheme can beat. Log scale: HTTP grows with the class, tabswarm hardly.

interface SimLine { laptops: number; fileMiB: number; uplinkMbit: number; completionS: number | null; boundS: number; httpS: number }

const W = 720;
const H = 400;
const M = { left: 70, right: 20, top: 50, bottom: 60 };
const COLORS = { http: '#c0392b', tabswarm: '#2471a3', bound: '#222' };

function readLines(path: string): SimLine[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as SimLine)
    .filter((l) => l.completionS !== null).sort((a, b) => a.laptops - b.laptops);
}

const minutes = (s: number): number => s / 60;
const label = (m: number): string => (m < 1 ? `${Math.round(m * 60)} s` : m < 100 ? `${Math.round(m * 10) / 10} min` : `${Math.round(m / 6) / 10} h`);

function chart(lines: SimLine[]): string {
  const values = lines.flatMap((l) => [minutes(l.httpS), minutes(l.boundS), minutes(l.completionS!)]);
  const lo = Math.log10(Math.min(...values) / 1.5);
  const hi = Math.log10(Math.max(...values) * 1.5);
  const y = (m: number): number => Math.round((M.top + (H - M.top - M.bottom) * (1 - (Math.log10(m) - lo) / (hi - lo))) * 10) / 10;
  const band = (W - M.left - M.right) / lines.length;
  const out: string[] = [];
  for (const tick of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]) {
    if (Math.log10(tick) < lo || Math.log10(tick) > hi) continue;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${M.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick} min</text>`);
  }
  lines.forEach((l, i) => {
    const x = M.left + band * (i + 0.5);
    const bar = (m: number, dx: number, color: string) =>
      `<rect x="${x + dx - 14}" y="${y(m)}" width="28" height="${H - M.bottom - y(m)}" fill="${color}"/>` +
      `<text x="${x + dx}" y="${y(m) - 6}" text-anchor="middle">${label(m)}</text>`;
    out.push(bar(minutes(l.httpS), -18, COLORS.http), bar(minutes(l.completionS!), 18, COLORS.tabswarm));
    out.push(`<line x1="${x - 40}" x2="${x + 40}" y1="${y(minutes(l.boundS))}" y2="${y(minutes(l.boundS))}" stroke="${COLORS.bound}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 20}" text-anchor="middle">${l.laptops} laptops</text>`);
  });
  const l0 = lines[0]!;
  const title = `Minutes until every laptop has a ${l0.fileMiB >= 1024 ? `${l0.fileMiB / 1024} GiB` : `${l0.fileMiB} MiB`} file (${l0.uplinkMbit} Mbit/s uplinks, simulated)`;
  const legend = [['plain HTTP from the teacher', COLORS.http], ['tabswarm (the last laptop)', COLORS.tabswarm]] as const;
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`);
  legend.forEach(([text, color], i) => out.push(`<rect x="${M.left + i * 260}" y="${H - 22}" width="12" height="12" fill="${color}"/>`,
    `<text x="${M.left + i * 260 + 18}" y="${H - 12}">${text}</text>`));
  out.push(`<line x1="${M.left + 540}" x2="${M.left + 565}" y1="${H - 16}" y2="${H - 16}" stroke="${COLORS.bound}" stroke-dasharray="4 3"/>`,
    `<text x="${M.left + 571}" y="${H - 12}">lower bound</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="${W}" height="${H}" fill="#fff"/>\n${out.join('\n')}\n</svg>\n`;
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: tsx simulator/plot.ts <simulate output .jsonl> > chart.svg\n');
  process.exitCode = 2;
} else {
  process.stdout.write(chart(readLines(path)));
}
