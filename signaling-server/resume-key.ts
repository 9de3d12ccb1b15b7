import { randomBytes } from 'node:crypto';
import { constants, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { sharedResumeKey } from './directory/redis/bus.ts';
import type { Logger } from './log.ts';

// The HMAC key of resume secrets, kept across restarts so tabs keep their peerIds and open links. Whoever can
// plant or read it can forge any peer's resume secret, so it lives in a directory only this user can enter
// (0700, owned by us), in a file only this user can read (0600, owned by us, not a link). Anything else found
// there is not trusted: the server uses a fresh key held in memory and says why.

export const RESUME_KEY_BYTES = 32;
const FILE_NAME = 'resume-key';

/** $XDG_STATE_HOME/tabswarm, else ~/.local/state/tabswarm. */
export const defaultStateDir = (env: NodeJS.ProcessEnv = process.env): string =>
  path.join(env['XDG_STATE_HOME'] || path.join(homedir(), '.local', 'state'), 'tabswarm');

export interface LoadedKey {
  key: Uint8Array;
  /** Why the key will not survive a restart; null when it is stored. */
  problem: string | null;
}

const uid = (): number | null => process.getuid?.() ?? null;

/** Null when `stat` is ours and no one else may touch it; otherwise what is wrong. */
function ownershipProblem(what: string, stat: { uid: number; mode: number }): string | null {
  const me = uid();
  if (me !== null && stat.uid !== me) return `${what} belongs to another user (uid ${stat.uid})`;
  if ((stat.mode & 0o077) !== 0) return `${what} is open to other users (mode ${(stat.mode & 0o777).toString(8)})`;
  return null;
}

function ensureDir(dir: string): string | null {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  return ownershipProblem(dir, stat);
}

/** The stored key, or null when there is none yet; throws a message when the file is not to be trusted. */
function readKey(file: string): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    const problem = ownershipProblem(file, stat) ?? (stat.isFile() && stat.size === RESUME_KEY_BYTES ? null : `${file} is not a ${RESUME_KEY_BYTES}-byte file`);
    if (problem) throw new Error(problem);
    const key = Buffer.alloc(RESUME_KEY_BYTES);
    readSync(fd, key, 0, RESUME_KEY_BYTES, 0);
    return key;
  } finally {
    closeSync(fd);
  }
}

function writeKey(file: string, key: Uint8Array): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
}

export function loadResumeKey(dir: string = defaultStateDir()): LoadedKey {
  const fresh = randomBytes(RESUME_KEY_BYTES);
  try {
    const dirProblem = ensureDir(dir);
    if (dirProblem) return { key: fresh, problem: dirProblem };
    const file = path.join(dir, FILE_NAME);
    const stored = readKey(file);
    if (stored) return { key: stored, problem: null };
    writeKey(file, fresh);
    return { key: fresh, problem: null };
  } catch (error) {
    return { key: fresh, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The key this process uses: the school's through Redis when it runs there, else the one kept in `stateDir`. */
export async function resumeKeyFor(stateDir: string | null, redisUrl: string | null, logger: Logger): Promise<Uint8Array> {
  const loaded = loadResumeKey(stateDir ?? undefined);
  if (loaded.problem) logger.warn(`resume key kept in memory only (tabs get new peer ids after a restart): ${loaded.problem}`);
  if (redisUrl === null) return loaded.key;
  const shared = await sharedResumeKey(redisUrl, loaded.key);
  if (!shared) logger.warn('redis is not reachable yet: this process starts alone and joins the school once it is');
  return shared ?? loaded.key;
}
