import { balance, itemKey, type BookItem } from './ledger.ts';
import type { BondList } from './model.ts';
import { parseQty, qtyOf, ZERO, type Qty } from './qty.ts';

/**
 * Daily reconciliation (对账): the book's balance per item against the bonded stock the warehouse desks count per SKU
 * (料号 = SKU). Pure. Documents in flight are accounted for, so a consistent zone shows no difference at any moment:
 * - goods counted in on an entry list customs has not recorded yet are on the shelf but not in the balance (+);
 * - goods of an exit list that passed the gate but are not deducted yet are in the balance but gone (−).
 * expected physical = balance + pending entries − passed, undeducted exits. Any other difference is an alarm.
 */
export interface PhysicalStock {
  sku: string;
  qty: number;
}

export interface ReconRow {
  emsNo: string;
  gdsSeqno: number;
  gdsMtno: string;
  balanceQty: Qty;
  pendingInQty: Qty;
  passedOutQty: Qty;
  expectedQty: Qty;
  physicalQty: Qty;
  /** physical − expected: positive, goods the book does not explain; negative, goods missing. */
  diffQty: Qty;
}

export interface Reconciliation {
  rows: ReconRow[];
  /** SKUs on the shelves with no book item: non-bonded, or a filing missing. */
  unknownSkus: PhysicalStock[];
  differences: number;
}

const open = (l: BondList) => (l.listStat === 'declared' || l.listStat === 'approved') && (l.vrfdedMarkcd === '0' || l.vrfdedMarkcd === '1');

export function reconcile(items: readonly BookItem[], lists: readonly BondList[], physical: readonly PhysicalStock[]): Reconciliation {
  const bySku = new Map<string, Qty>();
  for (const p of physical) bySku.set(p.sku, (bySku.get(p.sku) ?? ZERO) + qtyOf(p.qty));
  const pendingIn = new Map<string, Qty>();
  const passedOut = new Map<string, Qty>();
  for (const l of lists) {
    if (!open(l)) continue;
    for (const line of l.lines) {
      const k = itemKey(l.emsNo, line.gdsSeqno);
      if (l.impexpMarkcd === 'I') pendingIn.set(k, (pendingIn.get(k) ?? ZERO) + parseQty(line.dclQty));
      else passedOut.set(k, (passedOut.get(k) ?? ZERO) + parseQty(l.passedQty[String(line.gdsSeqno)] ?? '0'));
    }
  }
  const known = new Set<string>();
  const rows = items.map((i): ReconRow => {
    known.add(i.gdsMtno);
    const k = itemKey(i.emsNo, i.gdsSeqno);
    const inQ = pendingIn.get(k) ?? ZERO;
    const outQ = passedOut.get(k) ?? ZERO;
    const expectedQty = balance(i) + inQ - outQ;
    const physicalQty = bySku.get(i.gdsMtno) ?? ZERO;
    return { emsNo: i.emsNo, gdsSeqno: i.gdsSeqno, gdsMtno: i.gdsMtno, balanceQty: balance(i), pendingInQty: inQ, passedOutQty: outQ, expectedQty, physicalQty, diffQty: physicalQty - expectedQty };
  });
  const unknownSkus = physical.filter((p) => !known.has(p.sku) && p.qty !== 0);
  return { rows, unknownSkus, differences: rows.filter((r) => r.diffQty !== ZERO).length + unknownSkus.length };
}
