import { z } from 'zod';
import * as dec from '../../shared/decimal.ts';
import type { Decimal } from '../../shared/decimal.ts';
import { maskIdNumber } from '../../shared/mask.ts';
import type { ExportInventoryList, ExportOrder, InventoryList, ReturnRequest } from './documents.ts';
import { normalizeIdentity } from './matching.ts';

/**
 * Returns (退货) matched to what they return, as pure functions: nothing here reads a clock, the database or logs.
 * - Import (CEB625, customs.md §2): a return request names the original import list by invtNo and returns some of its
 *   lines (gnum, gcode, gname, qty ≤ original, unit). Customs refuses a return against a list it has not released.
 * - Export (9810 overseas warehouse, customs.md §5): a parcel the overseas warehouse takes back is matched to the
 *   export that sent it (the CEB603 list, else the CEB303 order, of the same orderNo).
 * A failed match is a result with one issue per problem, not an error. ID numbers in an issue are masked: issues go to
 * officers' screens and to the audit chain.
 */

export const ReturnRule = z.enum([
  'original.unknown',
  'original.not_released',
  'header.differs',
  'line.unknown',
  'line.gcode',
  'line.gname',
  'line.qty',
  'line.unit',
  'export.no_order',
  'export.unknown',
  'export.no_sku',
  'export.sku_not_exported',
  'export.qty',
]);
export type ReturnRule = z.infer<typeof ReturnRule>;

export const ReturnIssue = z.object({
  rule: ReturnRule,
  /** The field on the return (`orderNo`, `lines[gnum=2].qty`); empty when the issue is about the whole return. */
  field: z.string(),
  /** What the original says, and what the return says (ID numbers masked). */
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  message: z.string(),
});
export type ReturnIssue = z.infer<typeof ReturnIssue>;

export const ReturnMatch = z.object({ ok: z.boolean(), issues: z.array(ReturnIssue) });
export type ReturnMatch = z.infer<typeof ReturnMatch>;

const result = (issues: ReturnIssue[]): ReturnMatch => ({ ok: issues.length === 0, issues });

// Quantities are exact decimals (shared/decimal.ts) so 0.1 + 0.2 returned of 0.3 is not "above", at any width.
const atLeastZero = (d: Decimal): Decimal => (d.startsWith('-') ? '0' : d);

/** Header fields a return must carry exactly as the original list does (customs pairs them on these keys). */
const HEADER_FIELDS = ['orderNo', 'logisticsNo', 'ebcCode', 'ebpCode'] as const;

/**
 * Match an import return request (CEB625) with its original list.
 * @param original the list whose invtNo the request names, or undefined when the hub has no such list
 * @param alreadyReturned per gnum, what other return requests against the same list already take back
 * @param released customs has released the original list (its latest 622 receipt is 800 or 899)
 */
export function matchReturn(request: ReturnRequest, original: InventoryList | undefined, alreadyReturned: ReadonlyMap<number, Decimal>, released: boolean): ReturnMatch {
  if (!original) {
    return result([{ rule: 'original.unknown', field: 'invtNo', actual: request.invtNo, message: `no import list ${request.invtNo} is known to the hub` }]);
  }
  const issues: ReturnIssue[] = [];
  if (!released) issues.push({ rule: 'original.not_released', field: 'invtNo', actual: request.invtNo, message: `list ${request.invtNo} has not been released: only a released list can be returned` });
  for (const f of HEADER_FIELDS) {
    if (request[f] !== original[f]) issues.push({ rule: 'header.differs', field: f, expected: original[f], actual: request[f], message: `${f} differs from the original list` });
  }
  // ID numbers are compared as customs does in practice (trimmed, full-width folded, trailing x as X), shown masked.
  if (normalizeIdentity(request.buyerIdNumber) !== normalizeIdentity(original.buyerIdNumber)) {
    issues.push({ rule: 'header.differs', field: 'buyerIdNumber', expected: maskIdNumber(original.buyerIdNumber), actual: maskIdNumber(request.buyerIdNumber), message: 'the buyer ID number differs from the original list' });
  }
  const lines = new Map(original.lines.map((l) => [l.gnum, l]));
  for (const line of request.lines) {
    const at = `lines[gnum=${line.gnum}]`;
    const orig = lines.get(line.gnum);
    if (!orig) {
      issues.push({ rule: 'line.unknown', field: `${at}.gnum`, actual: line.gnum, message: `list ${original.invtNo ?? original.copNo} has no line ${line.gnum}` });
      continue;
    }
    if (line.gcode !== orig.gcode) issues.push({ rule: 'line.gcode', field: `${at}.gcode`, expected: orig.gcode, actual: line.gcode, message: `gcode differs from the original line ${line.gnum}` });
    if (normalizeIdentity(line.gname) !== normalizeIdentity(orig.gname)) issues.push({ rule: 'line.gname', field: `${at}.gname`, expected: orig.gname, actual: line.gname, message: `gname differs from the original line ${line.gnum}` });
    if (line.unit !== orig.unit) issues.push({ rule: 'line.unit', field: `${at}.unit`, expected: orig.unit, actual: line.unit, message: `unit differs from the original line ${line.gnum}` });
    const before = alreadyReturned.get(line.gnum) ?? '0';
    const left = atLeastZero(dec.sub(orig.qty, before));
    if (dec.gt(line.qty, left)) {
      issues.push({
        rule: 'line.qty',
        field: `${at}.qty`,
        expected: left,
        actual: line.qty,
        message: `returns ${line.qty} of line ${line.gnum}: the list declared ${orig.qty} and ${before} were already returned, so at most ${left}`,
      });
    }
  }
  return result(issues);
}

