import { describe, expect, it } from 'vitest';
import { cebToDocuments } from './ceb/to-documents.ts';
import { fixtureXml, type FixtureType } from './ceb/fixtures.ts';
import { CustomsDocument, type DocumentOf } from './documents.ts';
import { EXPORT_MATCH_RULE_IDS, EXPORT_MATCH_RULES, ExportMatchOptions, matchExport, type ExportDocumentSet, type ExportMatchRule } from './matching-export.ts';

/** The 9610 export parcel of the CEB fixtures (303 order, 505 waybill, 603 list), mapped as the hub maps XML. */
function fromFixture<K extends 'exportOrder' | 'exportWaybill' | 'exportInventory'>(type: FixtureType, kind: K): DocumentOf<K> {
  const r = cebToDocuments(fixtureXml(type));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const doc = r.documents[0]!;
  if (doc.kind !== kind) throw new Error(`${type} mapped to ${doc.kind}`);
  return doc as DocumentOf<K>;
}
const BASE = {
  exportOrder: fromFixture('CEB303', 'exportOrder'),
  exportWaybill: fromFixture('CEB505', 'exportWaybill'),
  exportInventory: fromFixture('CEB603', 'exportInventory'),
} satisfies Required<ExportDocumentSet>;
type FullSet = typeof BASE;

/** A fresh copy changed by `edit`; the edited documents must still be valid documents (only agreement is broken). */
function mutate(edit: (s: FullSet) => void): FullSet {
  const s = structuredClone(BASE);
  edit(s);
  for (const doc of Object.values(s)) expect(CustomsDocument.safeParse(doc).error).toBeUndefined();
  return s;
}
const L1 = (s: FullSet) => s.exportInventory.lines[0]!;
const O1 = (s: FullSet) => s.exportOrder.lines[0]!;

describe('a consistent export set', () => {
  it('the fixture parcel is complete and consistent', () => {
    expect(matchExport(BASE)).toEqual({ complete: true, consistent: true, mismatches: [], missing: [] });
  });

  it('agrees within rounding: a 5-decimal price that is the same at fen', () => {
    // 18.251 × 2 = 36.502: at fen both the price (18.25) and the total (36.50) agree with the order.
    const s = mutate((s) => void (L1(s).price = '18.251'));
    expect(matchExport(s).mismatches).toEqual([]);
  });

  it('a weight inside the tolerance agrees (larger of 10% and 0.05 kg)', () => {
    expect(matchExport(mutate((s) => void (s.exportWaybill.grossWeight = '1.7'))).consistent).toBe(true);
  });

  it('a list barCode of 无 ("none") against an order line without one is not a mismatch', () => {
    expect(BASE.exportInventory.lines[1]!.barCode).toBe('无');
    expect(BASE.exportOrder.lines[1]!.barCode).toBeUndefined();
    expect(matchExport(BASE).consistent).toBe(true);
  });
});

