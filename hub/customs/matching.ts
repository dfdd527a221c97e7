import { z } from 'zod';
import { maskField } from '../../shared/mask.ts';
import * as dec from '../../shared/decimal.ts';
import type { Decimal } from '../../shared/decimal.ts';
import type { DocumentSet, InventoryList, Order, Payment, Waybill } from './documents.ts';

/**
 * Three-document matching (三单对碰, customs.md §3) as a pure function: order, payment, waybill and inventory list in,
 * every disagreement out. Nothing here throws, logs or reads a clock; a failed match is a result, not an error.
 * Personal data in a mismatch (ID numbers, phones) is masked: the result goes to officers' screens and to logs.
 */

export const SetDocument = z.enum(['order', 'payment', 'waybill', 'inventory']);
export type SetDocument = z.infer<typeof SetDocument>;

/** Every rule, where it comes from and which documents it compares. Tests and screens key on the id. */
export const MATCH_RULES = {
  // keys
  'order-payment.key': { basis: 'key', documents: ['order', 'payment'], text: 'orderNo + ebpCode, and payCode + payTransactionId when the order carries them' },
  'order-waybill.key': { basis: 'key', documents: ['order', 'waybill'], text: 'orderNo' },
  'inventory-order.key': { basis: 'key', documents: ['inventory', 'order'], text: 'orderNo + ebpCode + ebcCode' },
  'inventory-order.lines': { basis: 'key', documents: ['inventory', 'order'], text: 'list and order lines pair one-to-one by gnum' },
  'inventory-waybill.key': { basis: 'key', documents: ['inventory', 'waybill'], text: 'logisticsCode + logisticsNo' },
  // stated by the schema
  'order-payment.amount': { basis: 'schema', documents: ['order', 'payment'], text: 'acturalPaid = amountPaid' },
  'order.paid-formula': { basis: 'schema', documents: ['order', 'order'], text: 'acturalPaid = goodsValue + freight + taxTotal − discount' },
  'order-waybill.consignee': { basis: 'schema', documents: ['order', 'waybill'], text: 'consignee name, telephone and address equal' },
  'inventory-order.gname': { basis: 'schema', documents: ['inventory', 'order'], text: 'list line gname = order line itemName' },
  'order.line-total': { basis: 'schema', documents: ['order', 'order'], text: 'order line totalPrice = price × qty' },
  'inventory.line-total': { basis: 'schema', documents: ['inventory', 'inventory'], text: 'list line totalPrice = price × qty' },
  // practice: configurable
  'payment.payer-is-buyer': { basis: 'practice', documents: ['order', 'payment'], text: 'payer = buyer (name, ID number)' },
  'inventory-order.buyer': { basis: 'practice', documents: ['inventory', 'order'], text: "list buyer fields and consignee address = the order's" },
  'inventory-order.total': { basis: 'practice', documents: ['inventory', 'order'], text: 'Σ list totalPrice ≈ order goodsValue' },
  'inventory-waybill.weight': { basis: 'practice', documents: ['inventory', 'waybill'], text: 'list grossWeight ≈ waybill weight' },
  'inventory.bonded-fields': { basis: 'practice', documents: ['inventory', 'inventory'], text: 'bonded lists carry emsNo, areaCode and every itemRecordNo' },
} as const satisfies Record<string, { basis: 'key' | 'schema' | 'practice'; documents: readonly [SetDocument, SetDocument]; text: string }>;

export type MatchRule = keyof typeof MATCH_RULES;
export const MATCH_RULE_IDS = Object.keys(MATCH_RULES) as [MatchRule, ...MatchRule[]];
export const MatchRuleId = z.enum(MATCH_RULE_IDS);

type PracticeRuleId = { [K in MatchRule]: (typeof MATCH_RULES)[K]['basis'] extends 'practice' ? K : never }[MatchRule];
export const PracticeRule = z.enum(MATCH_RULE_IDS.filter((r) => MATCH_RULES[r].basis === 'practice') as [PracticeRuleId, ...PracticeRuleId[]]);
export type PracticeRule = z.infer<typeof PracticeRule>;

/**
 * How strictly to match. Defaults and why:
 * - amounts are compared after rounding to fen (2 decimals): payments settle in fen, documents carry 5 decimals;
 * - equalities the schema states (acturalPaid = amountPaid, the paid formula, totalPrice = price × qty) allow no
 *   tolerance beyond that rounding, because customs rejects any difference there;
 * - the one approximate amount rule (Σ list totalPrice ≈ goodsValue) allows 5%, the figure quoted in practice: lists
 *   may carry a discount apportioned over their lines, which moves the total away from the order's goodsValue;
 * - weights use the inspection line's defaults (the larger of 10% and 0.05 kg) so "the weight agrees" means one thing
 *   from the documents to the scale.
 */
