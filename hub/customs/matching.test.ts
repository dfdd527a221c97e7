import { describe, expect, it } from 'vitest';
import * as dec from '../../shared/decimal.ts';
import type { DocumentSet, Order } from './documents.ts';
import { CustomsDocument } from './documents.ts';
import { cebTimeOf, generateDocumentSets, generateParcel, introduceMismatch, MISMATCH_KINDS, residentId, s10, withoutDocuments, type MismatchKind } from './generate-docs.ts';
import { DEFAULT_MATCH_OPTIONS, MATCH_RULE_IDS, MATCH_RULES, MatchOptions, matchDocuments, normalizeIdentity, normalizePhone, type MatchRule } from './matching.ts';
import { toCebTime } from './documents.ts';
import { maskPersonal } from '../../shared/mask.ts';
import { diffPieces } from '../../shared/reason-codes.ts';

const bonded = generateParcel({ seed: 7 }, 3);
const { order, payment, waybill, inventory } = bonded.set;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('consistent sets', () => {
  it('every generated set (1210, 1239, 9610) is complete and consistent', () => {
    for (const p of generateDocumentSets({ seed: 11, tradeModes: ['1210', '1239', '9610'] }, 300)) {
      const r = matchDocuments(p.set);
      expect(r.mismatches).toEqual([]);
      expect(r).toEqual({ complete: true, consistent: true, mismatches: [], missing: [] });
    }
  });

  it('is pure: frozen inputs, the same answer twice', () => {
    const set = deepFreeze(structuredClone(introduceMismatch(bonded, 'payment.amountPaid').set));
    expect(matchDocuments(set)).toEqual(matchDocuments(set));
  });
});

/** One row per mismatch kind: the rule it must trip and the exact field named (left document's field). */
const EXPECTED: Record<MismatchKind, { rule: MatchRule; field: string; rightField?: string }> = {
  'payment.orderNo': { rule: 'order-payment.key', field: 'orderNo' },
  'payment.ebpCode': { rule: 'order-payment.key', field: 'ebpCode' },
  'payment.payCode': { rule: 'order-payment.key', field: 'payCode' },
  'payment.payTransactionId': { rule: 'order-payment.key', field: 'payTransactionId' },
  'payment.amountPaid': { rule: 'order-payment.amount', field: 'acturalPaid', rightField: 'amountPaid' },
  'payment.payerName': { rule: 'payment.payer-is-buyer', field: 'buyerName', rightField: 'payerName' },
  'payment.payerIdNumber': { rule: 'payment.payer-is-buyer', field: 'buyerIdNumber', rightField: 'payerIdNumber' },
  'order.discount': { rule: 'order.paid-formula', field: 'acturalPaid', rightField: 'goodsValue + freight + taxTotal − discount' },
  'order.lineTotal': { rule: 'order.line-total', field: 'lines[gnum=1].totalPrice', rightField: 'lines[gnum=1].price × qty' },
  'waybill.orderNo': { rule: 'order-waybill.key', field: 'orderNo' },
  'waybill.consignee': { rule: 'order-waybill.consignee', field: 'consignee' },
  'waybill.consigneeTelephone': { rule: 'order-waybill.consignee', field: 'consigneeTelephone' },
  'waybill.consigneeAddress': { rule: 'order-waybill.consignee', field: 'consigneeAddress' },
  'inventory.orderNo': { rule: 'inventory-order.key', field: 'orderNo' },
  'inventory.ebpCode': { rule: 'inventory-order.key', field: 'ebpCode' },
  'inventory.ebcCode': { rule: 'inventory-order.key', field: 'ebcCode' },
  'inventory.logisticsCode': { rule: 'inventory-waybill.key', field: 'logisticsCode' },
  'inventory.logisticsNo': { rule: 'inventory-waybill.key', field: 'logisticsNo' },
  'inventory.extraLine': { rule: 'inventory-order.lines', field: `lines[gnum=${inventory.lines.length + 1}]` },
  'inventory.gname': { rule: 'inventory-order.gname', field: 'lines[gnum=1].gname', rightField: 'lines[gnum=1].itemName' },
  'inventory.lineTotal': { rule: 'inventory.line-total', field: 'lines[gnum=1].totalPrice', rightField: 'lines[gnum=1].price × qty' },
  'inventory.buyerIdNumber': { rule: 'inventory-order.buyer', field: 'buyerIdNumber' },
  'inventory.buyerName': { rule: 'inventory-order.buyer', field: 'buyerName' },
  'inventory.buyerTelephone': { rule: 'inventory-order.buyer', field: 'buyerTelephone' },
  'inventory.consigneeAddress': { rule: 'inventory-order.buyer', field: 'consigneeAddress' },
  'inventory.total': { rule: 'inventory-order.total', field: 'lines.totalPrice', rightField: 'goodsValue' },
  'inventory.grossWeight': { rule: 'inventory-waybill.weight', field: 'grossWeight', rightField: 'weight' },
  'inventory.emsNo': { rule: 'inventory.bonded-fields', field: 'emsNo' },
  'inventory.areaCode': { rule: 'inventory.bonded-fields', field: 'areaCode' },
  'inventory.itemRecordNo': { rule: 'inventory.bonded-fields', field: 'lines[gnum=1].itemRecordNo' },
};