/** One row per kind of disagreement: the exact (rule, field, rightField) of every mismatch it must produce. */
type Want = [ExportMatchRule, string, string?];
const CASES: Record<string, { edit: (s: FullSet) => void; want: Want[] }> = {
  'list orderNo': { edit: (s) => void (s.exportInventory.orderNo = 'YW-EX-20240728-0043' as never), want: [['exportInventory-exportOrder.key', 'orderNo']] },
  'list ebpCode': { edit: (s) => void (s.exportInventory.ebpCode = '3318960AB9'), want: [['exportInventory-exportOrder.key', 'ebpCode']] },
  // The list's ebcCode pairs it with the order and (the waybill carrying one) with the waybill.
  'list ebcCode': { edit: (s) => void (s.exportInventory.ebcCode = '3318960CD9'), want: [['exportInventory-exportOrder.key', 'ebcCode'], ['exportInventory-exportWaybill.key', 'ebcCode']] },
  'waybill ebcCode': { edit: (s) => void (s.exportWaybill.ebcCode = '3318960CD9'), want: [['exportInventory-exportWaybill.key', 'ebcCode']] },
  'list logisticsNo': { edit: (s) => void (s.exportInventory.logisticsNo = 'EA123456794CN' as never), want: [['exportInventory-exportWaybill.key', 'logisticsNo']] },
  'list logisticsCode': { edit: (s) => void (s.exportInventory.logisticsCode = '3318980SF0'), want: [['exportInventory-exportWaybill.key', 'logisticsCode']] },
  'extra list line': { edit: (s) => void s.exportInventory.lines.push({ ...L1(s), gnum: 3, price: '0', totalPrice: '0' }), want: [['exportInventory-exportOrder.lines', 'lines[gnum=3]']] },
  'order line not listed': { edit: (s) => void s.exportOrder.lines.push({ ...O1(s), gnum: 3, price: '0', totalPrice: '0' }), want: [['exportInventory-exportOrder.lines', 'lines[gnum=3]']] },
  'list itemNo': { edit: (s) => void (L1(s).itemNo = 'XC-MUG-500'), want: [['exportInventory-exportOrder.line-values', 'lines[gnum=1].itemNo']] },
  // qty and total changed together: the list line is self-consistent, but it is not the order's line, and the sum moves 21%.
  'list qty': {
    edit: (s) => Object.assign(L1(s), { qty: 3, totalPrice: 54.75 }),
    want: [['exportInventory-exportOrder.line-values', 'lines[gnum=1].qty'], ['exportInventory-exportOrder.line-values', 'lines[gnum=1].totalPrice'], ['exportInventory-exportOrder.total', 'lines.totalPrice', 'goodsValue']],
  },
  'list price (total left)': { edit: (s) => void (L1(s).price = '18.26'), want: [['exportInventory.line-total', 'lines[gnum=1].totalPrice', 'lines[gnum=1].price × qty'], ['exportInventory-exportOrder.line-values', 'lines[gnum=1].price']] },
  'list totalPrice by a fen': { edit: (s) => void (s.exportInventory.lines[1]!.totalPrice = '50.01'), want: [['exportInventory.line-total', 'lines[gnum=2].totalPrice', 'lines[gnum=2].price × qty'], ['exportInventory-exportOrder.line-values', 'lines[gnum=2].totalPrice']] },
  'order line total by a fen': { edit: (s) => void (O1(s).totalPrice = '36.51'), want: [['exportOrder.line-total', 'lines[gnum=1].totalPrice', 'lines[gnum=1].price × qty'], ['exportInventory-exportOrder.line-values', 'lines[gnum=1].totalPrice']] },
  'list line currency': { edit: (s) => void (L1(s).currency = '502'), want: [['exportInventory-exportOrder.currency', 'lines[gnum=1].currency', 'currency']] },
  'order line currency': { edit: (s) => void (O1(s).currency = '502'), want: [['exportOrder.currency', 'lines[gnum=1].currency', 'currency']] },
  'order goodsValue': { edit: (s) => void (s.exportOrder.goodsValue = '100'), want: [['exportOrder.goods-value', 'lines.totalPrice', 'goodsValue'], ['exportInventory-exportOrder.total', 'lines.totalPrice', 'goodsValue']] },
  'list gname': { edit: (s) => void (L1(s).gname = '玻璃马克杯'), want: [['exportInventory-exportOrder.goods', 'lines[gnum=1].gname', 'lines[gnum=1].itemName']] },
  'list barCode': { edit: (s) => void (L1(s).barCode = '6923450612352'), want: [['exportInventory-exportOrder.goods', 'lines[gnum=1].barCode']] },
  'waybill grossWeight': { edit: (s) => void (s.exportWaybill.grossWeight = '2'), want: [['exportInventory-exportWaybill.weight', 'grossWeight', 'grossWeight']] },
  'bonded list without account book': {
    edit: (s) => void (s.exportInventory.tradeMode = '1210'),
    want: [['exportInventory.bonded-fields', 'emsNo'], ['exportInventory.bonded-fields', 'iacCode'], ['exportInventory.bonded-fields', 'lines[gnum=1].itemRecordNo'], ['exportInventory.bonded-fields', 'lines[gnum=2].itemRecordNo']],
  },
};

