import type { LedgerMove } from './ledger.ts';
import { IMPEXP_OF, type BondList, type ListKind, type ListLine } from './model.ts';
import { formatQty, parseQty, qtyOf, ZERO, type Qty } from './qty.ts';
import type { ListReceipt } from './receipts.ts';

/**
 * Entry/exit lists (核注清单, INV101), pure: made by the hub from what happened on the floor, moved on only by customs'
 * receipts. The write-off flag goes 0 → 1 (INV201, pre-deducted) → 2 (INV211, deducted) → 3 (INV211, written off).
 * A list is deducted only when its declaration is released and all its goods have passed the gate (eport.md §3,
 * INV101 entryStucd): an INV211 that comes before both is refused and moves nothing.
 */

/** A book item as the list makers see it: which 备案序号 a SKU (料号) is filed under. */
export interface ItemRef {
  emsNo: string;
  gdsSeqno: number;
  gdsMtno: string;
  gdecd: string;
  gdsNm: string;
  dclUnitcd: string;
}

/** A counted line: SKU and pieces (tally, released order line, return). */
export interface CountedLine {
  sku: string;
  qty: number;
}

export type MakeProblem = { sku: string; problem: 'not_on_book' } | { problem: 'empty' };

export interface MakeListInput {
  etpsInnerInvtNo: string;
  emsNo: string;
  kind: ListKind;
  lines: readonly CountedLine[];
  sources: readonly string[];
  nowMs: number;
  /** 监管方式 per kind: configuration (1210 bonded e-commerce by default). */
  supvModecd?: string;
  transferScope?: 'intra' | 'inter';
  rltPutrecNo?: string;
  periodFromMs?: number;
  periodToMs?: number;
}

/**
 * Sum counted lines by book item. First-line entry and returns are declared (报关, released by customs later); a
 * second-line exit consolidates 1210 lists customs already released (800), so it is 非报关 and released at once;
 * transfers are 非报关 too (区内/区间流转 ride on the other book's list).
 */
export function makeList(inp: MakeListInput, catalog: ReadonlyMap<string, ItemRef>): { ok: true; list: BondList } | { ok: false; problems: MakeProblem[] } {
  const problems: MakeProblem[] = [];
  const bySeq = new Map<number, { ref: ItemRef; qty: Qty }>();
  for (const l of inp.lines) {
    const ref = catalog.get(l.sku);
    if (!ref || ref.emsNo !== inp.emsNo) {
      problems.push({ sku: l.sku, problem: 'not_on_book' });
      continue;
    }
    const cur = bySeq.get(ref.gdsSeqno) ?? { ref, qty: ZERO };
    cur.qty += qtyOf(l.qty);
    bySeq.set(ref.gdsSeqno, cur);
  }
  const lines: ListLine[] = [...bySeq.values()]
    .filter((x) => x.qty > ZERO)
    .sort((a, b) => a.ref.gdsSeqno - b.ref.gdsSeqno)
    .map(({ ref, qty }) => ({ gdsSeqno: ref.gdsSeqno, gdsMtno: ref.gdsMtno, gdecd: ref.gdecd, gdsNm: ref.gdsNm, dclUnitcd: ref.dclUnitcd, dclQty: formatQty(qty) }));
  if (lines.length === 0 && problems.length === 0) problems.push({ problem: 'empty' });
  if (problems.length) return { ok: false, problems };
  const declared = inp.kind === 'first_line_in' || inp.kind === 'return_in';
  return {
    ok: true,
    list: {
      etpsInnerInvtNo: inp.etpsInnerInvtNo,
      bondInvtNo: null,
      seqNo: null,
      emsNo: inp.emsNo,
      kind: inp.kind,
      transferScope: inp.transferScope ?? null,
      rltPutrecNo: inp.rltPutrecNo ?? null,
      rltInvtNo: null,
      impexpMarkcd: IMPEXP_OF[inp.kind],
      supvModecd: inp.supvModecd ?? '1210',
      dclcusFlag: declared ? '1' : '2',
      listStat: 'draft',
      vrfdedMarkcd: '0',
      entryReleased: !declared,
      entrySeqNo: null,
      lines,
      // Goods counted at the tally or the returns desk are inside already: the gate passage was the truck's, before.
      passedQty: inp.kind === 'first_line_in' || inp.kind === 'return_in' || inp.kind === 'transfer_in' ? Object.fromEntries(lines.map((l) => [String(l.gdsSeqno), l.dclQty])) : {},
      sources: [...inp.sources],
      periodFromMs: inp.periodFromMs ?? null,
      periodToMs: inp.periodToMs ?? null,
      rejectReason: null,
      createdMs: inp.nowMs,
      updatedMs: inp.nowMs,
    },
  };
}