export const MatchOptions = z.object({
  amountDecimals: z.number().int().min(0).max(5).default(2),
  statedAmountToleranceCny: z.number().min(0).max(1000).default(0),
  totalTolerancePct: z.number().min(0).max(100).default(5),
  weightTolerancePct: z.number().min(0).max(100).default(10),
  weightToleranceKg: z.number().min(0).max(1000).default(0.05),
  /** Trade modes whose lists must carry the zone account-book fields. */
  bondedTradeModes: z.array(z.enum(['9610', '1210', '1239'])).default(['1210', '1239']),
  /** Practice rules a district does not apply. Key and schema rules cannot be switched off. */
  disabledRules: z.array(PracticeRule).default([]),
});
export type MatchOptions = z.output<typeof MatchOptions>;
export const DEFAULT_MATCH_OPTIONS: MatchOptions = MatchOptions.parse({});

export const Mismatch = z.object({
  rule: MatchRuleId,
  /** [left, right]: the documents whose values are `left` and `right` (the same twice for a rule within one document). */
  documents: z.tuple([SetDocument, SetDocument]),
  /** The field on the left document (`acturalPaid`, `lines[gnum=2].gname`). */
  field: z.string(),
  /** The field on the right document when it is named differently (`amountPaid`). */
  rightField: z.string().optional(),
  /** Values as declared (computed values at the compared precision); ID numbers and phones masked. */
  left: z.unknown(),
  right: z.unknown(),
  /** In English, for API clients and logs; a personal field's values are never in it (screens render `code`). */
  message: z.string(),
  /** The reason as a code with parameters (shared/reason-codes.ts), rendered in the reader's language. */
  code: z.string().optional(),
  /**
   * Its parameters. For a personal field the values as declared are here only (`left`, `right`): officers see which
   * part differs; shared/mask.ts drops them for every other viewer and from logs, and the station feed never has them.
   */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type Mismatch = z.infer<typeof Mismatch>;

export const MatchResult = z.object({
  /** All four documents are present. */
  complete: z.boolean(),
  /** No rule found a disagreement among the documents present. */
  consistent: z.boolean(),
  mismatches: z.array(Mismatch),
  missing: z.array(SetDocument),
});
export type MatchResult = z.infer<typeof MatchResult>;

// ---------------------------------------------------------------------------------------------------------------------
// Normalisation: identity is compared trimmed, case-insensitive, trailing ID `X` uppercase (customs.md §3, practice)

/** Names, ID numbers, free text: NFKC (full-width → ASCII), trimmed, runs of whitespace as one space, upper case. */
export function normalizeIdentity(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toUpperCase();
}

/** Phones: digits only, without a +86 / 0086 country prefix. */
export function normalizePhone(value: string): string {
  const digits = value.normalize('NFKC').replace(/\D/g, '');
  if (digits.startsWith('0086')) return digits.slice(4);
  if (digits.length === 13 && digits.startsWith('86')) return digits.slice(2);
  return digits;
}

const sameIdentity = (a: string, b: string) => a === b || normalizeIdentity(a) === normalizeIdentity(b);
const samePhone = (a: string, b: string) => a === b || normalizePhone(a) === normalizePhone(b);

// ---------------------------------------------------------------------------------------------------------------------
// Amounts: exact decimals (shared/decimal.ts), compared as integers of 10^-decimals rounded half up

/** A declared amount at the compared precision, in units of 10^-decimals. */
const at = (d: Decimal, decimals: number): bigint => dec.unitsAt(d, decimals);

/** price × qty at `decimals`, exact: the product of two decimal(19,5) values has up to 38 digits, all kept. */
export function productAt(price: Decimal, qty: Decimal, decimals: number): bigint {
  return dec.unitsAt(dec.mul(price, qty), decimals);
}

/** A configured tolerance (a JS number such as 0.05) in units of 10^-decimals, exact. */
export const toleranceAt = (x: number, decimals: number): bigint => dec.unitsAt(dec.decimalFromNumber(x), decimals);

/**
 * Two declared weights agree: |a − b| ≤ the larger of `weightToleranceKg` and `weightTolerancePct` of `b` — the
 * inspection line's rule (shared/stations/inspection.ts weightWithin), computed exactly on the declared decimals.
 */
export function declaredWeightsAgree(a: Decimal, b: Decimal, o: Pick<MatchOptions, 'weightTolerancePct' | 'weightToleranceKg'>): boolean {
  const diff = dec.abs(dec.sub(a, b));
  return dec.cmp(diff, dec.decimalFromNumber(o.weightToleranceKg)) <= 0 || dec.withinPct(a, b, o.weightTolerancePct);
}

const absBig = (x: bigint) => (x < 0n ? -x : x);

// ---------------------------------------------------------------------------------------------------------------------
// Recording a mismatch

/** What may be shown of a value: personal data (names, addresses, ID numbers, phones) masked by shared/mask.ts, the rest as declared. */
function shown(field: string, value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  return maskField(field, String(value)) ?? value;
}

const show = (v: unknown) => (v === undefined || v === null ? 'absent' : typeof v === 'string' ? `"${v}"` : String(v));
/** A parameter value as the reason keeps it: JSON scalars only. */
const param = (v: unknown): string | number | null => (typeof v === 'string' || typeof v === 'number' ? v : v === undefined || v === null ? null : String(v));
const LINE_TOTAL = /^lines\[gnum=(\d+)\]\.totalPrice$/;

/** A reason's code and parameters when the rule's own shape says more than "these two values differ". */
export interface Coded {
  code: string;
  params: Record<string, string | number | null>;
}

class Recorder {
  readonly mismatches: Mismatch[] = [];

  add(rule: MatchRule, field: string, left: unknown, right: unknown, rightField?: string, message?: string, coded?: Coded): void {
    const [a, b] = MATCH_RULES[rule].documents;
    const rf = rightField ?? field;
    const l = shown(field, left);
    const r = shown(rf, right);
    const personal = maskField(field, '') !== undefined || maskField(rf, '') !== undefined;
    // A personal field's values stay out of the text (it goes to logs and to the stations); screens render the code,
    // and only officers get the values (params.left/right, dropped by shared/mask.ts for everyone else).
    const text = message ?? (personal ? `${a}.${field} differs from ${b}.${rf}` : `${a}.${field} ${show(l)} ≠ ${b}.${rf} ${show(r)}`);
    const line = LINE_TOTAL.exec(field);
    const { code, params } =
      coded ??
      (rule === 'order.paid-formula'
        ? { code: 'match.paid-formula', params: { left: param(left), right: param(right) } }
        : line && (rule === 'order.line-total' || rule === 'inventory.line-total')
          ? { code: 'match.line-total', params: { doc: a, gnum: Number(line[1]), left: param(left), right: param(right) } }
          : { code: 'match.differs', params: { a, field, b, rightField: rf, left: param(left), right: param(right) } });
    this.mismatches.push({ rule, documents: [a, b], field, ...(rightField !== undefined ? { rightField } : {}), left: l, right: r, message: text, code, params });
  }

  /** Exact key comparison: customs pairs documents on these as declared. Returns whether they agreed. */
  key(rule: MatchRule, field: string, left: string | undefined, right: string | undefined, rightField?: string): boolean {
    if (left === right) return true;
    this.add(rule, field, left, right, rightField);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The rules, pair by pair

const line = (gnum: number, field: string) => `lines[gnum=${gnum}].${field}`;

function stated(rec: Recorder, o: MatchOptions, rule: MatchRule, field: string, left: Decimal, rightUnitsAtDecimals: bigint, rightField: string, messagePrefix?: string): void {
  const l = at(left, o.amountDecimals);
  if (absBig(l - rightUnitsAtDecimals) <= toleranceAt(o.statedAmountToleranceCny, o.amountDecimals)) return;
  const right = dec.fromUnits(rightUnitsAtDecimals, o.amountDecimals);
  const [a, b] = MATCH_RULES[rule].documents;
  rec.add(rule, field, left, right, rightField, messagePrefix ? `${messagePrefix}: ${field} ${left} ≠ ${right}` : `${a}.${field} ${left} ≠ ${b}.${rightField} ${right}`);
}

function orderPayment(rec: Recorder, order: Order, payment: Payment, o: MatchOptions, on: (r: PracticeRule) => boolean): void {
  let keyed = rec.key('order-payment.key', 'orderNo', order.orderNo, payment.orderNo);
  keyed = rec.key('order-payment.key', 'ebpCode', order.ebpCode, payment.ebpCode) && keyed;
  if (order.payCode !== undefined) keyed = rec.key('order-payment.key', 'payCode', order.payCode, payment.payCode) && keyed;
  if (order.payTransactionId !== undefined) keyed = rec.key('order-payment.key', 'payTransactionId', order.payTransactionId, payment.payTransactionId) && keyed;
  // Documents that do not pair belong to different sets: comparing their contents would only add noise.
  if (!keyed) return;
  stated(rec, o, 'order-payment.amount', 'acturalPaid', order.acturalPaid, at(payment.amountPaid, o.amountDecimals), 'amountPaid');
  if (on('payment.payer-is-buyer')) {
    if (!sameIdentity(order.buyerName, payment.payerName)) rec.add('payment.payer-is-buyer', 'buyerName', order.buyerName, payment.payerName, 'payerName');
    if (!sameIdentity(order.buyerIdNumber, payment.payerIdNumber)) rec.add('payment.payer-is-buyer', 'buyerIdNumber', order.buyerIdNumber, payment.payerIdNumber, 'payerIdNumber');
  }
}

function orderWaybill(rec: Recorder, order: Order, waybill: Waybill): void {
  if (!rec.key('order-waybill.key', 'orderNo', order.orderNo, waybill.orderNo)) return;
  if (!sameIdentity(order.consignee, waybill.consignee)) rec.add('order-waybill.consignee', 'consignee', order.consignee, waybill.consignee);
  if (!samePhone(order.consigneeTelephone, waybill.consigneeTelephone)) rec.add('order-waybill.consignee', 'consigneeTelephone', order.consigneeTelephone, waybill.consigneeTelephone);
  if (!sameIdentity(order.consigneeAddress, waybill.consigneeAddress)) rec.add('order-waybill.consignee', 'consigneeAddress', order.consigneeAddress, waybill.consigneeAddress);
}

function inventoryOrder(rec: Recorder, list: InventoryList, order: Order, o: MatchOptions, on: (r: PracticeRule) => boolean): void {
  let keyed = rec.key('inventory-order.key', 'orderNo', list.orderNo, order.orderNo);
  keyed = rec.key('inventory-order.key', 'ebpCode', list.ebpCode, order.ebpCode) && keyed;
  keyed = rec.key('inventory-order.key', 'ebcCode', list.ebcCode, order.ebcCode) && keyed;
  if (!keyed) return;

  const orderLines = new Map(order.lines.map((l) => [l.gnum, l]));
  const listed = new Set<number>();
  for (const l of list.lines) {
    listed.add(l.gnum);
    const ol = orderLines.get(l.gnum);
    if (!ol) {
      rec.add('inventory-order.lines', `lines[gnum=${l.gnum}]`, l.gnum, null, undefined, `list line gnum ${l.gnum} has no order line`, { code: 'match.list-line-unpaired', params: { gnum: l.gnum } });
      continue;
    }
    if (!sameIdentity(l.gname, ol.itemName)) rec.add('inventory-order.gname', line(l.gnum, 'gname'), l.gname, ol.itemName, line(l.gnum, 'itemName'));
  }
  for (const ol of order.lines) {
    if (!listed.has(ol.gnum)) rec.add('inventory-order.lines', `lines[gnum=${ol.gnum}]`, null, ol.gnum, undefined, `order line gnum ${ol.gnum} is not on the list`, { code: 'match.order-line-unlisted', params: { gnum: ol.gnum } });
  }

  if (on('inventory-order.buyer')) {
    if (list.buyerIdType !== order.buyerIdType) rec.add('inventory-order.buyer', 'buyerIdType', list.buyerIdType, order.buyerIdType);
    if (!sameIdentity(list.buyerIdNumber, order.buyerIdNumber)) rec.add('inventory-order.buyer', 'buyerIdNumber', list.buyerIdNumber, order.buyerIdNumber);
    if (!sameIdentity(list.buyerName, order.buyerName)) rec.add('inventory-order.buyer', 'buyerName', list.buyerName, order.buyerName);
    if (!samePhone(list.buyerTelephone, order.buyerTelephone)) rec.add('inventory-order.buyer', 'buyerTelephone', list.buyerTelephone, order.buyerTelephone);
    if (!sameIdentity(list.consigneeAddress, order.consigneeAddress)) rec.add('inventory-order.buyer', 'consigneeAddress', list.consigneeAddress, order.consigneeAddress);
  }

  if (on('inventory-order.total')) {
    const total = dec.round(dec.sum(list.lines.map((l) => l.totalPrice)), o.amountDecimals);
    const goods = dec.round(order.goodsValue, o.amountDecimals);
    if (!dec.withinPct(total, goods, o.totalTolerancePct)) {
      rec.add('inventory-order.total', 'lines.totalPrice', total, goods, 'goodsValue', `Σ list totalPrice ${total} differs from order goodsValue ${goods} by more than ${o.totalTolerancePct}%`, { code: 'match.total', params: { total, goods, pct: o.totalTolerancePct } });
    }
  }
}

function inventoryWaybill(rec: Recorder, list: InventoryList, waybill: Waybill, o: MatchOptions, on: (r: PracticeRule) => boolean): void {
  let keyed = rec.key('inventory-waybill.key', 'logisticsCode', list.logisticsCode, waybill.logisticsCode);
  keyed = rec.key('inventory-waybill.key', 'logisticsNo', list.logisticsNo, waybill.logisticsNo) && keyed;
  if (!keyed) return;
  if (on('inventory-waybill.weight') && !declaredWeightsAgree(list.grossWeight, waybill.weight, o)) {
    rec.add('inventory-waybill.weight', 'grossWeight', list.grossWeight, waybill.weight, 'weight', `list grossWeight ${list.grossWeight} kg vs waybill weight ${waybill.weight} kg is beyond the larger of ${o.weightTolerancePct}% and ${o.weightToleranceKg} kg`, { code: 'match.weight', params: { list: list.grossWeight, waybill: waybill.weight, pct: o.weightTolerancePct, kg: o.weightToleranceKg } });
  }
}

function orderAlone(rec: Recorder, order: Order, o: MatchOptions): void {
  const paid = at(dec.sub(dec.sum([order.goodsValue, order.freight, order.taxTotal]), order.discount), o.amountDecimals);
  stated(rec, o, 'order.paid-formula', 'acturalPaid', order.acturalPaid, paid, 'goodsValue + freight + taxTotal − discount', 'acturalPaid must be goodsValue + freight + taxTotal − discount');
  for (const l of order.lines) stated(rec, o, 'order.line-total', line(l.gnum, 'totalPrice'), l.totalPrice, productAt(l.price, l.qty, o.amountDecimals), line(l.gnum, 'price × qty'));
}

function inventoryAlone(rec: Recorder, list: InventoryList, o: MatchOptions, on: (r: PracticeRule) => boolean): void {
  for (const l of list.lines) stated(rec, o, 'inventory.line-total', line(l.gnum, 'totalPrice'), l.totalPrice, productAt(l.price, l.qty, o.amountDecimals), line(l.gnum, 'price × qty'));
  // A mode the hub does not know is not assumed bonded (documents.ts KNOWN_IMPORT_TRADE_MODES says why).
  if (!on('inventory.bonded-fields') || !(o.bondedTradeModes as readonly string[]).includes(list.tradeMode)) return;
  const need = `required for tradeMode ${list.tradeMode}`;
  if (!list.emsNo?.trim()) rec.add('inventory.bonded-fields', 'emsNo', list.emsNo, need, undefined, `emsNo (zone account book) is ${need}`, { code: 'match.bonded-field', params: { field: 'emsNo', tradeMode: list.tradeMode } });
  if (!list.areaCode?.trim()) rec.add('inventory.bonded-fields', 'areaCode', list.areaCode, need, undefined, `areaCode (zone warehouse enterprise) is ${need}`, { code: 'match.bonded-field', params: { field: 'areaCode', tradeMode: list.tradeMode } });
  for (const l of list.lines) {
    if (!l.itemRecordNo?.trim()) rec.add('inventory.bonded-fields', line(l.gnum, 'itemRecordNo'), l.itemRecordNo, need, undefined, `itemRecordNo of list line ${l.gnum} is ${need}`, { code: 'match.bonded-line', params: { field: 'itemRecordNo', gnum: l.gnum, tradeMode: list.tradeMode } });
  }
}

/**
 * Match a set. Keys first: a pair whose keys disagree is reported once per key field and its contents are not compared.
 * `complete` says all four documents are present; `consistent` says no rule found a disagreement among those present.
 */
export function matchDocuments(set: DocumentSet, options: MatchOptions = DEFAULT_MATCH_OPTIONS): MatchResult {
  const { order, payment, waybill, inventory } = set;
  const rec = new Recorder();
  const disabled = options.disabledRules;
  const on = (rule: PracticeRule) => disabled.length === 0 || !disabled.includes(rule);
  if (order) orderAlone(rec, order, options);
  if (inventory) inventoryAlone(rec, inventory, options, on);
  if (order && payment) orderPayment(rec, order, payment, options, on);
  if (order && waybill) orderWaybill(rec, order, waybill);
  if (inventory && order) inventoryOrder(rec, inventory, order, options, on);
  if (inventory && waybill) inventoryWaybill(rec, inventory, waybill, options, on);
  const missing: SetDocument[] = [];
  if (!order) missing.push('order');
  if (!payment) missing.push('payment');
  if (!waybill) missing.push('waybill');
  if (!inventory) missing.push('inventory');
  return { complete: missing.length === 0, consistent: rec.mismatches.length === 0, mismatches: rec.mismatches, missing };
}