/** The parts of an overseas-warehouse return (`warehouse.transaction` op 'return') that matching needs. */
export interface ExportReturn {
  orderNo: string | undefined;
  sku: string | undefined;
  qty: number;
}

const BARE_GTIN = /^(\d{8}|\d{12,14})$/;
/** Stations write GTINs as 14 digits; documents often carry the EAN-13 or UPC-A: compare GTIN-14 to GTIN-14. */
const skuKey = (code: string) => (BARE_GTIN.test(code) ? code.padStart(14, '0') : code.trim());

/** Lines of an export whose itemNo or barCode is the SKU. */
function linesFor(original: ExportInventoryList | ExportOrder, sku: string): { gnum: number; qty: Decimal }[] {
  const want = skuKey(sku);
  return original.lines.filter((l) => (l.itemNo !== undefined && skuKey(l.itemNo) === want) || (l.barCode !== undefined && skuKey(l.barCode) === want));
}

/**
 * Match a parcel returned to the overseas warehouse with the export that sent it.
 * @param original the export list (CEB603) of the return's orderNo, else its export order (CEB303); undefined if neither
 * @param alreadyReturned how many of this SKU other returns against the same orderNo already brought back
 */
export function matchExportReturn(ret: ExportReturn, original: ExportInventoryList | ExportOrder | undefined, alreadyReturned: number): ReturnMatch {
  if (ret.orderNo === undefined) return result([{ rule: 'export.no_order', field: 'orderNo', message: 'the return names no order: it cannot be traced to an export' }]);
  if (!original) return result([{ rule: 'export.unknown', field: 'orderNo', actual: ret.orderNo, message: `no export list or order ${ret.orderNo} is known to the hub` }]);
  if (ret.sku === undefined) return result([{ rule: 'export.no_sku', field: 'sku', message: 'the return names no SKU' }]);
  const lines = linesFor(original, ret.sku);
  if (lines.length === 0) {
    return result([{ rule: 'export.sku_not_exported', field: 'sku', actual: ret.sku, message: `${ret.sku} is not an itemNo or barCode of export ${ret.orderNo}` }]);
  }
  // The return's and earlier returns' counts come from the warehouse station (numbers); the export's are declared.
  const exported = dec.sum(lines.map((l) => l.qty));
  const before = dec.decimalFromNumber(alreadyReturned);
  const left = atLeastZero(dec.sub(exported, before));
  if (dec.gt(dec.decimalFromNumber(ret.qty), left)) {
    return result([
      {
        rule: 'export.qty',
        field: 'qty',
        expected: left,
        actual: ret.qty,
        message: `returns ${ret.qty} of ${ret.sku}: ${exported} were exported and ${before} already returned, so at most ${left}`,
      },
    ]);
  }
  return result([]);
}

/**
 * What approved returns took back from a list, in CNY (issue 16 item 7: the buyer's annual total counts released lists
 * less approved returns): each returned line's share of its original line's total price (qty returned ÷ qty
 * declared, at most the whole line). Freight and insurance stay counted: customs refunds goods, not carriage.
 */
export function returnedValueCny(original: Pick<InventoryList, 'lines'>, approved: readonly Pick<ReturnRequest, 'lines'>[]): number {
  const byGnum = new Map(original.lines.map((l) => [l.gnum, l]));
  const returned = new Map<number, dec.Decimal>();
  for (const r of approved) for (const l of r.lines) returned.set(l.gnum, dec.add(returned.get(l.gnum) ?? '0', String(l.qty)));
  let cents = 0;
  for (const [gnum, q] of returned) {
    const line = byGnum.get(gnum);
    if (!line || !dec.gt(String(line.qty), '0')) continue;
    // The share is a ratio: a double is fine for it; the line price is exact.
    cents += Math.round(Number(line.totalPrice) * 100 * Math.min(1, Number(q) / Number(line.qty)));
  }
  return cents / 100;
}
