import { balance, type BookItem } from '../bonded/ledger.ts';
import { formatQty } from '../bonded/qty.ts';
import { itemStates, nonBondedStock, stateTotals, type BondStockState, type CountedStock, type StateDocument } from '../bonded/stock-state.ts';
import type { BondedRepo } from '../repos/bonded.ts';
import type { StockRepo } from '../repos/stock.ts';

export interface StockStateQuery {
  sku?: string;
  state?: BondStockState[];
}

export interface ItemStateRow {
  gdsSeqno: number;
  gdsMtno: string;
  gdsNm: string;
  dclUnitcd: string;
  balanceQty: string;
  /** Bonded stock the desks count for this 料号 now (all sites): beside the book's figures, not part of them. */
  countedQty: string;
  qty: Record<Exclude<BondStockState, 'non_bonded'>, string>;
  documents: (Omit<StateDocument, 'qty'> & { qty: string })[];
}

/**
 * `GET /api/stock/states`. Without an account book the hub says so (`book: null`) rather than guess a state from where
 * goods sit.
 */
export type StockStatesView =
  | { book: null }
  | { book: string; totals: Record<BondStockState, string>; items: ItemStateRow[]; nonBonded: CountedStock[] };

/**
 * Stock with its customs state, read from the bonded account book (hub/bonded/stock-state.ts decides; this gathers the
 * book, its lists and slips, and the desks' counts). Totals follow the SKU filter, not the state filter.
 */
export class StockStateService {
  constructor(private readonly d: { stock: Pick<StockRepo, 'totals'>; book?: { repo: Pick<BondedRepo, 'items' | 'lists' | 'slips'>; emsNo: string } }) {}

  async states(q: StockStateQuery): Promise<StockStatesView> {
    const book = this.d.book;
    if (!book) return { book: null };
    const [items, lists, slips, counted] = await Promise.all([
      book.repo.items(book.emsNo),
      book.repo.lists({ limit: 10_000, emsNo: book.emsNo }),
      book.repo.slips({ limit: 10_000, bindingOnly: true }),
      this.counted(q.sku),
    ]);
    const mine = q.sku === undefined ? items : items.filter((i) => i.gdsMtno === q.sku);
    const states = itemStates(mine, lists, slips);
    const nonBonded = nonBondedStock(items, counted);
    const countedBySku = new Map<string, number>();
    for (const c of counted) if (c.warehouse === 'bonded') countedBySku.set(c.sku, (countedBySku.get(c.sku) ?? 0) + c.qty);
    const byKey = new Map<number, BookItem>(mine.map((i) => [i.gdsSeqno, i]));
    const wanted = q.state?.length ? new Set(q.state) : undefined;
    const rows = states
      .map((s): ItemStateRow => {
        const i = byKey.get(s.gdsSeqno)!;
        return {
          gdsSeqno: i.gdsSeqno, gdsMtno: i.gdsMtno, gdsNm: i.gdsNm, dclUnitcd: i.dclUnitcd, balanceQty: formatQty(balance(i)), countedQty: String(countedBySku.get(i.gdsMtno) ?? 0),
          qty: { bonded: formatQty(s.qty.bonded), list_applied: formatQty(s.qty.list_applied), slip_applied: formatQty(s.qty.slip_applied), written_off: formatQty(s.qty.written_off) },
          documents: s.documents.map((d) => ({ ...d, qty: formatQty(d.qty) })),
        };
      })
      .filter((r, n) => !wanted || [...wanted].some((w) => w !== 'non_bonded' && states[n]!.qty[w] > 0n));
    const totals = stateTotals(states, nonBonded);
    return {
      book: book.emsNo,
      totals: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, formatQty(v)])) as Record<BondStockState, string>,
      items: rows,
      nonBonded: !wanted || wanted.has('non_bonded') ? nonBonded : [],
    };
  }

  private async counted(sku?: string): Promise<CountedStock[]> {
    const f = sku === undefined ? {} : { sku };
    const [bonded, overseas] = await Promise.all([this.d.stock.totals({ ...f, warehouse: 'bonded' }), this.d.stock.totals({ ...f, warehouse: 'overseas' })]);
    return [...bonded.map((t) => ({ sku: t.sku, warehouse: 'bonded' as const, qty: t.qty })), ...overseas.map((t) => ({ sku: t.sku, warehouse: 'overseas' as const, qty: t.qty }))];
  }
}
