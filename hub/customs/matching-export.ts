import { z } from 'zod';
import * as dec from '../../shared/decimal.ts';
import type { Decimal } from '../../shared/decimal.ts';
import { ExportInventoryList, ExportOrder, ExportWaybill } from './documents.ts';
import { declaredWeightsAgree, MatchOptions, MatchResult, Mismatch, normalizeIdentity, productAt, toleranceAt } from './matching.ts';

/**
 * Export three-document matching as a pure function: CEB303 order, CEB505 waybill, CEB603 inventory list in, every
 * disagreement out, in the same shape as the import matcher (matching.ts) so screens and the service treat both alike.
 * The export waybill carries no orderNo (customs.md §2): the list ties the set together, so every pairing goes
 * through it — list ↔ order on orderNo + ebpCode + ebcCode, list ↔ waybill on logisticsCode + logisticsNo.
 * Nothing here throws, logs or reads a clock. Export documents carry no buyer data, so nothing needs masking.
 */

export const ExportSetDocument = z.enum(['exportOrder', 'exportWaybill', 'exportInventory']);
export type ExportSetDocument = z.infer<typeof ExportSetDocument>;

/** Every export rule, where it comes from and which documents it compares. Tests and screens key on the id. */
export const EXPORT_MATCH_RULES = {
  // keys
  'exportInventory-exportOrder.key': { basis: 'key', documents: ['exportInventory', 'exportOrder'], text: 'orderNo + ebpCode + ebcCode' },
  'exportInventory-exportOrder.lines': { basis: 'key', documents: ['exportInventory', 'exportOrder'], text: 'list and order lines pair one-to-one by gnum' },
  'exportInventory-exportWaybill.key': { basis: 'key', documents: ['exportInventory', 'exportWaybill'], text: 'logisticsCode + logisticsNo, and ebcCode when the waybill carries it' },
  // the same goods, declared twice: the list restates the order's lines
  'exportInventory-exportOrder.line-values': { basis: 'schema', documents: ['exportInventory', 'exportOrder'], text: 'list line itemNo, qty, price and totalPrice = the order line’s' },
  'exportInventory-exportOrder.currency': { basis: 'schema', documents: ['exportInventory', 'exportOrder'], text: 'list line currency = order currency' },
  'exportOrder.currency': { basis: 'schema', documents: ['exportOrder', 'exportOrder'], text: 'order line currency = order currency' },
  'exportOrder.line-total': { basis: 'schema', documents: ['exportOrder', 'exportOrder'], text: 'order line totalPrice = price × qty' },
  'exportInventory.line-total': { basis: 'schema', documents: ['exportInventory', 'exportInventory'], text: 'list line totalPrice = price × qty' },
  // practice: configurable
  'exportInventory-exportOrder.goods': { basis: 'practice', documents: ['exportInventory', 'exportOrder'], text: 'list line gname = order line itemName; barCode equal where both carry one' },
  'exportOrder.goods-value': { basis: 'practice', documents: ['exportOrder', 'exportOrder'], text: 'Σ order line totalPrice ≈ goodsValue' },
  'exportInventory-exportOrder.total': { basis: 'practice', documents: ['exportInventory', 'exportOrder'], text: 'Σ list totalPrice ≈ order goodsValue' },
  'exportInventory-exportWaybill.weight': { basis: 'practice', documents: ['exportInventory', 'exportWaybill'], text: 'list grossWeight ≈ waybill grossWeight' },
  'exportInventory.bonded-fields': { basis: 'practice', documents: ['exportInventory', 'exportInventory'], text: 'bonded export lists carry emsNo, iacCode and every itemRecordNo' },
} as const satisfies Record<string, { basis: 'key' | 'schema' | 'practice'; documents: readonly [ExportSetDocument, ExportSetDocument]; text: string }>;

export type ExportMatchRule = keyof typeof EXPORT_MATCH_RULES;
export const EXPORT_MATCH_RULE_IDS = Object.keys(EXPORT_MATCH_RULES) as [ExportMatchRule, ...ExportMatchRule[]];
export const ExportMatchRuleId = z.enum(EXPORT_MATCH_RULE_IDS);

