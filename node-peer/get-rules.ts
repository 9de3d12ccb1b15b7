import picomatch from 'picomatch';
import { SIZES } from '../shared/limits.ts';
import { err, ok, type Result } from '../shared/result.ts';
import { checkedSegments, foldName, isHiddenPath } from './output-paths.ts';

// What `get` takes from a swarm. Anyone in the swarm announces files under names they chose, so by default
// `get` refuses hidden paths (`.git/hooks/…`, `.vscode/tasks.json`: read and run by tools), never takes the
// names of its own files, and stops at a ceiling of files and bytes. The person widens or narrows it with
// --include / --exclude globs (picomatch, matched against the '/'-separated name) and --max-files / --max-size.

export interface GetRules {
  /** Only names matching one of these are taken (none given: every name that is not hidden). */
  include: string[];
  /** Names matching one of these are never taken. */
  exclude: string[];
  maxFiles: number;
  maxBytes: number;
}

/** A class's swarm holds at most 256 announcements (the server's cap); a lab image is a few GB. */
export const DEFAULT_RULES: GetRules = { include: [], exclude: [], maxFiles: 256, maxBytes: 16 * 1024 * SIZES.MiB };

/** The downloader's own files and folder (resume record, temporaries, unfinished pieces) start with this. */
export const STORE_PREFIX = '.tabswarm-get';

export interface RuleCheck {
  /** The safe path segments the file would be written under. */
  segments: string[];
}

/** Why a file is not taken. `failed`: the person wanted it and did not get it (`get` exits 1); otherwise the
 * rules left it out on purpose. */
export interface Refusal {
  reason: string;
  failed: boolean;
}

export interface NameRules {
  check(name: string): Result<RuleCheck, Refusal>;
}

export function nameRules(rules: Pick<GetRules, 'include' | 'exclude'>): NameRules {
  const matcher = (globs: string[]) => (globs.length === 0 ? () => false : picomatch(globs, { dot: true }));
  const included = matcher(rules.include);
  const excluded = matcher(rules.exclude);
  return {
    check(name) {
      const safe = checkedSegments(name);
      if (!safe.ok) return err({ reason: safe.error, failed: true });
      const relative = safe.value.join('/');
      if (foldName(safe.value[0]!).startsWith(STORE_PREFIX)) return err({ reason: "it would take the name of get's own files", failed: false });
      if (excluded(relative)) return err({ reason: 'excluded by --exclude', failed: false });
      if (rules.include.length > 0 && !included(relative)) return err({ reason: 'not matched by --include', failed: false });
      if (isHiddenPath(safe.value) && !included(relative)) {
        return err({ reason: 'a hidden path (tools read and run these): --include it by name to take it', failed: false });
      }
      return ok({ segments: safe.value });
    },
  };
}
