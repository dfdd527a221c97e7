/**
 * Reason rule codes on a case (hub/customs/risk.ts `decideRelease`) → the dictionary key that says them in words.
 * Codes are `risk:<risk rule>`, `match:<matching rule>`, `match.incomplete`, `customs.<returnStatus>`,
 * `customs.no-receipt` and `hold`. Pure (no t()), so a test can check every code the hub emits has words.
 */
export interface RuleWords {
  key: string;
  vars: Record<string, string | number>;
}

/** Receipt codes customs.md §2 names; 501–599 without their own entry are "other detention". */
const KNOWN_STATUSES = new Set([1, 2, 3, 4, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899]);

/** The configured personal limits (GET /api/value-limits): labels name them, never a hard-coded figure. */
export interface ValueLimits {
  perTransactionCny: number;
  annualCny: number;
}
const LIMIT_OF: Record<string, keyof ValueLimits> = {
  'risk:value.transaction-limit': 'perTransactionCny',
  'risk:value.full-tax': 'perTransactionCny',
  'risk:value.annual-limit': 'annualCny',
};

export function ruleWords(rule: string, known: (key: string) => boolean, limits?: ValueLimits): RuleWords {
  const exact = `queue.rule.${rule}`;
  const limit = LIMIT_OF[rule];
  if (limit && limits && known(`${exact}.n`)) return { key: `${exact}.n`, vars: { limit: limits[limit] } };
  if (known(exact)) return { key: exact, vars: {} };
  if (rule.startsWith('match:')) return { key: 'queue.rule.match.generic', vars: { rule: rule.slice('match:'.length) } };
  const customs = /^customs\.(-?\d+)$/.exec(rule);
  if (customs) {
    const status = Number(customs[1]);
    const textKey = status < 0 ? 'queue.customs.-1' : KNOWN_STATUSES.has(status) ? `queue.customs.${status}` : status > 500 && status < 600 ? 'queue.customs.599' : undefined;
    return { key: 'queue.rule.customs.generic', vars: { status, text: textKey ?? String(status) } };
  }
  return { key: 'queue.rule.unknown', vars: { rule } };
}

/** Reasons an officer filters the queue by (the `rule` filter matches the stored code exactly). */
export const RULE_OPTIONS = [
  'risk:xray.suspect',
  'risk:xray.reject',
  'risk:xray.unreadable',
  'risk:weight.out-of-tolerance',
  'risk:value.transaction-limit',
  'risk:value.annual-limit',
  'risk:value.annual-unknown',
  'risk:value.full-tax',
  'risk:hs.restricted',
  'risk:hs.not-on-positive-list',
  'risk:credit.dishonest',
  'risk:watch.sender',
  'risk:watch.consignee',
  'risk:watch.buyer',
  'risk:match.inconsistent',
  'risk:match.incomplete',
  'risk:sample.random',
  'risk:signature.invalid',
  'match.incomplete',
  'customs.no-receipt',
  'hold',
] as const;