describe('every rule catches its mismatch and names the field', () => {
  it('the table covers every mismatch kind and every rule', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...MISMATCH_KINDS].sort());
    expect(new Set(Object.values(EXPECTED).map((e) => e.rule))).toEqual(new Set(MATCH_RULE_IDS));
  });

  it.each(MISMATCH_KINDS)('%s', (kind) => {
    const want = EXPECTED[kind];
    const mutated = introduceMismatch(bonded, kind);
    // The mutated documents are still valid documents: only their agreement is broken.
    for (const doc of Object.values(mutated.set)) expect(CustomsDocument.safeParse(doc).success).toBe(true);
    const r = matchDocuments(mutated.set);
    expect(r.complete).toBe(true);
    expect(r.consistent).toBe(false);
    expect(r.mismatches).toHaveLength(1);
    const m = r.mismatches[0]!;
    expect(m).toMatchObject({ rule: want.rule, field: want.field, documents: MATCH_RULES[want.rule].documents });
    expect(m.rightField).toBe(want.rightField);
    expect(m.message.length).toBeGreaterThan(0);
  });

  it('reports declared values and the computed value at fen', () => {
    const r = matchDocuments(introduceMismatch(bonded, 'order.discount').set);
    expect(r.mismatches[0]).toMatchObject({ left: order.acturalPaid, right: dec.sub(order.acturalPaid, '1') });
    const a = matchDocuments(introduceMismatch(bonded, 'payment.amountPaid').set).mismatches[0]!;
    expect([a.left, a.right]).toEqual([order.acturalPaid, dec.add(order.acturalPaid, '0.01')]);
  });

  it('a missing order line is reported from the order side', () => {
    const withTwo: Order = { ...order, lines: [...order.lines, { ...order.lines[0]!, gnum: 9, totalPrice: '0', price: '0' }] };
    const r = matchDocuments({ ...bonded.set, order: withTwo });
    expect(r.mismatches).toEqual([expect.objectContaining({ rule: 'inventory-order.lines', field: 'lines[gnum=9]', left: null, right: 9 })]);
  });
});

describe('keys first', () => {
  it('documents that do not pair are not compared further', () => {
    const p = introduceMismatch(introduceMismatch(bonded, 'payment.amountPaid'), 'payment.orderNo');
    expect(matchDocuments(p.set).mismatches.map((m) => m.rule)).toEqual(['order-payment.key']);
  });

  it('each disagreeing key field is reported', () => {
    const p = introduceMismatch(introduceMismatch(bonded, 'inventory.ebpCode'), 'inventory.ebcCode');
    expect(matchDocuments(p.set).mismatches.map((m) => m.field)).toEqual(['ebpCode', 'ebcCode']);
  });

  it('payCode and payTransactionId are keys only when the order carries them', () => {
    const { payCode: _a, payTransactionId: _b, ...bare } = order;
    const p = introduceMismatch(introduceMismatch(bonded, 'payment.payCode'), 'payment.payTransactionId');
    expect(matchDocuments({ ...p.set, order: bare }).consistent).toBe(true);
  });

  it('keys are compared as declared: case matters for an orderNo', () => {
    const r = matchDocuments({ order, waybill: { ...waybill, orderNo: order.orderNo.toLowerCase() as typeof order.orderNo } });
    expect(r.mismatches.map((m) => m.rule)).toEqual(['order-waybill.key']);
  });
});