/** A released 1210 inventory list (800) waiting for the second-line exit list. */
export interface ReleasedOrder {
  orderNo: string;
  releasedMs: number;
  lines: readonly CountedLine[];
}

/** Released orders in [fromMs, toMs) consolidated by item into one second-line exit list. */
export function consolidateExit(etpsInnerInvtNo: string, emsNo: string, released: readonly ReleasedOrder[], period: { fromMs: number; toMs: number }, catalog: ReadonlyMap<string, ItemRef>, nowMs: number) {
  const inPeriod = released.filter((r) => r.releasedMs >= period.fromMs && r.releasedMs < period.toMs);
  return makeList({ etpsInnerInvtNo, emsNo, kind: 'second_line_out', lines: inPeriod.flatMap((r) => r.lines), sources: inPeriod.map((r) => r.orderNo), nowMs, periodFromMs: period.fromMs, periodToMs: period.toMs }, catalog);
}

/** The number the book and the slips know a list by. */
export const listNo = (l: Pick<BondList, 'bondInvtNo' | 'etpsInnerInvtNo'>) => l.bondInvtNo ?? l.etpsInnerInvtNo;

/** Every line's goods have passed the gate. */
export function fullyPassed(l: BondList): boolean {
  return l.lines.every((x) => parseQty(l.passedQty[String(x.gdsSeqno)] ?? '0') >= parseQty(x.dclQty));
}

/** Why the list may not be deducted yet (null: it may). */
export function deductionRefusal(l: BondList): 'not_approved' | 'not_released' | 'not_passed' | null {
  if (l.listStat !== 'approved') return 'not_approved';
  if (!l.entryReleased) return 'not_released';
  if (!fullyPassed(l)) return 'not_passed';
  return null;
}

/** Count goods of a passed slip line against the list (capped at nothing: over-passage is a reconciliation difference). */
export function withPassage(l: BondList, gdsSeqno: number, qty: Qty, nowMs: number): BondList {
  const k = String(gdsSeqno);
  return { ...l, passedQty: { ...l.passedQty, [k]: formatQty(parseQty(l.passedQty[k] ?? '0') + qty) }, updatedMs: nowMs };
}

export type ListReceiptResult =
  | { ok: true; list: BondList; moves: LedgerMove[] }
  | { ok: false; code: 'wrong_state' | 'not_approved' | 'not_released' | 'not_passed' | 'line_mismatch'; detail: string };

const preMoves = (l: BondList, release: boolean, receipt: { receiptId: string; type: 'INV201' | 'INV211' }, atMs: number): LedgerMove[] =>
  l.lines.map((x) => ({
    emsNo: l.emsNo,
    gdsSeqno: x.gdsSeqno,
    kind: l.impexpMarkcd === 'I' ? (release ? 'prevd_inc_release' : 'prevd_inc') : release ? 'prevd_redc_release' : 'prevd_redc',
    qty: parseQty(x.dclQty),
    listNo: listNo(l),
    receiptId: receipt.receiptId,
    receiptType: receipt.type,
    atMs,
  }));

/**
 * Apply one receipt to a list: the list after it and the ledger moves it makes (applied by ledger.ts, all or none).
 * Nothing else writes the book.
 */
