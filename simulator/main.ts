import { parseArgs } from 'node:util';
import { ENGINE_DEFAULTS, simulateClass, type ClassOptions } from './class-sim.ts';

// One JSON line per class on stdout, with the keys of the bench's classroom lines and the CPU time it took.

const USAGE = `usage: npm run simulate -- --laptops 30 --uplink 40mbit --file 1GiB [--downlink 100mbit] [--latency 2ms]
  [--churn 0.1] [--seed 1] [--seed-once off] [--seeder-uplink 100mbit] [--piece 256KiB] [--request-timeout 20s]
  [--hoarders 1] (hostile students: claim every piece, serve none)
  [--hoggers 1] (hostile students: hold every link one address may open, 64 sockets, and idle)
  [--medium wired|wifi] [--airtime 100mbit] [--teacher wired|wifi] [--access-points 1] (Wi-Fi: each access
  point's laptops share its channel's airtime)
  [--teacher-links sharer|tab] (the teacher's link caps: \`tabswarm share\`'s, the default, or a tab's)
  [--teacher-first on|off] (students ask the teacher first, others for what it refuses while its link is full)
--laptops takes a list (4,8,30). One JSON line per class on stdout.`;

const UNITS: Record<string, number> = { b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, kb: 1e3, mb: 1e6, gb: 1e9 };
const RATES: Record<string, number> = { kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8, 'mb/s': 1e6 };

function quantity(text: string, units: Record<string, number>, what: string): number {
  const m = /^([\d.]+)\s*([a-z/]*)$/i.exec(text.trim());
  const factor = m ? units[(m[2] || Object.keys(units)[0]!).toLowerCase()] : undefined;
  if (!m || factor === undefined || !(Number(m[1]) > 0)) throw new Error(`bad ${what} "${text}" (units: ${Object.keys(units).join(', ')})`);
  return Number(m[1]) * factor;
}

function seconds(text: string): number {
  const m = /^([\d.]+)\s*(ms|s)?$/.exec(text.trim());
  if (!m) throw new Error(`bad latency "${text}" (e.g. 2ms)`);
  return Number(m[1]) / (m[2] === 's' ? 1 : 1000);
}

function optionsFrom(argv: string[]): ClassOptions[] {
  const { values } = parseArgs({
    args: argv,
    options: {
      laptops: { type: 'string', default: '30' }, uplink: { type: 'string', default: '40mbit' },
      'seeder-uplink': { type: 'string' }, downlink: { type: 'string' }, file: { type: 'string', default: '1GiB' },
      latency: { type: 'string', default: '1ms' }, churn: { type: 'string', default: '0' }, seed: { type: 'string', default: '1' },
      'seed-once': { type: 'string', default: 'on' }, piece: { type: 'string' }, 'request-timeout': { type: 'string' },
      hoarders: { type: 'string', default: '0' }, hoggers: { type: 'string', default: '0' }, medium: { type: 'string', default: 'wired' },
      airtime: { type: 'string', default: '100mbit' }, teacher: { type: 'string', default: 'wired' },
      'teacher-links': { type: 'string', default: 'sharer' }, 'teacher-first': { type: 'string', default: 'on' },
      'access-points': { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return [];
  const churn = Number(values.churn);
  if (!(churn >= 0 && churn < 1)) throw new Error('--churn is a fraction of the leechers in [0, 1)');
  const hoarders = Number(values.hoarders);
  const hoggers = Number(values.hoggers);
  if (!Number.isInteger(hoggers) || hoggers < 0) throw new Error('--hoggers is a count of students');
  if (!Number.isInteger(hoarders) || hoarders < 0) throw new Error('--hoarders is a count of laptops');
  if (values.medium !== 'wired' && values.medium !== 'wifi') throw new Error('--medium is wired or wifi');
  if (values.teacher !== 'wired' && values.teacher !== 'wifi') throw new Error('--teacher is wired or wifi');
  const teacherLinks: 'tab' | 'sharer' = values['teacher-links'] === 'tab' ? 'tab' : 'sharer';
  if (values['teacher-links'] !== teacherLinks) throw new Error('--teacher-links is tab or sharer');
  if (values['teacher-first'] !== 'on' && values['teacher-first'] !== 'off') throw new Error('--teacher-first is on or off');
  const accessPoints = Number(values['access-points']);
  if (!Number.isInteger(accessPoints) || accessPoints < 1) throw new Error('--access-points is a count');
  const medium = { kind: values.medium, airtime: quantity(values.airtime, RATES, 'airtime'), teacher: values.teacher, accessPoints } as const;
  const base = {
    ...ENGINE_DEFAULTS,
    fileBytes: Math.round(quantity(values.file, UNITS, 'file size')),
    uplink: quantity(values.uplink, RATES, 'uplink'),
    ...(values['seeder-uplink'] ? { seederUplink: quantity(values['seeder-uplink'], RATES, 'seeder uplink') } : {}),
    downlink: values.downlink ? quantity(values.downlink, RATES, 'downlink') : Infinity,
    ...(values.piece ? { smallestPieceLength: quantity(values.piece, UNITS, 'piece length') } : {}),
    ...(values['request-timeout'] ? { requestTimeoutMs: seconds(values['request-timeout']) * 1000 } : {}),
    hoarders, hoggers, medium, teacherLinks, teacherFirst: values['teacher-first'] === 'on',
    latencyS: seconds(values.latency), churn, seed: Number(values.seed), seedOnce: values['seed-once'] !== 'off',
  };
  return values.laptops.split(',').map((n) => {
    const laptops = Number(n);
    if (!Number.isInteger(laptops) || laptops < 2 + hoarders) throw new Error(`--laptops ${n}: at least the teacher, the hoarders and one student`);
    return { ...base, laptops };
  });
}

/** The classes asked for, or null after saying what is wrong with the command line (exit code 2). */
function classesOrUsage(argv: string[]): ClassOptions[] | null {
  try {
    return optionsFrom(argv);
  } catch (e) {
    process.stderr.write(`simulate: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exitCode = 2;
    return null;
  }
}

const classes = classesOrUsage(process.argv.slice(2));
if (classes?.length === 0) process.stdout.write(`${USAGE}\n`);
try {
  for (const options of classes ?? []) {
    const cpu0 = process.cpuUsage();
    const result = simulateClass(options);
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ sim: 'classroom', ...result, cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100 })}\n`);
  }
} catch (e) {
  process.stderr.write(`simulate: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 2;
}
