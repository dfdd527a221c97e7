import { readFileSync } from 'node:fs';
import type { FieldIssue } from '../../shared/errors.ts';

/**
 * The hub's password policy for people (users and the first admin): a minimum length and a blocklist of what
 * guessers try first — the leaked-password lists' leaders with digits and symbols added around them or letters
 * swapped for look-alikes, one character or a short pattern repeated, runs along the alphabet or the keyboard, digits
 * only, the user name with little else. No strength estimator is in the dependencies (zxcvbn would be the
 * maintained one: @zxcvbn-ts/core); this catches what an online guesser, slowed by the login backoff, tries.
 */
export const MIN_PASSWORD_LENGTH = 12;
/** Without letters (a phone number, a date) a password must be this long. */
export const MIN_DIGITS_ONLY_LENGTH = 16;

const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#')),
);

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };
const SEPARATORS = /[\s._\-+*/\\|,;:'"`~^]+/gu;
// Rows of a US and a Chinese keyboard (the same layout), forwards and backwards.
const KEYBOARD = ['`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./', '1234567890qwertyuiopasdfghjklzxcvbnm', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/'];

/** The forms a guesser's list would hold this password under. */
function lookupForms(password: string): string[] {
  const lower = password.toLowerCase();
  const joined = lower.replace(SEPARATORS, '');
  const core = joined.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const leet = [...core].map((c) => LEET[c] ?? c).join('');
  const forms = new Set([lower, joined, core, leet]);
  // "passwordpassword", "admin!admin!": one word said twice.
  for (const f of [...forms]) {
    const unit = repeatedUnit(f);
    if (unit) forms.add(unit);
  }
  return [...forms].filter((f) => f !== '');
}

/** The shortest unit the string is made of by repetition (the last copy may be cut short), or undefined. */
function repeatedUnit(s: string): string | undefined {
  const chars = [...s];
  for (let n = 1; n <= chars.length / 2; n++) {
    if (chars.every((c, i) => c === chars[i % n])) return chars.slice(0, n).join('');
  }
  return undefined;
}

/** Every step between neighbouring characters the same (aaaa, abcd, 9876), or a run along a keyboard row. */
function isRun(s: string): boolean {
  const cps = [...s.toLowerCase()].map((c) => c.codePointAt(0)!);
  if (cps.length >= 3) {
    const step = cps[1]! - cps[0]!;
    if (Math.abs(step) <= 1 && cps.every((c, i) => i === 0 || c - cps[i - 1]! === step)) return true;
  }
  const lower = s.toLowerCase();
  return lower.length >= 4 && KEYBOARD.some((row) => row.includes(lower) || [...row].reverse().join('').includes(lower));
}

/** Why this text is guessable whatever its length, or undefined. */
function weakness(text: string): string | undefined {
  if (text.trim() === '') return 'must not be only spaces';
  if (lookupForms(text).some((f) => COMMON.has(f))) return 'is a commonly used password (with digits, symbols or look-alike letters added)';
  const joined = text.replace(SEPARATORS, '');
  if (repeatedUnit(joined) !== undefined || isRun(joined)) return 'is a repeated or sequential pattern';
  if (new Set([...text.toLowerCase()]).size < 5) return 'uses too few different characters';
  if (!/\p{L}/u.test(text) && [...text].length < MIN_DIGITS_ONLY_LENGTH) return `needs letters, or at least ${MIN_DIGITS_ONLY_LENGTH} characters`;
  return undefined;
}

/** Pure: what is wrong with a new password for this user (empty when it is acceptable). */
export function passwordIssues(username: string, password: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (message: string) => issues.push({ field: 'password', message });
  // Counted as characters, not bytes: 密码 is two.
  if ([...password].length < MIN_PASSWORD_LENGTH) issue(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  const user = username.toLowerCase();
  // Case-insensitively: "Admin1" for user "admin1" is the first thing a guesser tries.
  if (user !== '' && lower === user) issue('must not be the user name');
  else if (user.length >= 3 && lower.includes(user)) {
    const rest = lower.split(user).join('');
    if ([...rest.replace(SEPARATORS, '')].length < 8 || weakness(rest) !== undefined) issue('must not be the user name with little else added');
  }
  const w = weakness(password);
  if (w) issue(w);
  return issues;
}
