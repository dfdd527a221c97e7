import { z } from 'zod';
import { isValidGs1Key } from '../../shared/identifiers/gs1.ts';

/**
 * Traceability (质量追溯), the pure part: what a GTIN is, and which lots an order's declared goods came from.
 * The repository (hub/repos/trace.ts) keeps the sources and the link rows; this decides the links. No I/O.
 */

/**
 * A list line's barCode as a GTIN-14, or null when it is no GTIN. CEB barCode is free text (≤ 50): platforms put
 * EAN-13, UPC-A, EAN-8 or GTIN-14 there, sometimes with spaces, sometimes an internal code. Only a GS1 key with a
 * valid check digit is linked: an internal code would link unrelated products that happen to share it.
 */
export function gtin14(code: string): string | null {
  const digits = code.replace(/[\s-]/g, '');
  if (!/^(\d{8}|\d{12,14})$/.test(digits) || !isValidGs1Key(digits)) return null;
  return digits.padStart(14, '0');
}

/** A GTIN in a request: 8, 12, 13 or 14 digits with its GS1 check digit, normalised to 14. */
export const Gtin = z
  .string()
  .regex(/^(\d{8}|\d{12,14})$/, 'a GTIN: 8, 12, 13 or 14 digits')
  .refine((s) => isValidGs1Key(s), 'the GS1 check digit does not match')
  .transform((s) => s.padStart(14, '0'));

/** GS1 AI (10) batch/lot, as the edge event carries it. */
export const Lot = z.string().regex(/^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/, 'a GS1 (10) batch/lot: 1–20 characters of set 82');

/** What the order's inventory list declared for one GTIN (lines with the same GTIN summed). */
export interface DeclaredLine {
  gtin: string;
  qty: number;
}

/** One warehouse transaction of an order that named a lot (its latest amendment). */
export interface PickedLot {
  gtin: string;
  lot: string;
  op: 'pick' | 'pack';
  outcome: string;
  qty: number;
}

/** One product link of an order: `lot` null while no scan has told which lot the declared goods came from. */
export interface LotLink {
  gtin: string;
  lot: string | null;
  qty: number;
  /** 'pick': the lot was scanned for this order; 'list': declared on the inventory list, lot not known. */
  source: 'pick' | 'list';
}

/**
 * Outcomes whose goods went into the order. not_in_order and over_quantity were scanned but the station told the
 * picker they do not belong (put back); rejected has no goods.
 */
const INTO_ORDER: ReadonlySet<string> = new Set(['ok', 'weight_off', 'wrong_location']);

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;

/**
 * Split an order's declared goods by lot. Per GTIN: every lot scanned into the order is a link with the quantity
 * scanned (a station that records both pick and pack for the same units counts them once: the larger of the two),
 * and what the list declared beyond the scanned total stays a lot-unknown link. A lot picked for a GTIN the list did
 * not declare (no barCode on the line, or the documents are not in yet) is still a link: a recall would rather see
 * one parcel too many than miss one.
 */
export function lotLinks(declared: readonly DeclaredLine[], picked: readonly PickedLot[]): LotLink[] {
  const declaredQty = new Map<string, number>();
  for (const d of declared) declaredQty.set(d.gtin, round5((declaredQty.get(d.gtin) ?? 0) + d.qty));
  // gtin → lot → op → qty
  const byLot = new Map<string, Map<string, { pick: number; pack: number }>>();
  for (const p of picked) {
    if (!INTO_ORDER.has(p.outcome) || p.qty <= 0) continue;
    const lots = byLot.get(p.gtin) ?? new Map<string, { pick: number; pack: number }>();
    byLot.set(p.gtin, lots);
    const q = lots.get(p.lot) ?? { pick: 0, pack: 0 };
    q[p.op] += p.qty;
    lots.set(p.lot, q);
  }
  const gtins = [...new Set([...declaredQty.keys(), ...byLot.keys()])].sort();
  const links: LotLink[] = [];
  for (const gtin of gtins) {
    let scanned = 0;
    for (const [lot, q] of [...(byLot.get(gtin) ?? new Map<string, { pick: number; pack: number }>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const qty = Math.max(q.pick, q.pack);
      scanned += qty;
      links.push({ gtin, lot, qty, source: 'pick' });
    }
    const rest = round5((declaredQty.get(gtin) ?? 0) - scanned);
    if (rest > 0) links.push({ gtin, lot: null, qty: rest, source: 'list' });
  }
  return links;
}

/** Buyer names are masked like ID numbers: the first character kept (the family name), the rest starred. */
export { maskName } from '../../shared/mask.ts';
