import { available, itemKey, type BookItem } from './ledger.ts';
import { deductionRefusal, listNo } from './lists.ts';
import type { BondList, BondSlip } from './model.ts';
import { isQtyText, parseQty, ZERO, type Qty } from './qty.ts';
import type { Inv201, Inv211, Sas221 } from './receipts.ts';
import { formatPassportNo24 } from './slips.ts';
import type { z } from 'zod';

/**
 * A simulated customs SAS (for `bondgate sim eport`, issue 18, and the property tests): pure rules that approve or
 * return lists and slips and record deductions, the way the public integrations describe customs answering. Not the
 * real rules — enough to drive the hub's state machines both ways.
 */
export interface SimCounter {
  /** Next serials; the caller keeps them. */
  invt: number;
  passport: number;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** 18 characters: QD + district + yy + I/E + a 9-digit serial (the number customs gives an approved list). */
export function formatBondInvtNo(district: string, yy: string, io: 'I' | 'E', serial: number): string {
  return `QD${district}${yy}${io}${pad(serial, 9)}`;
}

/** Decimal weight texts of a slip, as the book keeps them or as they come off the wire (null / absent: none). */
export interface SlipWeights {
  totalWt: string;
  vehicleWt: string;
  vehicleFrameWt: string | null;
  containerWt: string | null;
  totalGrossWt: string;
  totalNetWt: string;
}

/**
 * The simulated SAS's weight rules for a slip, one place for both simulators (the pure one over BondSlip, the one over
 * files in sim-wire.ts): the total is vehicle + frame + container + gross, and net is not above gross.
 */
export function weightProblems(w: SlipWeights): string[] {
  const q = (x: string | null) => (x === null || !isQtyText(x) ? ZERO : parseQty(x));
  const problems: string[] = [];
  if (q(w.totalWt) !== q(w.vehicleWt) + q(w.vehicleFrameWt) + q(w.containerWt) + q(w.totalGrossWt)) problems.push('totalWt is not vehicle + frame + container + gross');
  if (q(w.totalNetWt) > q(w.totalGrossWt)) problems.push('net above gross');
  return problems;
}

/** INV101 → INV201: approved (with pre-deduction for exits) when every item is on the book and exits fit what is available. */
export function decideInv101(l: BondList, book: ReadonlyMap<string, BookItem>, c: SimCounter, district: string, yy: string, receiptId: string): z.input<typeof Inv201> {
  const problems: string[] = [];
  for (const x of l.lines) {
    const item = book.get(itemKey(l.emsNo, x.gdsSeqno));
    if (!item) problems.push(`item ${x.gdsSeqno} not on book ${l.emsNo}`);
    else if (item.gdecd !== x.gdecd) problems.push(`item ${x.gdsSeqno}: HS ${x.gdecd} filed as ${item.gdecd}`);
    else if (l.impexpMarkcd === 'E' && available(item) < parseQty(x.dclQty)) problems.push(`item ${x.gdsSeqno}: exit beyond available`);
  }
  if (problems.length) return { type: 'INV201', receiptId, etpsInnerInvtNo: l.etpsInnerInvtNo, invtStucd: '2', reason: problems.join('; ').slice(0, 500) };
  const bondInvtNo = l.bondInvtNo ?? formatBondInvtNo(district, yy, l.impexpMarkcd, ++c.invt);
  return { type: 'INV201', receiptId, etpsInnerInvtNo: l.etpsInnerInvtNo, bondInvtNo, invtStucd: '0', vrfdedMarkcd: l.impexpMarkcd === 'E' ? '1' : '0', entryStucd: l.dclcusFlag === '1' ? '1' : '0' };
}

/** INV211 once the list may be deducted (declaration released, all goods through the gate); null before. */
export function recordInv211(l: BondList, receiptId: string): z.input<typeof Inv211> | null {
  if (deductionRefusal(l) !== null || l.bondInvtNo === null || (l.vrfdedMarkcd !== '0' && l.vrfdedMarkcd !== '1')) return null;
  return {
    type: 'INV211',
    receiptId,
    etpsInnerInvtNo: l.etpsInnerInvtNo,
    bondInvtNo: l.bondInvtNo,
    vrfdedMarkcd: '2',
    lines: l.lines.map((x) => (l.impexpMarkcd === 'I' ? { gdsSeqno: x.gdsSeqno, actlIncQty: x.dclQty } : { gdsSeqno: x.gdsSeqno, actlRedcQty: x.dclQty })),
  };
}

/**
 * SAS121 → SAS221: approved with a 24-character number when the linked lists are approved, in the slip's direction,
 * not over-used by other slips, and the weights add up (total = vehicle + frame + container + gross, net ≤ gross).
 */
export function decideSas121(s: BondSlip, lists: ReadonlyMap<string, BondList>, usedElsewhere: ReadonlyMap<string, Qty>, c: SimCounter, yymmdd: string, receiptId: string): z.input<typeof Sas221> {
  const problems = weightProblems(s);
  if (s.passportTypecd === '6' && s.lines.length) problems.push('empty vehicle with goods');
  for (const line of s.lines) {
    const l = lists.get(line.listNo);
    if (!l || l.listStat !== 'approved') problems.push(`list ${line.listNo} not approved`);
    else if (l.impexpMarkcd !== s.ioTypecd) problems.push(`list ${line.listNo} goes the other way`);
    else {
      const filed = l.lines.find((x) => x.gdsSeqno === line.rltGdsSeqno);
      const used = usedElsewhere.get(`${listNo(l)}#${line.rltGdsSeqno}`) ?? ZERO;
      if (!filed || used + parseQty(line.dclQty) > parseQty(filed.dclQty)) problems.push(`list ${line.listNo} line ${line.rltGdsSeqno} over-used`);
    }
  }
  if (problems.length) return { type: 'SAS221', receiptId, etpsPreentNo: s.etpsPreentNo, manageResult: '2', reason: problems.join('; ').slice(0, 500) };
  return { type: 'SAS221', receiptId, etpsPreentNo: s.etpsPreentNo, manageResult: '1', passportNo: s.passportNo ?? formatPassportNo24(s.masterCuscd, s.ioTypecd, yymmdd, ++c.passport) };
}
