import { describe, expect, it } from 'vitest';
import { generateParcel } from './generate-docs.ts';
import { assessRisk, parcelFacts, RiskRules, type RiskContext } from './risk.ts';

/** Issue 15 item 7: an invalid message signature is a risk reason; unverified and absent ones are shown, not scored. */
const base = generateParcel({ seed: 21 }, 4);
const facts = parcelFacts(base.set, base.line);
const rules = RiskRules.parse({ version: 't' });
const context = (status: 'verified' | 'unverified' | 'invalid' | 'absent'): RiskContext => ({
  buyerYearToDateCny: '0',
  signatures: [{ document: 'inventory', verdict: { status, reason: status === 'invalid' ? 'SIG_DIGEST_MISMATCH' : 'SIG_OK', message: 'm' } }],
});

describe('signature.invalid', () => {
  it.each(['verified', 'unverified', 'absent'] as const)('%s: no reason', (status) => {
    expect(assessRisk(facts, rules, context(status)).reasons).toEqual([]);
  });

  it('invalid: a high reason naming the document and the code; its severity is a rule setting', () => {
    const risk = assessRisk(facts, rules, context('invalid'));
    expect(risk.level).toBe('high');
    expect(risk.reasons).toEqual([{ rule: 'signature.invalid', severity: 'high', message: expect.stringContaining('inventory message'), params: { doc: 'inventory', reason: 'SIG_DIGEST_MISMATCH' } }]);
    expect(risk.reasons[0]!.message).toContain('SIG_DIGEST_MISMATCH');
    expect(assessRisk(facts, RiskRules.parse({ version: 't', signature: { invalid: 'off' } }), context('invalid')).reasons).toEqual([]);
  });
});
