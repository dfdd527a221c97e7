import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

/**
 * The password-strength estimate (zxcvbn, `@zxcvbn-ts/core` with its common and English dictionaries), as the strength
 * worker runs it (strength-pool.ts). Importing this module loads and ranks the dictionaries: half a second and ~30 MiB
 * of heap, which is why nothing on the hub's main thread imports it.
 */

/**
 * The estimator reads this many characters: its matching grows fast with length (a 256-character string of look-alike
 * symbols took seconds); a longer password is at least as strong as its first 64 characters.
 */
const ESTIMATED_LENGTH = 64;
/** Words every password here is near: the estimator treats them (and the user name) as known. */
const CONTEXT_WORDS = ['bondgate'];

export interface StrengthEstimate {
  /** 0–4. */
  score: number;
  /** The estimator's warning and suggestions, one sentence after another ('' when it has none). */
  advice: string;
}

const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
  maxLength: ESTIMATED_LENGTH,
  // Look-alike substitutions tried per password (default 100): past a dozen the work explodes and finds nothing new.
  l33tMaxSubstitutions: 12,
});

export function estimate(username: string, password: string): StrengthEstimate {
  const { score, feedback } = estimator.check(password, [username, ...CONTEXT_WORDS]);
  return { score, advice: [feedback.warning, ...feedback.suggestions].filter((s): s is string => !!s).join(' ') };
}
