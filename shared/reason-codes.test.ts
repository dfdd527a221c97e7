import { describe, expect, it } from 'vitest';
import { RISK_RULE_IDS } from '../hub/customs/risk.ts';
import { MATCH_RULE_IDS } from '../hub/customs/matching.ts';
import { diffPieces, knownReason, REASON_CODES, reasonPieces, reasonTexts, renderReason } from './reason-codes.ts';

/** Latin words of three letters or more outside the few names and units a Chinese text may carry. */
const LATIN = /[A-Za-z]{3,}/g;
const ZH_ALLOWED = new Set(['receipt', 'CEB']);

describe('reason codes', () => {
  it('every code has words in both languages, and each language is its own', () => {
    expect(Object.keys(reasonTexts('zh-CN')).sort()).toEqual(Object.keys(reasonTexts('en')).sort());
    for (const code of REASON_CODES) {
      const zh = reasonTexts('zh-CN')[code]!;
      expect((zh.replace(/\{\w+\}/g, '').match(LATIN) ?? []).filter((w) => !ZH_ALLOWED.has(w)), code).toEqual([]);
      expect(reasonTexts('en')[code], code).not.toMatch(/\p{Script=Han}/u);
    }
  });

  it('has a code for every risk rule the engine fires', () => {
    for (const rule of RISK_RULE_IDS) expect(knownReason(`risk.${rule}`), rule).toBe(true);
  });

  it('renders a mismatch in the reader language: fields in words; values only when the reason carries them', () => {
    const others = { code: 'match.differs', params: { a: 'order', field: 'consigneeTelephone', b: 'waybill', rightField: 'consigneeTelephone' } };
    expect(renderReason('zh-CN', others)).toBe('订单的收货人电话与运单的收货人电话不一致');
    expect(renderReason('en', others)).toBe('order consignee telephone differs from waybill consignee telephone');
    const officer = { code: 'match.differs', params: { ...others.params, left: '13212343546', right: '13219873546' } };
    expect(renderReason('zh-CN', officer)).toBe('订单的收货人电话 "13212343546" ≠ 运单的收货人电话 "13219873546"');
    const marked = reasonPieces('en', officer)!.filter((p) => p.kind === 'diff').map((p) => p.text);
    expect(marked).toEqual(['234', '987']); // 1321 in common, then 234 vs 987, then 3546
  });

  it('marks where two values differ, keeping the common head and tail', () => {
    expect(diffPieces('abcXYdef', 'abcZdef')).toEqual({
      left: [{ text: 'abc', kind: 'value' }, { text: 'XY', kind: 'diff' }, { text: 'def', kind: 'value' }],
      right: [{ text: 'abc', kind: 'value' }, { text: 'Z', kind: 'diff' }, { text: 'def', kind: 'value' }],
    });
  });

  it('localises documents, severities, rules and receipt statuses; an unknown code renders as undefined', () => {
    expect(renderReason('zh-CN', { code: 'risk.match.inconsistent', params: { rules: ['order-waybill.consignee'], severity: 'medium' } })).toBe('中风险：三单不一致：订单与运单收货人信息不一致');
    expect(renderReason('zh-CN', { code: 'match.incomplete', params: { docs: ['payment', 'waybill'] } })).toBe('缺少单证：支付单、运单');
    expect(renderReason('zh-CN', { code: 'customs.status', params: { status: 502, info: '' } })).toBe('海关回执 502（扣留移送缉私）');
    expect(renderReason('en', { code: 'refuse.customs-stops', params: { status: 501 } })).toBe("customs stops this parcel (501): an officer's release cannot override it");
    expect(renderReason('zh-CN', { code: 'no.such-code' })).toBeUndefined();
    for (const rule of MATCH_RULE_IDS) expect(renderReason('zh-CN', { code: 'risk.match.inconsistent', params: { rules: [rule] } }), rule).not.toMatch(LATIN);
  });
});