describe('missing documents', () => {
  it.each([
    [['payment'], ['payment']],
    [['waybill', 'inventory'], ['waybill', 'inventory']],
    [['order', 'payment', 'waybill', 'inventory'], ['order', 'payment', 'waybill', 'inventory']],
  ] as const)('without %j', (drop, missing) => {
    const r = matchDocuments(withoutDocuments(bonded, ...drop).set);
    expect(r).toMatchObject({ complete: false, consistent: true, missing });
  });

  it('the documents present are still matched', () => {
    const r = matchDocuments(withoutDocuments(introduceMismatch(bonded, 'waybill.consignee'), 'payment', 'inventory').set);
    expect(r).toMatchObject({ complete: false, consistent: false, missing: ['payment', 'inventory'] });
    expect(r.mismatches.map((m) => m.rule)).toEqual(['order-waybill.consignee']);
  });
});

describe('identity is compared trimmed, case-insensitive, trailing X uppercase', () => {
  const xId = residentId('110101', '19900307', 123);
  const withX = xId.endsWith('X') ? xId : residentId('110101', '19900307', [...Array(1000).keys()].find((s) => residentId('110101', '19900307', s).endsWith('X'))!);

  it.each([
    ['a lowercase trailing x, padded', { payerIdNumber: ` ${withX.toLowerCase()} ` }, { buyerIdNumber: withX }],
    ['a full-width ID', { payerIdNumber: withX.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))) }, { buyerIdNumber: withX }],
    ['a pinyin name in another case with doubled spaces', { payerName: 'zhang  san' }, { buyerName: 'ZHANG SAN' }],
    ['a name with a trailing full-width space', { payerName: '张三\u3000' }, { buyerName: '张三' }],
  ])('%s', (_what, payerPatch, buyerPatch) => {
    const r = matchDocuments({ order: { ...order, ...buyerPatch }, payment: { ...payment, ...payerPatch } });
    expect(r.mismatches).toEqual([]);
  });

  it.each([
    ['+86 138 0013 8000', '13800138000'],
    ['0086-13800138000', '13800138000'],
    ['021-6234 5678', '02162345678'],
  ])('phone %s = %s', (a, b) => {
    expect(normalizePhone(a)).toBe(normalizePhone(b));
    const r = matchDocuments({ order: { ...order, consigneeTelephone: a }, waybill: { ...waybill, consigneeTelephone: b } });
    expect(r.mismatches).toEqual([]);
  });

  it('different people still differ', () => {
    expect(normalizeIdentity('张三')).not.toBe(normalizeIdentity('张 三'));
    expect(matchDocuments({ order, payment: { ...payment, payerName: '李四' } }).mismatches).toHaveLength(1);
  });
});

describe('personal data in mismatches: values for officers only, in params', () => {
  it('ID numbers: masked left and right; in clear only in params, which maskPersonal (logs, other roles) drops', () => {
    const p = introduceMismatch(bonded, 'payment.payerIdNumber');
    const r = matchDocuments(p.set);
    const m = r.mismatches[0]!;
    expect(m.left).toMatch(/^\d{3}\*+[\dX]{4}$/);
    expect(m.right).toMatch(/^\d{3}\*+[\dX]{4}$/);
    expect(m).toMatchObject({ code: 'match.differs', params: { a: 'order', field: 'buyerIdNumber', b: 'payment', rightField: 'payerIdNumber', left: order.buyerIdNumber, right: p.set.payment.payerIdNumber } });
    expect(m.message).toBe('order.buyerIdNumber differs from payment.payerIdNumber');
    const json = JSON.stringify(maskPersonal(r));
    expect(json).not.toContain(order.buyerIdNumber);
    expect(json).not.toContain(p.set.payment.payerIdNumber);
  });

  it.each(['waybill.consigneeTelephone', 'inventory.buyerTelephone', 'inventory.buyerIdNumber'] as const)('%s: no value in the message, none after maskPersonal', (kind) => {
    const p = introduceMismatch(bonded, kind);
    const r = matchDocuments(p.set);
    const values = [order.buyerTelephone, order.consigneeTelephone, p.set.waybill.consigneeTelephone, p.set.inventory.buyerTelephone, order.buyerIdNumber, p.set.inventory.buyerIdNumber];
    for (const m of r.mismatches) for (const v of values) expect(m.message).not.toContain(v);
    const masked = JSON.stringify(maskPersonal(r));
    for (const v of values) expect(masked).not.toContain(v);
  });

  it('two phones that differ only where the mask hides them: the officer is shown the differing digits', () => {
    const p = introduceMismatch(bonded, 'waybill.consigneeTelephone');
    const m = matchDocuments(p.set).mismatches[0]!;
    expect(m.left).toBe(m.right); // masked alike: the old text said "(they differ in the masked part)"
    expect(m.message).not.toContain('masked');
    const params = m.params as { left: string; right: string };
    expect(params.left).toBe(order.consigneeTelephone);
    expect(params.right).toBe(p.set.waybill.consigneeTelephone);
    const d = diffPieces(params.left, params.right);
    const differs = (pieces: { text: string; kind: string }[]) => pieces.filter((x) => x.kind === 'diff').map((x) => x.text).join('');
    expect(differs(d.left)).not.toBe('');
    expect(differs(d.right)).not.toBe('');
    expect(d.left.map((x) => x.text).join('')).toBe(params.left);
    expect(d.right.map((x) => x.text).join('')).toBe(params.right);
    // The masked form hides exactly the differing digits: they are in its starred middle.
    expect(differs(d.left).length).toBeLessThanOrEqual(params.left.length - 7);
  });
});

