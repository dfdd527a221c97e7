import { readFileSync } from 'node:fs';
import type { FieldIssue } from '../../shared/errors.ts';
import { estimateStrength } from './strength-pool.ts';

/**
 * The hub's password policy for people (users and the first admin), in two parts:
 *  - rules (`passwordRuleIssues`, cheap): a minimum length, not only spaces, not the user name with little added, not a
 *    blocklisted word with digits or symbols around it, letters or at least 16 characters;
 *  - a strength estimate (zxcvbn, `@zxcvbn-ts/core` with its common and English dictionaries): at least
 *    `MIN_STRENGTH_SCORE` of 4, with the user name and the product's name as words a guesser knows. It finds what a
 *    list cannot: repeats, sequences, keyboard walks, dates, l33t, common words and names in any arrangement.
 * The blocklist stays because the estimator's dictionaries are English: it scores pinyin (woaini, laopo, nihao…), the
 * zone's own words (customs, warehouse, bondgate…) and a leaked-list leader with a year and a symbol added
 * (`qwerty2024!1`, `Admin@202611`) as strong enough (score 3 or 4); guessers here try those first.
 */
export const MIN_PASSWORD_LENGTH = 12;
/** Without letters (a phone number, a date) a password must be this long: the estimator scores 138-1234-5678 a 4. */
export const MIN_DIGITS_ONLY_LENGTH = 16;
/** zxcvbn's score (0–4): 3 is "safely unguessable", about 10^8 guesses or more. */
export const MIN_STRENGTH_SCORE = 3;

const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#')),
);

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };
const SEPARATORS = /[\s._\-+*/\\|,;:'"`~^]+/gu;

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

/**
 * Pure: what the rules (no estimator) find wrong with a new password for this user. Cheap; the config check of
 * `auth.adminPassword` uses only these, the full policy runs when the first admin is made.
 */
export function passwordRuleIssues(username: string, password: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (message: string) => issues.push({ field: 'password', message });
  // Counted as characters, not bytes: 密码 is two.
  if ([...password].length < MIN_PASSWORD_LENGTH) issue(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.trim() === '') {
    issue('must not be only spaces');
    return issues;
  }
  const lower = password.toLowerCase();
  const user = username.toLowerCase();
  // Case-insensitively: "Admin1" for user "admin1" is the first thing a guesser tries.
  if (user !== '' && lower === user) issue('must not be the user name');
  else if (user.length >= 3 && lower.includes(user) && littleAdded(lower.split(user).join(''))) issue('must not be the user name with little else added');
  if (onBlocklist(password)) issue('is a commonly used password (with digits, symbols or look-alike letters added)');
  else if (!/\p{L}/u.test(password) && [...password].length < MIN_DIGITS_ONLY_LENGTH) issue(`needs letters, or at least ${MIN_DIGITS_ONLY_LENGTH} characters`);
  return issues;
}

const onBlocklist = (text: string) => lookupForms(text).some((f) => COMMON.has(f));

/**
 * What is added to a user name is "little" when it is short, digits only (a year, a birthday: the estimator scores
 * wang.fang.19870612 a 3) or a blocklisted word ("Wang.Fang-password").
 */
function littleAdded(rest: string): boolean {
  const joined = rest.replace(SEPARATORS, '');
  return [...joined].length < 8 || (!/\p{L}/u.test(joined) && [...joined].length < MIN_DIGITS_ONLY_LENGTH) || onBlocklist(rest);
}

/**
 * What is wrong with a new password for this user (empty when it is acceptable): the rules, then (when they pass) the
 * strength estimate, whose warning and suggestions go into the message. The estimate runs on its own worker thread
 * (strength-pool.ts): loading its dictionaries takes half a second and ~30 MiB, neither of which the hub's main thread
 * (broker, ingest, health) should carry for a password set once a week.
 */
export async function passwordIssues(username: string, password: string): Promise<FieldIssue[]> {
  const issues = passwordRuleIssues(username, password);
  if (issues.length > 0) return issues;
  const { score, advice } = await estimateStrength(username, password);
  if (score >= MIN_STRENGTH_SCORE) return [];
  return [{ field: 'password', message: `is too easy to guess (strength ${score} of 4, at least ${MIN_STRENGTH_SCORE} needed)${advice ? `: ${advice}` : ''}` }];
}