describe('every export rule catches its mismatch and names the field', () => {
  it('the table exercises every rule', () => {
    const hit = new Set(Object.values(CASES).flatMap((c) => c.want.map(([rule]) => rule)));
    expect([...hit].sort()).toEqual([...EXPORT_MATCH_RULE_IDS].sort());
  });

  it.each(Object.keys(CASES))('%s', (name) => {
    const { edit, want } = CASES[name]!;
    const r = matchExport(mutate(edit));
    expect(r.complete).toBe(true);
    expect(r.consistent).toBe(false);
    expect(r.mismatches.map((m) => [m.rule, m.field, m.rightField])).toEqual(want.map(([rule, field, right]) => [rule, field, right]));
    for (const m of r.mismatches) {
      expect(m.documents).toEqual(EXPORT_MATCH_RULES[m.rule].documents);
      expect(m.message.length).toBeGreaterThan(0);
    }
  });

  it('reports the declared values', () => {
    const [m] = matchExport(mutate((s) => void (s.exportWaybill.grossWeight = '2'))).mismatches;
    expect([m!.left, m!.right]).toEqual(['1.62', '2']);
    const [t] = matchExport(mutate((s) => void (s.exportOrder.goodsValue = '100'))).mismatches;
    expect([t!.left, t!.right]).toEqual(['86.5', '100']);
  });
});

describe('keys first, missing documents, options', () => {
  it('a list that does not pair with the order is not compared line by line', () => {
    const s = mutate((s) => {
      s.exportInventory.orderNo = 'OTHER-1' as never;
      L1(s).itemNo = 'XC-MUG-500';
      L1(s).gname = '别的';
    });
    expect(matchExport(s).mismatches.map((m) => m.rule)).toEqual(['exportInventory-exportOrder.key']);
  });

  it('keys are compared as declared: case matters for a logisticsNo', () => {
    const s = mutate((s) => void (s.exportWaybill.logisticsNo = 'ea123456785cn' as never));
    expect(matchExport(s).mismatches.map((m) => [m.rule, m.field])).toEqual([['exportInventory-exportWaybill.key', 'logisticsNo']]);
  });

  it('names the missing documents; what is present is still checked on its own', () => {
    expect(matchExport({ exportOrder: BASE.exportOrder })).toEqual({ complete: false, consistent: true, mismatches: [], missing: ['exportWaybill', 'exportInventory'] });
    expect(matchExport({})).toMatchObject({ complete: false, missing: ['exportOrder', 'exportWaybill', 'exportInventory'] });
    const badOrder = mutate((s) => void (O1(s).totalPrice = '50')); // Σ 100 vs goodsValue 86.5: 16% off
    const r = matchExport({ exportOrder: badOrder.exportOrder, exportWaybill: BASE.exportWaybill });
    expect(r).toMatchObject({ complete: false, consistent: false, missing: ['exportInventory'] });
    expect(r.mismatches.map((m) => m.rule)).toEqual(['exportOrder.line-total', 'exportOrder.goods-value']);
  });

  it('without the list, order and waybill are not paired (the export waybill names no order)', () => {
    const s = mutate((s) => void (s.exportWaybill.grossWeight = '9'));
    expect(matchExport({ exportOrder: s.exportOrder, exportWaybill: s.exportWaybill }).consistent).toBe(true);
  });

  it('practice rules can be switched off; key and schema rules cannot', () => {
    const s = mutate((s) => void (s.exportWaybill.grossWeight = '2'));
    expect(matchExport(s, ExportMatchOptions.parse({ disabledRules: ['exportInventory-exportWaybill.weight'] })).consistent).toBe(true);
    expect(ExportMatchOptions.safeParse({ disabledRules: ['exportInventory-exportOrder.key'] }).success).toBe(false);
    expect(ExportMatchOptions.safeParse({ disabledRules: ['exportOrder.line-total'] }).success).toBe(false);
  });

  it('tolerances are the import matcher’s options: a wider weight tolerance accepts 2 kg', () => {
    const s = mutate((s) => void (s.exportWaybill.grossWeight = '2'));
    expect(matchExport(s, ExportMatchOptions.parse({ weightTolerancePct: 25 })).consistent).toBe(true);
  });

  it('is pure: frozen inputs, the same answer twice', () => {
    const s = Object.freeze(mutate((s) => void (L1(s).price = '18.26')));
    expect(matchExport(s)).toEqual(matchExport(s));
  });
});
