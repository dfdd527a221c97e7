import { describe, expect, it } from 'vitest';
import { maskField, maskIdNumber, maskPhone } from '../../shared/mask.ts';
import type { DocumentSet } from './documents.ts';
import { generateParcel, introduceMismatch, MISMATCH_KINDS } from './generate-docs.ts';
import { MATCH_RULES, matchDocuments, type MatchRule } from './matching.ts';
import { remaskReason } from './remask-reasons.ts';

/** What the matcher wrote before names and addresses were masked (b66e385^): ID numbers and phones only. */
function oldMismatchText(rule: MatchRule, field: string, left: string, right: string, rightField = field): string {
  const [a, b] = MATCH_RULES[rule].documents;
  const old = (f: string, v: string) => (/IdNumber$/.test(f) ? maskIdNumber(v) : /Telephone$/.test(f) ? maskPhone(v) : v);
  return `${a}.${field} "${old(field, left)}" ≠ ${b}.${rightField} "${old(rightField, right)}"`;
}

describe('re-masking stored case reasons', () => {
  const base = generateParcel({ seed: 7 }, 3);
  // Old texts as the matcher wrote them for these documents, and what it writes today for the same documents.
  const cases: { title: string; set: (s: DocumentSet) => DocumentSet; rule: MatchRule; field: string; rightField?: string; left: (s: DocumentSet) => string; right: (s: DocumentSet) => string }[] = [
    { title: 'payer ≠ buyer', set: (s) => ({ ...s, payment: { ...s.payment!, payerName: '欧阳锋' } }), rule: 'payment.payer-is-buyer', field: 'buyerName', rightField: 'payerName', left: (s) => s.order!.buyerName, right: (s) => s.payment!.payerName },
    { title: 'consignee names', set: (s) => ({ ...s, waybill: { ...s.waybill!, consignee: '黄药师' } }), rule: 'order-waybill.consignee', field: 'consignee', left: (s) => s.order!.consignee, right: (s) => s.waybill!.consignee },
    {
      title: 'consignee addresses that differ only in the masked part',
      set: (s) => ({ ...s, order: { ...s.order!, consigneeAddress: '广东省深圳市南山区科技园科苑路15号' }, waybill: { ...s.waybill!, consigneeAddress: '广东省深圳市南山区科技园科苑路16号' }, inventory: { ...s.inventory!, consigneeAddress: '广东省深圳市南山区科技园科苑路15号' } }),
      rule: 'order-waybill.consignee',
      field: 'consigneeAddress',
      left: (s) => s.order!.consigneeAddress,
      right: (s) => s.waybill!.consigneeAddress,
    },
  ];
  // Since issue 17 the matcher writes no personal value into the text at all (it names the fields; officers get the
  // values from the reason's params): old texts come out with every quoted value masked, as they were shown since.
  it.each(cases)('$title: the old text comes out with its values masked', ({ set, rule, field, rightField, left, right }) => {
    const docs = set(base.set);
    const today = matchDocuments(docs).mismatches.filter((m) => m.rule === rule && m.field === field);
    expect(today).toHaveLength(1);
    const old = oldMismatchText(rule, field, left(docs), right(docs), rightField);
    const [a, b] = MATCH_RULES[rule].documents;
    const rf = rightField ?? field;
    const l = maskField(field, left(docs))!;
    const r = maskField(rf, right(docs))!;
    const masked = `${a}.${field} "${l}" ≠ ${b}.${rf} "${r}"${l === r ? ' (they differ in the masked part)' : ''}`;
    expect(old).not.toBe(masked); // the stored text shows more
    expect(remaskReason({ rule: `match:${rule}`, message: old })).toEqual({ rule: `match:${rule}`, message: masked });
  });

  it('leaves every text the matcher writes today as it is', () => {
    for (const kind of MISMATCH_KINDS) {
      for (const m of matchDocuments(introduceMismatch(base, kind).set).mismatches) {
        const reason = { rule: `match:${m.rule}`, message: m.message };
        expect(remaskReason(reason), kind).toBe(reason);
      }
    }
  });

  it('masks the consignee named by the watch-list rule', () => {
    expect(remaskReason({ rule: 'risk:watch.consignee', message: 'high: consignee 欧阳锋 (138****5678) is on the watch list' })).toEqual({ rule: 'risk:watch.consignee', message: 'high: consignee 欧** (138****5678) is on the watch list' });
    const today = { rule: 'risk:watch.consignee', message: 'high: consignee 欧** (138****5678) is on the watch list' };
    expect(remaskReason(today)).toBe(today);
  });

  it('leaves other reasons, and texts of another shape, alone', () => {
    for (const reason of [
      { rule: 'customs.800', message: 'customs 800 (released)' },
      { rule: 'risk:xray.suspect', message: 'medium: X-ray image marked suspect' },
      { rule: 'match:order-payment.amount', message: 'order.acturalPaid 100 ≠ payment.amountPaid 90' },
      { rule: 'match:order-waybill.key', message: 'order.orderNo "A1" ≠ waybill.orderNo "A2"' },
      { rule: 'match:payment.payer-is-buyer', message: 'something else entirely' },
    ]) expect(remaskReason(reason)).toBe(reason);
  });
});
