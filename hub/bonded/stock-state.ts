import { balance, itemKey, type BookItem } from './ledger.ts';
import { listNo } from './lists.ts';
import type { BondList, BondSlip } from './model.ts';
import { parseQty, ZERO, type Qty } from './qty.ts';
import { slipBinds } from './slips.ts';

/**
 * Stock states a zone dashboard shows (customs.md §4: 非保税 / 保税 / 核注申请中 / 核放申请中 / 已核销), per book item,
 * derived from the book, the lists and the slips — never from where goods sit in the warehouse. Pure.
 *
 * - written_off (已核销): exit lists deducted or written off (flag 2/3): out of the book.
 * - slip_applied (核放申请中): goods of exit lists not yet deducted that ride a slip still in play (draft…passed).
 * - list_applied (核注申请中): the rest of exit lists declared or approved but not deducted, plus entries declared and
 *   not yet recorded (goods inside, not yet on the book).
 * - bonded (保税): the balance less what is already on its way out (list or slip applied).
 * - non_bonded (非保税): goods counted at the desks for SKUs the book does not hold (reconcile.ts supplies those).
 */
export type BondStockState = 'non_bonded' | 'bonded' | 'list_applied' | 'slip_applied' | 'written_off';

export interface ItemStates {
  emsNo: string;
  gdsSeqno: number;
  qty: Record<Exclude<BondStockState, 'non_bonded'>, Qty>;
}

const LIVE: ReadonlySet<BondList['listStat']> = new Set(['declared', 'approved']);

export function itemStates(items: readonly BookItem[], lists: readonly BondList[], slips: readonly BondSlip[]): ItemStates[] {
  const onSlip = new Map<string, Qty>();
  for (const s of slips) if (slipBinds(s) && s.stucd !== 'draft') for (const l of s.lines) onSlip.set(`${l.listNo}#${l.rltGdsSeqno}`, (onSlip.get(`${l.listNo}#${l.rltGdsSeqno}`) ?? ZERO) + parseQty(l.dclQty));
  const out = new Map<string, ItemStates>(items.map((i) => [itemKey(i.emsNo, i.gdsSeqno), { emsNo: i.emsNo, gdsSeqno: i.gdsSeqno, qty: { bonded: balance(i), list_applied: ZERO, slip_applied: ZERO, written_off: ZERO } }]));
  for (const l of lists) {
    for (const line of l.lines) {
      const st = out.get(itemKey(l.emsNo, line.gdsSeqno));
      if (!st) continue;
      const q = parseQty(line.dclQty);
      if (l.impexpMarkcd === 'E') {
        if (l.vrfdedMarkcd === '2' || l.vrfdedMarkcd === '3') st.qty.written_off += q;
        else if (LIVE.has(l.listStat)) {
          const slipped = onSlip.get(`${listNo(l)}#${line.gdsSeqno}`) ?? ZERO;
          const s = slipped < q ? slipped : q;
          st.qty.slip_applied += s;
          st.qty.list_applied += q - s;
          st.qty.bonded -= q;
        }
      } else if (LIVE.has(l.listStat) && l.vrfdedMarkcd !== '2' && l.vrfdedMarkcd !== '3') st.qty.list_applied += q;
    }
  }
  return [...out.values()];
}
