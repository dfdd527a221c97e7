import { describe, expect, it } from 'vitest';
import { EXPORT_MATCH_RULE_IDS } from '../../../customs/matching-export.ts';
import { MATCH_RULES } from '../../../customs/matching.ts';
import { RISK_RULE_IDS } from '../../../customs/risk.ts';
import { queue } from '../i18n/queue.ts';
import { RULE_OPTIONS, ruleWords } from './queue-rules.ts';

const zh: Record<string, string> = queue.zh;
const known = (k: string) => k in zh;

describe('queue reason rule codes in words', () => {
  it.each([
    ['risk:xray.suspect', 'queue.rule.risk:xray.suspect', {}],
    ['match:inventory-waybill.weight', 'queue.rule.match:inventory-waybill.weight', {}],
    ['match.incomplete', 'queue.rule.match.incomplete', {}],
    ['customs.no-receipt', 'queue.rule.customs.no-receipt', {}],
    ['hold', 'queue.rule.hold', {}],
    // An export matching rule without its own words still says which rule.
    ['match:exportOrder.goods-value', 'queue.rule.match.generic', { rule: 'exportOrder.goods-value' }],
    ['customs.500', 'queue.rule.customs.generic', { status: 500, text: 'queue.customs.500' }],
    // 504 has no entry of its own: any 5xx detention.
    ['customs.504', 'queue.rule.customs.generic', { status: 504, text: 'queue.customs.599' }],
    ['customs.-301010', 'queue.rule.customs.generic', { status: -301010, text: 'queue.customs.-1' }],
    ['customs.42', 'queue.rule.customs.generic', { status: 42, text: '42' }],
    ['line:something-new', 'queue.rule.unknown', { rule: 'line:something-new' }],
  ])('%s → %s', (rule, key, vars) => {
    expect(ruleWords(rule, known)).toEqual({ key, vars });
  });

  it('every risk rule and import matching rule the hub emits has its own words in both languages', () => {
    const codes = [...RISK_RULE_IDS.map((r) => `risk:${r}`), ...Object.keys(MATCH_RULES).map((r) => `match:${r}`)];
    for (const code of codes) {
      const w = ruleWords(code, known);
      expect(w.key, code).toBe(`queue.rule.${code}`);
      expect(queue.en[w.key as keyof typeof queue.en], code).toBeTruthy();
    }
    // Export rules fall back to the generic wording, which names them.
    for (const r of EXPORT_MATCH_RULE_IDS) expect(ruleWords(`match:${r}`, known).vars.rule).toBe(r);
  });

  it('the reason filter offers every risk rule, each with its own words', () => {
    expect(RULE_OPTIONS.filter((r) => r.startsWith('risk:')).sort()).toEqual(RISK_RULE_IDS.map((r) => `risk:${r}`).sort());
    for (const r of RULE_OPTIONS) expect(ruleWords(r, known).key, r).toBe(`queue.rule.${r}`);
  });

  it('value-limit reasons name the configured limits when the page has them (issue 16 item 7)', () => {
    const limits = { perTransactionCny: 7000, annualCny: 30_000 };
    expect(ruleWords('risk:value.transaction-limit', known, limits)).toEqual({ key: 'queue.rule.risk:value.transaction-limit.n', vars: { limit: 7000 } });
    expect(ruleWords('risk:value.annual-limit', known, limits)).toEqual({ key: 'queue.rule.risk:value.annual-limit.n', vars: { limit: 30_000 } });
    expect(ruleWords('risk:value.full-tax', known, limits)).toEqual({ key: 'queue.rule.risk:value.full-tax.n', vars: { limit: 7000 } });
    expect(ruleWords('risk:value.transaction-limit', known)).toEqual({ key: 'queue.rule.risk:value.transaction-limit', vars: {} });
    expect(ruleWords('risk:xray.suspect', known, limits).key).toBe('queue.rule.risk:xray.suspect');
  });
});