describe('amounts: fen, tolerance, rounding', () => {
  const paid = (amountPaid: string, options?: Partial<MatchOptions>) => matchDocuments({ order, payment: { ...payment, amountPaid } }, { ...DEFAULT_MATCH_OPTIONS, ...options }).mismatches.map((m) => m.rule);

  it('stated equalities allow no tolerance beyond rounding to fen', () => {
    expect(paid(dec.add(order.acturalPaid, '0.004'))).toEqual([]); // 5-decimal noise under half a fen
    expect(paid(dec.add(order.acturalPaid, '0.01'))).toEqual(['order-payment.amount']);
    expect(paid(dec.add(order.acturalPaid, '0.01'), { statedAmountToleranceCny: 0.01 })).toEqual([]);
    expect(paid(dec.add(order.acturalPaid, '0.004'), { amountDecimals: 5 })).toEqual(['order-payment.amount']);
  });

  it.each([
    ['0.33333', '3', '1', true], // 0.99999 rounds to 1.00
    ['1.005', '1', '1.01', true], // half a fen rounds up, whatever binary floating point says
    ['1.005', '1', '1', false],
    ['33.33', '3', '99.99', true],
    ['19.9', '0.5', '9.95', true],
    ['99999.99999', '99999.99999', '9999999998', true], // 9999999998.0000000001: beyond 2^53 in 10^-10 units, exact
    ['99999.99999', '99999.99999', '9999999998.01', false],
    // decimal(19,5) at full width: 19 significant digits, beyond a double
    ['12345678912345.12345', '1', '12345678912345.12', true],
    ['12345678912345.12345', '1', '12345678912345.13', false],
    ['1234567891.23456', '10000', '12345678912345.6', true],
  ])('price %s × qty %s = totalPrice %s → %s', (price, qty, totalPrice, ok) => {
    const line = { ...order.lines[0]!, gnum: 1, price, qty, totalPrice };
    const r = matchDocuments({ order: { ...order, lines: [line] } });
    expect(r.mismatches.some((m) => m.rule === 'order.line-total')).toBe(!ok);
  });

  it.each([
    [1.04, DEFAULT_MATCH_OPTIONS.totalTolerancePct, true],
    [0.96, 5, true],
    [1.06, 5, false],
    [1.06, 10, true],
    [1.0, 0, true],
  ])('Σ list totalPrice = goodsValue × %s within %s%% → %s', (factor, pct, ok) => {
    const goodsValue = '1000';
    const listed = dec.mul(goodsValue, dec.decimalFromNumber(factor));
    const list = { ...inventory, lines: [{ ...inventory.lines[0]!, qty: '1', price: listed, totalPrice: listed }] };
    const o = { ...order, goodsValue, lines: [{ ...order.lines[0]!, qty: '1', price: goodsValue, totalPrice: goodsValue }] };
    const r = matchDocuments({ order: o, inventory: list }, { ...DEFAULT_MATCH_OPTIONS, totalTolerancePct: pct });
    expect(r.mismatches.some((m) => m.rule === 'inventory-order.total')).toBe(!ok);
  });
});