type ExportPracticeRuleId = { [K in ExportMatchRule]: (typeof EXPORT_MATCH_RULES)[K]['basis'] extends 'practice' ? K : never }[ExportMatchRule];
export const ExportPracticeRule = z.enum(EXPORT_MATCH_RULE_IDS.filter((r) => EXPORT_MATCH_RULES[r].basis === 'practice') as [ExportPracticeRuleId, ...ExportPracticeRuleId[]]);
export type ExportPracticeRule = z.infer<typeof ExportPracticeRule>;

/**
 * The import matcher's options and defaults (matching.ts explains each: fen rounding, 5% on totals, the inspection
 * line's weight tolerance), so "agrees" means the same for both directions; only the switchable rules differ.
 */
export const ExportMatchOptions = MatchOptions.omit({ disabledRules: true }).extend({
  disabledRules: z.array(ExportPracticeRule).default([]),
});
export type ExportMatchOptions = z.output<typeof ExportMatchOptions>;
export const DEFAULT_EXPORT_MATCH_OPTIONS: ExportMatchOptions = ExportMatchOptions.parse({});

/** The import Mismatch shape with export rule ids and document names. */
export const ExportMismatch = Mismatch.extend({ rule: ExportMatchRuleId, documents: z.tuple([ExportSetDocument, ExportSetDocument]) });
export type ExportMismatch = z.infer<typeof ExportMismatch>;

export const ExportMatchResult = MatchResult.extend({ mismatches: z.array(ExportMismatch), missing: z.array(ExportSetDocument) });
export type ExportMatchResult = z.infer<typeof ExportMatchResult>;

export const ExportDocumentSet = z.object({ exportOrder: ExportOrder.optional(), exportWaybill: ExportWaybill.optional(), exportInventory: ExportInventoryList.optional() });
export type ExportDocumentSet = z.infer<typeof ExportDocumentSet>;

// ---------------------------------------------------------------------------------------------------------------------
// Amounts as in matching.ts: exact decimals, compared as integers of 10^-decimals rounded half up.

const at = (d: Decimal, decimals: number): bigint => dec.unitsAt(d, decimals);

const show = (v: unknown) => (v === undefined || v === null ? 'absent' : typeof v === 'string' ? `"${v}"` : String(v));
const line = (gnum: number, field: string) => `lines[gnum=${gnum}].${field}`;

class Recorder {
  readonly mismatches: ExportMismatch[] = [];

  add(rule: ExportMatchRule, field: string, left: unknown, right: unknown, rightField?: string, message?: string): void {
    const [a, b] = EXPORT_MATCH_RULES[rule].documents;
    const text = message ?? `${a}.${field} ${show(left)} ≠ ${b}.${rightField ?? field} ${show(right)}`;
    this.mismatches.push({ rule, documents: [a, b], field, ...(rightField !== undefined ? { rightField } : {}), left, right, message: text });
  }

  /** Exact key comparison: customs pairs documents on these as declared. Returns whether they agreed. */
  key(rule: ExportMatchRule, field: string, left: string | undefined, right: string | undefined): boolean {
    if (left === right) return true;
    this.add(rule, field, left, right);
    return false;
  }

}

/**
 * Equalities between amounts: compared at the option's decimals, allowing only `statedAmountToleranceCny` (0 by
 * default, as customs allows none) beyond that rounding. Arguments are already at `amountDecimals`.
 */
function differs(leftAt: bigint, rightAt: bigint, o: ExportMatchOptions): boolean {
  const diff = leftAt - rightAt;
  return (diff < 0n ? -diff : diff) > toleranceAt(o.statedAmountToleranceCny, o.amountDecimals);
}

/** |Σ − b| within `pct` % of b, both rounded to `decimals`: the approximate totals rules. Returns Σ as compared. */
function totalWithin(values: readonly Decimal[], b: Decimal, pct: number, decimals: number): { ok: boolean; total: Decimal } {
  const total = dec.round(dec.sum(values), decimals);
  return { ok: dec.withinPct(total, dec.round(b, decimals), pct), total };
}

