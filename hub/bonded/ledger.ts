import type { BookItemFiling } from './model.ts';
import { parseQty, ZERO, type Qty } from './qty.ts';

/**
 * The account book (账册) as a ledger. Pure: an item's figures move only by `LedgerMove`s, and moves are made only from
 * customs receipts of lists (lists.ts `applyListReceipt`), never from what the hub sees on the floor. Every move names
 * its list and its receipt. A set of moves is applied whole or not at all, and is refused if any figure would go
 * negative or the balance would pass the storage limit.
 *
 * balance = opening + actual increase − actual decrease; available = balance − pre-decrease (what may still leave).
 */
export interface BookItem {
  emsNo: string;
  gdsSeqno: number;
  gdsMtno: string;
  gdecd: string;
  gdsNm: string;
  dclUnitcd: string;
  openingQty: Qty;
  actlIncQty: Qty;
  actlRedcQty: Qty;
  prevdIncQty: Qty;
  prevdRedcQty: Qty;
  storageLimitQty: Qty | null;
}

export type MoveKind = 'prevd_inc' | 'prevd_redc' | 'actl_inc' | 'actl_redc' | 'prevd_inc_release' | 'prevd_redc_release';

export interface LedgerMove {
  emsNo: string;
  gdsSeqno: number;
  kind: MoveKind;
  qty: Qty;
  /** bondInvtNo when customs gave one, else the hub's etpsInnerInvtNo. */
  listNo: string;
  receiptId: string;
  receiptType: 'INV201' | 'INV211';
  atMs: number;
}

export type LedgerProblem =
  | { gdsSeqno: number; problem: 'unknown_item' }
  | { gdsSeqno: number; problem: 'negative'; figure: 'balance' | 'available' | 'prevdIncQty' | 'prevdRedcQty' }
  | { gdsSeqno: number; problem: 'over_limit' };

export const itemKey = (emsNo: string, gdsSeqno: number) => `${emsNo}#${gdsSeqno}`;

export function newItem(f: BookItemFiling): BookItem {
  return { emsNo: f.emsNo, gdsSeqno: f.gdsSeqno, gdsMtno: f.gdsMtno, gdecd: f.gdecd, gdsNm: f.gdsNm, dclUnitcd: f.dclUnitcd, openingQty: parseQty(f.openingQty), actlIncQty: ZERO, actlRedcQty: ZERO, prevdIncQty: ZERO, prevdRedcQty: ZERO, storageLimitQty: f.storageLimitQty === null ? null : parseQty(f.storageLimitQty) };
}

export const balance = (i: BookItem): Qty => i.openingQty + i.actlIncQty - i.actlRedcQty;
export const available = (i: BookItem): Qty => balance(i) - i.prevdRedcQty;

function moved(i: BookItem, m: LedgerMove): BookItem {
  switch (m.kind) {
    case 'prevd_inc':
      return { ...i, prevdIncQty: i.prevdIncQty + m.qty };
    case 'prevd_redc':
      return { ...i, prevdRedcQty: i.prevdRedcQty + m.qty };
    case 'actl_inc':
      return { ...i, actlIncQty: i.actlIncQty + m.qty };
    case 'actl_redc':
      return { ...i, actlRedcQty: i.actlRedcQty + m.qty };
    case 'prevd_inc_release':
      return { ...i, prevdIncQty: i.prevdIncQty - m.qty };
    case 'prevd_redc_release':
      return { ...i, prevdRedcQty: i.prevdRedcQty - m.qty };
  }
}

function check(i: BookItem): LedgerProblem[] {
  const out: LedgerProblem[] = [];
  if (balance(i) < ZERO) out.push({ gdsSeqno: i.gdsSeqno, problem: 'negative', figure: 'balance' });
  if (available(i) < ZERO) out.push({ gdsSeqno: i.gdsSeqno, problem: 'negative', figure: 'available' });
  if (i.prevdIncQty < ZERO) out.push({ gdsSeqno: i.gdsSeqno, problem: 'negative', figure: 'prevdIncQty' });
  if (i.prevdRedcQty < ZERO) out.push({ gdsSeqno: i.gdsSeqno, problem: 'negative', figure: 'prevdRedcQty' });
  if (i.storageLimitQty !== null && balance(i) + i.prevdIncQty > i.storageLimitQty) out.push({ gdsSeqno: i.gdsSeqno, problem: 'over_limit' });
  return out;
}

/**
 * Apply moves in order, all or none. Only items that were valid before are held to the rules (an item already over a
 * limit that was lowered later may still decrease). Returns the changed items.
 */
export function applyMoves(items: ReadonlyMap<string, BookItem>, moves: readonly LedgerMove[]): { ok: true; changed: BookItem[] } | { ok: false; problems: LedgerProblem[] } {
  const next = new Map<string, BookItem>();
  const problems: LedgerProblem[] = [];
  for (const m of moves) {
    if (m.qty < ZERO) throw new RangeError('a move quantity is never negative: the kind says the direction');
    const k = itemKey(m.emsNo, m.gdsSeqno);
    const cur = next.get(k) ?? items.get(k);
    if (!cur) {
      problems.push({ gdsSeqno: m.gdsSeqno, problem: 'unknown_item' });
      continue;
    }
    next.set(k, moved(cur, m));
  }
  for (const [k, i] of next) {
    const before = items.get(k)!;
    const was = new Set(check(before).map((p) => JSON.stringify(p)));
    for (const p of check(i)) {
      // A figure already out of bounds (a limit lowered after filing) may stay so while it does not get worse.
      if (!was.has(JSON.stringify(p))) problems.push(p);
      else if (p.problem === 'over_limit' && balance(i) + i.prevdIncQty > balance(before) + before.prevdIncQty) problems.push(p);
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, changed: [...next.values()] };
}