export function applyListReceipt(l: BondList, r: ListReceipt, atMs: number): ListReceiptResult {
  const base = { ...l, updatedMs: atMs };
  switch (r.type) {
    case 'INV201': {
      if (l.listStat !== 'declared' && !(l.listStat === 'approved' && r.invtStucd === '0')) return { ok: false, code: 'wrong_state', detail: `INV201 for a ${l.listStat} list` };
      const entryReleased = l.entryReleased || r.entryStucd === '1';
      if (r.invtStucd === '1') return { ok: true, list: { ...base, entryReleased, ...(r.seqNo ? { seqNo: r.seqNo } : {}) }, moves: [] };
      if (r.invtStucd === '2' || r.invtStucd === '3') {
        // A returned or deleted list frees whatever it had pre-deducted.
        const moves = l.vrfdedMarkcd === '1' ? preMoves(l, true, r, atMs) : [];
        return { ok: true, list: { ...base, listStat: r.invtStucd === '2' ? 'rejected' : 'deleted', vrfdedMarkcd: '0', rejectReason: r.reason ?? null }, moves };
      }
      const approved: BondList = { ...base, listStat: 'approved', entryReleased, bondInvtNo: r.bondInvtNo ?? l.bondInvtNo, seqNo: r.seqNo ?? l.seqNo };
      if (r.vrfdedMarkcd === '1' && l.vrfdedMarkcd === '0') return { ok: true, list: { ...approved, vrfdedMarkcd: '1' }, moves: preMoves(approved, false, r, atMs) };
      return { ok: true, list: approved, moves: [] };
    }
    case 'INV202':
      return { ok: true, list: { ...base, entrySeqNo: r.manageResult === '1' ? (r.entrySeqNo ?? l.entrySeqNo) : l.entrySeqNo }, moves: [] };
    case 'INV211': {
      const withRelease: BondList = { ...base, entryReleased: l.entryReleased || r.entryStucd === '1', bondInvtNo: l.bondInvtNo ?? r.bondInvtNo };
      if (r.vrfdedMarkcd === '3') {
        if (l.vrfdedMarkcd !== '2') return { ok: false, code: 'wrong_state', detail: `written off before deducted (flag ${l.vrfdedMarkcd})` };
        return { ok: true, list: { ...withRelease, vrfdedMarkcd: '3' }, moves: [] };
      }
      if (l.vrfdedMarkcd === '2' || l.vrfdedMarkcd === '3') return { ok: false, code: 'wrong_state', detail: `deducted already (flag ${l.vrfdedMarkcd})` };
      const refusal = deductionRefusal(withRelease);
      if (refusal) return { ok: false, code: refusal, detail: `INV211 deduction refused: ${refusal}` };
      // The receipt's quantities are customs' record; each must match the list's line (a difference is not ours to guess).
      const byLine = new Map(r.lines.map((x) => [x.gdsSeqno, x]));
      const moves: LedgerMove[] = l.vrfdedMarkcd === '1' ? preMoves(withRelease, true, r, atMs) : [];
      for (const x of l.lines) {
        const got = byLine.get(x.gdsSeqno);
        const want = parseQty(x.dclQty);
        const qty = got ? parseQty(l.impexpMarkcd === 'I' ? got.actlIncQty : got.actlRedcQty) : undefined;
        if (qty !== want) return { ok: false, code: 'line_mismatch', detail: `line ${x.gdsSeqno}: list ${x.dclQty}, receipt ${qty === undefined ? 'none' : formatQty(qty)}` };
        moves.push({ emsNo: l.emsNo, gdsSeqno: x.gdsSeqno, kind: l.impexpMarkcd === 'I' ? 'actl_inc' : 'actl_redc', qty, listNo: listNo(withRelease), receiptId: r.receiptId, receiptType: 'INV211', atMs });
      }
      return { ok: true, list: { ...withRelease, vrfdedMarkcd: '2' }, moves };
    }
  }
}

/** The hub sends the list (申报): draft or returned → declared. */
export function declareRefusal(l: BondList): string | null {
  return l.listStat === 'draft' || l.listStat === 'rejected' ? null : `a ${l.listStat} list is not sent again`;
}