/** A line's totalPrice against price × qty at the compared precision. */
function lineTotal(rec: Recorder, rule: 'exportOrder.line-total' | 'exportInventory.line-total', l: { gnum: number; price: Decimal; qty: Decimal; totalPrice: Decimal }, o: ExportMatchOptions): void {
  const d = o.amountDecimals;
  const product = productAt(l.price, l.qty, d);
  if (!differs(at(l.totalPrice, d), product, o)) return;
  const [a, b] = EXPORT_MATCH_RULES[rule].documents;
  const right = dec.fromUnits(product, d);
  rec.add(rule, line(l.gnum, 'totalPrice'), l.totalPrice, right, line(l.gnum, 'price × qty'), `${a}.${line(l.gnum, 'totalPrice')} ${l.totalPrice} ≠ ${b}.${line(l.gnum, 'price × qty')} ${right}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// The rules

type On = (r: ExportPracticeRule) => boolean;

function orderAlone(rec: Recorder, order: ExportOrder, o: ExportMatchOptions, on: On): void {
  for (const l of order.lines) {
    lineTotal(rec, 'exportOrder.line-total', l, o);
    if (l.currency !== order.currency) rec.add('exportOrder.currency', line(l.gnum, 'currency'), l.currency, order.currency, 'currency');
  }
  const { ok, total } = totalWithin(order.lines.map((l) => l.totalPrice), order.goodsValue, o.totalTolerancePct, o.amountDecimals);
  if (on('exportOrder.goods-value') && !ok) {
    rec.add('exportOrder.goods-value', 'lines.totalPrice', total, order.goodsValue, 'goodsValue', `Σ order line totalPrice ${total} differs from goodsValue ${order.goodsValue} by more than ${o.totalTolerancePct}%`);
  }
}

function inventoryAlone(rec: Recorder, list: ExportInventoryList, o: ExportMatchOptions, on: On): void {
  for (const l of list.lines) lineTotal(rec, 'exportInventory.line-total', l, o);
  // ExportTradeMode is wider than the import enum the shared option lists; 9710/9810 are never bonded, and a mode the
  // hub does not know is not assumed bonded (documents.ts KNOWN_EXPORT_TRADE_MODES).
  if (!on('exportInventory.bonded-fields') || !(o.bondedTradeModes as readonly string[]).includes(list.tradeMode)) return;
  const need = `required for tradeMode ${list.tradeMode}`;
  if (!list.emsNo?.trim()) rec.add('exportInventory.bonded-fields', 'emsNo', list.emsNo, need, undefined, `emsNo (zone account book) is ${need}`);
  if (!list.iacCode?.trim()) rec.add('exportInventory.bonded-fields', 'iacCode', list.iacCode, need, undefined, `iacCode (zone enterprise) is ${need}`);
  for (const l of list.lines) {
    if (!l.itemRecordNo?.trim()) rec.add('exportInventory.bonded-fields', line(l.gnum, 'itemRecordNo'), l.itemRecordNo, need, undefined, `itemRecordNo of list line ${l.gnum} is ${need}`);
  }
}

/** A list barCode of 无 ("none") is how CEB603 says a line has no barcode (the field is required there). */
const realBarCode = (b: string | undefined) => (b !== undefined && b.trim() !== '' && b.trim() !== '无' ? b.trim() : undefined);

function inventoryOrder(rec: Recorder, list: ExportInventoryList, order: ExportOrder, o: ExportMatchOptions, on: On): void {
  let keyed = rec.key('exportInventory-exportOrder.key', 'orderNo', list.orderNo, order.orderNo);
  keyed = rec.key('exportInventory-exportOrder.key', 'ebpCode', list.ebpCode, order.ebpCode) && keyed;
  keyed = rec.key('exportInventory-exportOrder.key', 'ebcCode', list.ebcCode, order.ebcCode) && keyed;
  // Documents that do not pair belong to different sets: comparing their contents would only add noise.
  if (!keyed) return;
  const d = o.amountDecimals;

  // CEB303 order lines carry no HS code (gcode is the list's alone), so goods identity is itemNo, name and barCode.
  const orderLines = new Map(order.lines.map((l) => [l.gnum, l]));
  const listed = new Set<number>();
  for (const l of list.lines) {
    listed.add(l.gnum);
    const ol = orderLines.get(l.gnum);
    if (!ol) {
      rec.add('exportInventory-exportOrder.lines', `lines[gnum=${l.gnum}]`, l.gnum, null, undefined, `list line gnum ${l.gnum} has no order line`);
      continue;
    }
    if (l.itemNo !== ol.itemNo) rec.add('exportInventory-exportOrder.line-values', line(l.gnum, 'itemNo'), l.itemNo, ol.itemNo);
    // Quantities are compared exactly (decimal(19,5)): the same goods, counted once by the seller.
    if (!dec.eq(l.qty, ol.qty)) rec.add('exportInventory-exportOrder.line-values', line(l.gnum, 'qty'), l.qty, ol.qty);
    if (differs(at(l.price, d), at(ol.price, d), o)) rec.add('exportInventory-exportOrder.line-values', line(l.gnum, 'price'), l.price, ol.price);
    if (differs(at(l.totalPrice, d), at(ol.totalPrice, d), o)) rec.add('exportInventory-exportOrder.line-values', line(l.gnum, 'totalPrice'), l.totalPrice, ol.totalPrice);
    if (l.currency !== order.currency) rec.add('exportInventory-exportOrder.currency', line(l.gnum, 'currency'), l.currency, order.currency, 'currency');
    if (on('exportInventory-exportOrder.goods')) {
      if (normalizeIdentity(l.gname) !== normalizeIdentity(ol.itemName)) rec.add('exportInventory-exportOrder.goods', line(l.gnum, 'gname'), l.gname, ol.itemName, line(l.gnum, 'itemName'));
      const lb = realBarCode(l.barCode);
      const ob = realBarCode(ol.barCode);
      if (lb !== undefined && ob !== undefined && lb !== ob) rec.add('exportInventory-exportOrder.goods', line(l.gnum, 'barCode'), l.barCode, ol.barCode);
    }
  }
  for (const ol of order.lines) {
    if (!listed.has(ol.gnum)) rec.add('exportInventory-exportOrder.lines', `lines[gnum=${ol.gnum}]`, null, ol.gnum, undefined, `order line gnum ${ol.gnum} is not on the list`);
  }

  if (on('exportInventory-exportOrder.total')) {
    const { ok, total } = totalWithin(list.lines.map((l) => l.totalPrice), order.goodsValue, o.totalTolerancePct, d);
    if (!ok) {
      rec.add('exportInventory-exportOrder.total', 'lines.totalPrice', total, order.goodsValue, 'goodsValue', `Σ list totalPrice ${total} differs from order goodsValue ${order.goodsValue} by more than ${o.totalTolerancePct}%`);
    }
  }
}

function inventoryWaybill(rec: Recorder, list: ExportInventoryList, waybill: ExportWaybill, o: ExportMatchOptions, on: On): void {
  let keyed = rec.key('exportInventory-exportWaybill.key', 'logisticsCode', list.logisticsCode, waybill.logisticsCode);
  keyed = rec.key('exportInventory-exportWaybill.key', 'logisticsNo', list.logisticsNo, waybill.logisticsNo) && keyed;
  if (waybill.ebcCode !== undefined) keyed = rec.key('exportInventory-exportWaybill.key', 'ebcCode', list.ebcCode, waybill.ebcCode) && keyed;
  if (!keyed) return;
  if (on('exportInventory-exportWaybill.weight') && !declaredWeightsAgree(list.grossWeight, waybill.grossWeight, o)) {
    rec.add('exportInventory-exportWaybill.weight', 'grossWeight', list.grossWeight, waybill.grossWeight, 'grossWeight', `list grossWeight ${list.grossWeight} kg vs waybill grossWeight ${waybill.grossWeight} kg is beyond the larger of ${o.weightTolerancePct}% and ${o.weightToleranceKg} kg`);
  }
}

/**
 * Match an export set. Keys first: a pair whose keys disagree is reported once per key field and its contents are not
 * compared. `complete` says all three documents are present; `consistent` that no rule found a disagreement among
 * those present. Without the list, order and waybill cannot be paired (the waybill names no order): only each
 * document's own rules run.
 */
export function matchExport(set: ExportDocumentSet, options: ExportMatchOptions = DEFAULT_EXPORT_MATCH_OPTIONS): ExportMatchResult {
  const { exportOrder, exportWaybill, exportInventory } = set;
  const rec = new Recorder();
  const disabled = options.disabledRules;
  const on: On = (rule) => disabled.length === 0 || !disabled.includes(rule);
  if (exportOrder) orderAlone(rec, exportOrder, options, on);
  if (exportInventory) inventoryAlone(rec, exportInventory, options, on);
  if (exportInventory && exportOrder) inventoryOrder(rec, exportInventory, exportOrder, options, on);
  if (exportInventory && exportWaybill) inventoryWaybill(rec, exportInventory, exportWaybill, options, on);
  const missing = ExportSetDocument.options.filter((k) => !set[k]);
  return { complete: missing.length === 0, consistent: rec.mismatches.length === 0, mismatches: rec.mismatches, missing };
}