describe('weights', () => {
  it.each([
    ['2', '2.18', true],
    ['2', '2.22', false],
    ['0.2', '0.25', true], // 0.05 kg floor for light parcels
    ['0.2', '0.26', false],
    ['0.2', '0.25001', false],
  ])('waybill %s kg vs list %s kg → %s', (weight, grossWeight, ok) => {
    const r = matchDocuments({ waybill: { ...waybill, weight }, inventory: { ...inventory, grossWeight } });
    expect(r.mismatches.some((m) => m.rule === 'inventory-waybill.weight')).toBe(!ok);
  });
});

describe('options', () => {
  it('defaults', () => {
    expect(DEFAULT_MATCH_OPTIONS).toEqual({ amountDecimals: 2, statedAmountToleranceCny: 0, totalTolerancePct: 5, weightTolerancePct: 10, weightToleranceKg: 0.05, bondedTradeModes: ['1210', '1239'], disabledRules: [] });
  });

  it('practice rules can be switched off', () => {
    const p = introduceMismatch(introduceMismatch(bonded, 'payment.payerName'), 'inventory.grossWeight');
    const options = MatchOptions.parse({ disabledRules: ['payment.payer-is-buyer', 'inventory-waybill.weight'] });
    expect(matchDocuments(p.set, options).consistent).toBe(true);
  });

  it('key and schema rules cannot be', () => {
    expect(MatchOptions.safeParse({ disabledRules: ['order-payment.key'] }).success).toBe(false);
    expect(MatchOptions.safeParse({ disabledRules: ['order-payment.amount'] }).success).toBe(false);
  });

  it('bonded fields are required only of bonded trade modes', () => {
    const direct = generateDocumentSets({ seed: 3, tradeModes: ['9610'] }, 5);
    for (const p of direct) expect(p.set.inventory.emsNo).toBeUndefined();
    for (const p of direct) expect(matchDocuments(p.set).consistent).toBe(true);
    const { emsNo: _e, ...list } = inventory;
    expect(matchDocuments({ inventory: { ...list, tradeMode: '1239' } }).mismatches.map((m) => m.field)).toEqual(['emsNo']);
    expect(matchDocuments({ inventory: { ...list, tradeMode: '1239' } }, MatchOptions.parse({ bondedTradeModes: ['1210'] })).consistent).toBe(true);
  });

  it('bonded-field mutators refuse a direct-import parcel', () => {
    const direct = generateParcel({ seed: 3, tradeModes: ['9610'] }, 0);
    expect(() => introduceMismatch(direct, 'inventory.emsNo')).toThrow(RangeError);
  });
});

describe('the generator', () => {
  it('is deterministic by (seed, index) and differs across seeds', () => {
    expect(generateParcel({ seed: 5 }, 42)).toEqual(generateParcel({ seed: 5 }, 42));
    expect(generateDocumentSets({ seed: 5 }, 50)[42]).toEqual(generateParcel({ seed: 5 }, 42));
    expect(generateParcel({ seed: 6 }, 42).set.order.buyerIdNumber).not.toBe(generateParcel({ seed: 5 }, 42).set.order.buyerIdNumber);
  });

  it('keys are unique within a seed', () => {
    const sets = generateDocumentSets({ seed: 5, tradeModes: ['1210', '9610'] }, 2000).map((p) => p.set);
    for (const k of ['orderNo', 'logisticsNo', 'copNo', 'invtNo'] as const) expect(new Set(sets.map((s) => `${s.inventory.logisticsCode}/${s.inventory[k]}`)).size).toBe(sets.length);
  });

  it('writes valid identifiers: resident IDs, UPU S10 (customs.md §7), CEB times', () => {
    expect(s10('EA', 12345678)).toBe('EA123456785CN');
    expect(s10('EE', 1)).toBe('EE000000014CN');
    expect(s10('RB', 12345678, 'GB')).toBe('RB123456785GB');
    expect(residentId('110101', '19491231', 2)).toMatch(/^11010119491231002[\dX]$/);
    for (const ms of [0, 951_782_400_000, 1_740_794_405_000, 4_102_444_799_000]) expect(cebTimeOf(ms)).toBe(toCebTime(ms));
  });

  it('mutators leave their input untouched', () => {
    const p = deepFreeze(structuredClone(generateParcel({ seed: 7 }, 3)));
    for (const kind of MISMATCH_KINDS) introduceMismatch(p, kind);
    expect(p).toEqual(bonded);
  });

  it('sets are a DocumentSet', () => {
    const set: DocumentSet = bonded.set;
    expect(Object.keys(set)).toEqual(['order', 'payment', 'waybill', 'inventory']);
  });
});
