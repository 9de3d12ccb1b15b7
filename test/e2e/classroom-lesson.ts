import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClassroom, type Classroom, type Laptop } from './classroom-netns.ts';
import { buildPage, CHROMIUM_ARGS } from './harness.ts';
import { playwrightTab } from './browser-tab.ts';
import { ready } from './tabs.ts';

// A lesson: the classroom's namespaces, the teacher's server (as `npm start` wires it) and one Chromium per
// laptop, laptop 1 having created a swarm through its page and every other laptop having opened its join link.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** A TCP listener on laptop 2, to prove whether laptop 1 can reach it directly. */
export const PROBE_PORT = 7000;

export interface Lesson {
  classroom: Classroom;
  port: number;
  browsers: Browser[];
  /** [laptop 1 (created the swarm), laptop 2 (joined by link), …] */
  pages: Page[];
  peerIds: string[];
  /** Date.now() when laptop 2 had joined. */
  joinedAt: number;
  /** Appended to every page's query (engine knobs, test/e2e/page-knobs.ts), e.g. '&seedOnce=0'. */
  query: string;
}

async function startTeacher(classroom: Classroom, env: Record<string, string>): Promise<number> {
  const server = classroom.spawnIn(classroom.teacherNs, process.execPath, ['--import', 'tsx', path.join(REPO, 'test/e2e/classroom-server.ts')], {
    ...process.env, STATIC_DIR: await buildPage(), ...env,
  });
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const ready = new Promise<number>((resolve) => server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const port = /READY (\d+)/.exec(output)?.[1];
    if (port) resolve(Number(port));
  }));
  const exited = once(server, 'exit').then(() => { throw new Error(`teacher server exited: ${output}`); });
  return Promise.race([ready, exited]);
}

/** ?linkTestHook only to read a link's candidate pair (test/e2e/link-test-hook.ts); the engine runs as usual. */
async function openLaptopPage(lesson: Lesson, laptop: Laptop, fragment: string): Promise<Page> {
  const browser = await chromium.launch({ executablePath: await lesson.classroom.chromiumIn(laptop.ns), headless: true, args: CHROMIUM_ARGS });
  lesson.browsers.push(browser);
  const page = await browser.newPage();
  await page.goto(`http://${laptop.teacherIp}:${lesson.port}/?linkTestHook=1${lesson.query}${fragment}`);
  return page;
}

export interface LessonOptions {
  /** Laptops in the room (default 2). */
  laptops?: number;
  /** Runs once the namespaces exist, before any browser starts (e.g. to shape the links). */
  prepare?: (classroom: Classroom) => Promise<void>;
  /** Appended to every page's query, e.g. '&seedOnce=0'. */
  query?: string;
}

/** Teacher server with `env`, a probe listener on laptop 2, and each laptop's browser in one swarm. */
export async function startLesson(forwarding: boolean, env: Record<string, string>, opts: LessonOptions = {}): Promise<Lesson> {
  const classroom = await createClassroom({ laptops: Math.max(2, opts.laptops ?? 2), forwarding });
  const lesson: Lesson = { classroom, port: 0, browsers: [], pages: [], peerIds: [], joinedAt: 0, query: opts.query ?? '' };
  try {
    await opts.prepare?.(classroom);
    lesson.port = await startTeacher(classroom, env);
    const probe = `require('net').createServer((s) => s.end()).listen(${PROBE_PORT}); process.stdin.on('end', () => process.exit()).resume()`;
    classroom.spawnIn(classroom.laptops[1]!.ns, process.execPath, ['-e', probe]);
    const first = await openLaptopPage(lesson, classroom.laptops[0]!, '');
    await first.click('#create-swarm');
    const shareLink = await first.waitForSelector('#share-link[href*="#swarm="]');
    const swarmId = new URL((await shareLink.getAttribute('href'))!).hash;
    const joiners: Page[] = [];
    for (const laptop of classroom.laptops.slice(1)) joiners.push(await openLaptopPage(lesson, laptop, swarmId));
    lesson.pages = [first, ...joiners];
    lesson.peerIds = await Promise.all(lesson.pages.map((page) => ready(playwrightTab(page))));
    for (const page of joiners) {
      await page.waitForFunction((id) => window.tabswarm!.snapshot().swarms.some((s) => `#swarm=${s.swarmId}` === id), swarmId);
    }
    lesson.joinedAt = Date.now();
  } catch (error) {
    await endLesson(lesson);
    throw error;
  }
  return lesson;
}

export async function endLesson(lesson: Lesson | undefined): Promise<void> {
  if (!lesson) return;
  for (const browser of lesson.browsers) await browser.close().catch(() => undefined);
  await lesson.classroom.destroy();
}
