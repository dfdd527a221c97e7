import { balance, itemKey, type BookItem } from './ledger.ts';
import { listNo } from './lists.ts';
import type { BondList, BondSlip, ListKind } from './model.ts';
import { parseQty, qtyOf, ZERO, type Qty } from './qty.ts';
import { slipBinds } from './slips.ts';

/**
 * Stock states a zone dashboard shows (customs.md §4: 非保税 / 保税 / 核注申请中 / 核放申请中 / 已核销), per book item,
 * derived from the book, the lists and the slips — never from where goods sit in the warehouse. Pure. This is the
 * only place the hub decides a stock state (the stock page and the 金二 page both read it).
 *
 * - written_off (已核销): exit lists deducted or written off (flag 2/3): out of the book.
 * - slip_applied (核放申请中): goods of exit lists not yet deducted that ride a slip still in play (applied…passed).
 * - list_applied (核注申请中): the rest of exit lists declared or approved but not deducted, plus entries declared and
 *   not yet recorded (goods inside, not yet on the book).
 * - bonded (保税): the balance less what is already on its way out (list or slip applied).
 * - non_bonded (非保税): goods counted at the desks that the book does not hold — an SKU with no book item, or stock in
 *   an overseas warehouse (`nonBondedStock`).
 */
export type BondStockState = 'non_bonded' | 'bonded' | 'list_applied' | 'slip_applied' | 'written_off';
export const BOND_STOCK_STATES: readonly BondStockState[] = ['non_bonded', 'bonded', 'list_applied', 'slip_applied', 'written_off'];

/** A list whose goods are in a state, with the slips carrying them: what a person checks a state against. */
export interface StateDocument {
  state: 'list_applied' | 'slip_applied' | 'written_off';
  listNo: string;
  kind: ListKind;
  qty: Qty;
  /** The slips (passportNo once approved, else the hub's etpsPreentNo) that carry these goods. */
  slips: string[];
}

export interface ItemStates {
  emsNo: string;
  gdsSeqno: number;
  qty: Record<Exclude<BondStockState, 'non_bonded'>, Qty>;
  documents: StateDocument[];
}

const LIVE: ReadonlySet<BondList['listStat']> = new Set(['declared', 'approved']);

export function itemStates(items: readonly BookItem[], lists: readonly BondList[], slips: readonly BondSlip[]): ItemStates[] {
  const onSlip = new Map<string, { qty: Qty; slips: string[] }>();
  for (const s of slips) {
    if (!slipBinds(s) || s.stucd === 'draft') continue;
    for (const l of s.lines) {
      const k = `${l.listNo}#${l.rltGdsSeqno}`;
      const cur = onSlip.get(k) ?? { qty: ZERO, slips: [] };
      onSlip.set(k, { qty: cur.qty + parseQty(l.dclQty), slips: [...cur.slips, s.passportNo ?? s.etpsPreentNo] });
    }
  }
  const out = new Map<string, ItemStates>(items.map((i) => [itemKey(i.emsNo, i.gdsSeqno), { emsNo: i.emsNo, gdsSeqno: i.gdsSeqno, qty: { bonded: balance(i), list_applied: ZERO, slip_applied: ZERO, written_off: ZERO }, documents: [] }]));
  for (const l of lists) {
    const no = listNo(l);
    for (const line of l.lines) {
      const st = out.get(itemKey(l.emsNo, line.gdsSeqno));
      if (!st) continue;
      const q = parseQty(line.dclQty);
      const doc = (state: StateDocument['state'], qty: Qty, slips: string[] = []) => {
        st.qty[state] += qty;
        if (qty > ZERO) st.documents.push({ state, listNo: no, kind: l.kind, qty, slips });
      };
      const closed = l.vrfdedMarkcd === '2' || l.vrfdedMarkcd === '3';
      if (l.impexpMarkcd === 'E') {
        if (closed) doc('written_off', q);
        else if (LIVE.has(l.listStat)) {
          const slipped = onSlip.get(`${no}#${line.gdsSeqno}`);
          const s = slipped === undefined ? ZERO : slipped.qty < q ? slipped.qty : q;
          doc('slip_applied', s, slipped?.slips ?? []);
          doc('list_applied', q - s);
          st.qty.bonded -= q;
        }
      } else if (LIVE.has(l.listStat) && !closed) doc('list_applied', q);
    }
  }
  return [...out.values()];
}

/** Stock counted at the desks, per SKU and warehouse. */
export interface CountedStock {
  sku: string;
  warehouse: 'bonded' | 'overseas';
  qty: number;
}

/** Counted stock the book does not hold: overseas stock (out of bond), and SKUs that are no book item's 料号. */
export function nonBondedStock(items: readonly Pick<BookItem, 'gdsMtno'>[], counted: readonly CountedStock[]): CountedStock[] {
  const onBook = new Set(items.map((i) => i.gdsMtno));
  return counted.filter((c) => c.qty > 0 && (c.warehouse === 'overseas' || !onBook.has(c.sku)));
}

/** Quantity per state over the items and the non-bonded stock. */
export function stateTotals(states: readonly ItemStates[], nonBonded: readonly CountedStock[]): Record<BondStockState, Qty> {
  const t: Record<BondStockState, Qty> = { non_bonded: ZERO, bonded: ZERO, list_applied: ZERO, slip_applied: ZERO, written_off: ZERO };
  for (const s of states) for (const k of ['bonded', 'list_applied', 'slip_applied', 'written_off'] as const) t[k] += s.qty[k];
  for (const n of nonBonded) t.non_bonded += qtyOf(n.qty);
  return t;
}
