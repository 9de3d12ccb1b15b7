import { MAX_NICKNAME_LENGTH } from './limits.ts';
import { err, ok, type Result } from './result.ts';

// A nickname is shown next to a peer on every other tab: it must read as what it is. Normalised to NFC and
// trimmed; refused when it holds characters that hide, reorder or break the text around it.

/** Raw input bound before normalising (NFC never lengthens by more than this; decomposed input can be 3× longer). */
export const MAX_RAW_NICKNAME_LENGTH = 4 * MAX_NICKNAME_LENGTH;

const REFUSED: [RegExp, string][] = [
  [/[\u0000-\u001f\u007f-\u009f]/u, 'control characters'],
  [/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u, 'text-direction controls'],
  [/[\u2028\u2029]/u, 'line or paragraph separators'],
  [/\p{Cs}/u, 'broken characters (lone surrogates)'],
  [/\p{M}{5,}/u, 'stacks of combining marks'],
];
/** Characters that show nothing: a name made only of these (and spaces) is invisible. */
const INVISIBLE = /[\p{Cf}\p{Z}\s\u115f\u1160\u3164\uffa0\u2800]/gu;

/** The nickname as shown (NFC, trimmed), or why it is refused. */
export function checkNickname(raw: string): Result<string, string> {
  if (raw.length > MAX_RAW_NICKNAME_LENGTH) return err(`a nickname has at most ${MAX_NICKNAME_LENGTH} characters`);
  const normalised = raw.normalize('NFC');
  for (const [pattern, what] of REFUSED) if (pattern.test(normalised)) return err(`a nickname may not contain ${what}`);
  const name = normalised.trim();
  if (name.replace(INVISIBLE, '') === '') return err('a nickname needs a visible character');
  if (name.length > MAX_NICKNAME_LENGTH) return err(`a nickname has at most ${MAX_NICKNAME_LENGTH} characters`);
  return ok(name);
}

/** True for a nickname exactly as checkNickname would show it (what the server sends). */
export const isShownNickname = (name: string): boolean => {
  const checked = checkNickname(name);
  return checked.ok && checked.value === name;
};
