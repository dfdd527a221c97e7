import { z } from 'zod';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { listNo } from './lists.ts';
import { BindTypecd, PassportTypecd, QtyText, RltTbTypecd, type BondList, type BondSlip, type SlipLine, type SlipStucd } from './model.ts';
import { formatQty, parseQty, ZERO, type Qty } from './qty.ts';
import type { SlipReceipt } from './receipts.ts';

/**
 * Release slips (核放单, SAS121), pure. The zone enterprise applies (申报: the hub prepares and sends), customs approves
 * (审批, SAS221) and gives the 24-character number; the gate reports passages (SAS223 confirms them); SAS224 deletes
 * or voids. Only an approved slip reaches the gates, and a slip passes once: single gate 1 → 2, double gate 1 → 3 → 4.
 */

/** What the enterprise asks for; the hub fills the goods from the lists. */
export const SlipPrepareRequest = z
  .object({
    ioTypecd: z.enum(['I', 'E']),
    passportTypecd: PassportTypecd,
    bindTypecd: BindTypecd.default('2'),
    rltTbTypecd: RltTbTypecd.nullable().default(null),
    rltNos: z.array(z.string().trim().min(1).max(64)).max(100).default([]),
    gateMode: z.enum(['single', 'double']).default('single'),
    vehicleNo: z.string().trim().min(1).max(32),
    vehicleIcNo: z.string().trim().min(1).max(64).nullable().default(null),
    vehicleWt: QtyText,
    vehicleFrameNo: z.string().trim().max(64).nullable().default(null),
    vehicleFrameWt: QtyText.nullable().default(null),
    containerNo: z.string().trim().max(32).nullable().default(null),
    containerWt: QtyText.nullable().default(null),
    containerType: z.string().trim().max(8).nullable().default(null),
    /** Per list line (listNo + gdsSeqno): quantity and weights on this vehicle; omitted: what is left of each linked list. */
    lines: z.array(z.object({ listNo: z.string().min(1).max(64), gdsSeqno: z.number().int().positive(), dclQty: QtyText, grossWt: QtyText, netWt: QtyText })).max(1000).optional(),
    goods: z.array(z.string().trim().min(1).max(64)).max(10_000).default([]),
    sealIds: z.array(z.string().trim().min(1).max(64)).max(8).default([]),
  })
  .superRefine((r, ctx) => {
    const empty = r.passportTypecd === '6';
    if (empty && (r.rltNos.length || r.lines?.length || r.goods.length)) ctx.addIssue({ code: 'custom', path: ['passportTypecd'], message: 'an empty-vehicle slip (6) carries no goods or linked documents' });
    if (!empty && r.passportTypecd !== '5' && r.passportTypecd !== '1' && r.rltNos.length === 0) ctx.addIssue({ code: 'custom', path: ['rltNos'], message: 'slip types 2–4 link at least one document' });
    if (r.rltNos.length && r.rltTbTypecd === null) ctx.addIssue({ code: 'custom', path: ['rltTbTypecd'], message: 'linked documents need their type (1 list, 2 in/out order, 3 bill)' });
    if (r.passportTypecd === '2' && r.ioTypecd !== 'I') ctx.addIssue({ code: 'custom', path: ['ioTypecd'], message: 'a first-line slip (2) enters the zone' });
    if (r.passportTypecd === '3' && r.ioTypecd !== 'E') ctx.addIssue({ code: 'custom', path: ['ioTypecd'], message: 'a second-line slip (3) leaves the zone' });
    if (r.bindTypecd === '2' && r.rltNos.length > 1) ctx.addIssue({ code: 'custom', path: ['bindTypecd'], message: 'bind type 2 (one to one) links one document' });
    if (r.containerWt !== null && r.containerNo === null) ctx.addIssue({ code: 'custom', path: ['containerWt'], message: 'a container weight without a container number' });
  });
export type SlipPrepareRequest = z.output<typeof SlipPrepareRequest>;

export type SlipPrepareProblem = { listNo: string; problem: 'no_list' | 'not_approved' | 'wrong_direction' | 'over_quantity' | 'no_line'; gdsSeqno?: number };

/** Quantity of each list line already on slips that still bind goods (not rejected, deleted or void). */
export type UsedOnSlips = ReadonlyMap<string, Qty>;
export const usedKey = (listNo: string, gdsSeqno: number) => `${listNo}#${gdsSeqno}`;
const BINDING: ReadonlySet<SlipStucd> = new Set(['draft', '0', '1', '2', '3', '4']);
export const slipBinds = (s: Pick<BondSlip, 'stucd'>) => BINDING.has(s.stucd);

export function usedOnSlips(slips: readonly BondSlip[]): Map<string, Qty> {
  const m = new Map<string, Qty>();
  for (const s of slips) if (slipBinds(s)) for (const l of s.lines) m.set(usedKey(l.listNo, l.rltGdsSeqno), (m.get(usedKey(l.listNo, l.rltGdsSeqno)) ?? ZERO) + parseQty(l.dclQty));
  return m;
}

/**
 * Prepare a slip (hub status `draft`): lines from linked approved lists in the slip's direction, never more than the
 * lists hold less what other slips carry; weights summed exactly; totalWt = vehicle + frame + container + gross.
 */
export function prepareSlip(
  req: SlipPrepareRequest,
  ctx: { etpsPreentNo: string; district: string; emsNo: string; lists: ReadonlyMap<string, BondList>; used: UsedOnSlips; preparedBy: string; nowMs: number },
): { ok: true; slip: BondSlip } | { ok: false; problems: SlipPrepareProblem[] } {
  const problems: SlipPrepareProblem[] = [];
  const lines: SlipLine[] = [];
  if (req.rltTbTypecd === '1') {
    for (const no of req.rltNos) {
      const l = ctx.lists.get(no);
      if (!l) problems.push({ listNo: no, problem: 'no_list' });
      else if (l.listStat !== 'approved') problems.push({ listNo: no, problem: 'not_approved' });
      else if (l.impexpMarkcd !== req.ioTypecd) problems.push({ listNo: no, problem: 'wrong_direction' });
    }
    const wanted = req.lines ?? req.rltNos.flatMap((no) => (ctx.lists.get(no)?.lines ?? []).map((x) => ({ listNo: no, gdsSeqno: x.gdsSeqno, dclQty: formatQty(parseQty(x.dclQty) - (ctx.used.get(usedKey(no, x.gdsSeqno)) ?? ZERO)), grossWt: '0', netWt: '0' })));
    for (const w of wanted) {
      const l = ctx.lists.get(w.listNo);
      const line = l?.lines.find((x) => x.gdsSeqno === w.gdsSeqno);
      if (!l || !req.rltNos.includes(w.listNo)) {
        problems.push({ listNo: w.listNo, problem: 'no_list' });
        continue;
      }
      if (!line) {
        problems.push({ listNo: w.listNo, problem: 'no_line', gdsSeqno: w.gdsSeqno });
        continue;
      }
      const q = parseQty(w.dclQty);
      if (q === ZERO) continue;
      if ((ctx.used.get(usedKey(w.listNo, w.gdsSeqno)) ?? ZERO) + q > parseQty(line.dclQty)) problems.push({ listNo: w.listNo, problem: 'over_quantity', gdsSeqno: w.gdsSeqno });
      lines.push({ passportSeqNo: lines.length + 1, listNo: listNo(l), rltGdsSeqno: w.gdsSeqno, gdsMtno: line.gdsMtno, gdecd: line.gdecd, gdsNm: line.gdsNm, dclUnitcd: line.dclUnitcd, dclQty: w.dclQty, grossWt: w.grossWt, netWt: w.netWt });
    }
  }
  if (problems.length) return { ok: false, problems };
  const gross = lines.reduce((s, l) => s + parseQty(l.grossWt), ZERO);
  const net = lines.reduce((s, l) => s + parseQty(l.netWt), ZERO);
  const opt = (x: string | null) => (x === null ? ZERO : parseQty(x));
  const total = parseQty(req.vehicleWt) + opt(req.vehicleFrameWt) + opt(req.containerWt) + gross;
  return {
    ok: true,
    slip: {
      etpsPreentNo: ctx.etpsPreentNo,
      seqNo: null,
      passportNo: null,
      legacyNo: null,
      stucd: 'draft',
      ioTypecd: req.ioTypecd,
      passportTypecd: req.passportTypecd,
      bindTypecd: req.bindTypecd,
      rltTbTypecd: req.rltTbTypecd,
      rltNos: req.rltNos,
      masterCuscd: ctx.district,
      areainOriactNo: ctx.emsNo,
      gateMode: req.gateMode,
      vehicleNo: req.vehicleNo,
      vehicleIcNo: req.vehicleIcNo,
      vehicleWt: req.vehicleWt,
      vehicleFrameNo: req.vehicleFrameNo,
      vehicleFrameWt: req.vehicleFrameWt,
      containerNo: req.containerNo,
      containerWt: req.containerWt,
      containerType: req.containerType,
      totalGrossWt: formatQty(gross),
      totalNetWt: formatQty(net),
      totalWt: formatQty(total),
      lines,
      goods: req.goods,
      sealIds: req.sealIds,
      passages: [],
      rejectReason: null,
      preparedBy: ctx.preparedBy,
      createdMs: ctx.nowMs,
      updatedMs: ctx.nowMs,
    },
  };
}

/** The hub sends the slip (申报): draft or returned → 0. */
export function applyRefusal(s: BondSlip): string | null {
  return s.stucd === 'draft' || s.stucd === 'rejected' ? null : `a slip in status ${s.stucd} is not sent again`;
}

export type SlipReceiptResult = { ok: true; slip: BondSlip } | { ok: false; code: 'wrong_state'; detail: string };

const ORDER: Record<SlipStucd, number> = { draft: -2, rejected: -1, '0': 0, '1': 1, '3': 2, '2': 3, '4': 3, '5': 4, '6': 4 };

/** Customs' receipts move the slip: SAS221 approves (number) or returns; SAS223 confirms passage; SAS224 deletes/voids. */
export function applySlipReceipt(s: BondSlip, r: SlipReceipt, atMs: number): SlipReceiptResult {
  switch (r.type) {
    case 'SAS221':
      if (s.stucd !== '0') return { ok: false, code: 'wrong_state', detail: `SAS221 for a slip in status ${s.stucd}` };
      if (r.manageResult === '2') return { ok: true, slip: { ...s, stucd: 'rejected', rejectReason: r.reason ?? null, seqNo: r.seqNo ?? s.seqNo, updatedMs: atMs } };
      if (!r.passportNo) return { ok: false, code: 'wrong_state', detail: 'SAS221 approval without a passportNo' };
      return { ok: true, slip: { ...s, stucd: '1', passportNo: r.passportNo, seqNo: r.seqNo ?? s.seqNo, rejectReason: null, updatedMs: atMs } };
    case 'SAS223':
      // Only forward: the gate's own report may have moved the slip already.
      if (ORDER[s.stucd] < 1 || ORDER[s.stucd] >= 4) return { ok: false, code: 'wrong_state', detail: `SAS223 for a slip in status ${s.stucd}` };
      return { ok: true, slip: ORDER[r.stucd] > ORDER[s.stucd] ? { ...s, stucd: r.stucd, updatedMs: atMs } : s };
    case 'SAS224':
      return { ok: true, slip: { ...s, stucd: r.stucd, rejectReason: r.reason ?? s.rejectReason, updatedMs: atMs } };
  }
}

export type PassageOutcome = { ok: true; slip: BondSlip; completed: boolean } | { ok: false; reason: 'not_approved' | 'used' | 'wrong_gate' | 'void'; slip: BondSlip };

/**
 * A lane reports a passage. single: 1 → 2. double: 1 → 3 at gate 1, 3 → 4 at gate 2. `completed`: the goods are now
 * past the zone's gate (status 2 or 4), so they count against their lists. A used slip is refused, never passed twice.
 * Replays (same eventId) are the repository's concern.
 */
export function gatePassage(s: BondSlip, p: { eventId: string; gate: 'single' | 'gate1' | 'gate2'; laneId: string; atMs: number }): PassageOutcome {
  const refuse = (reason: 'not_approved' | 'used' | 'wrong_gate' | 'void'): PassageOutcome => ({ ok: false, reason, slip: { ...s, passages: [...s.passages, { ...p, result: 'refused', reason }], updatedMs: p.atMs } });
  if (s.stucd === '2' || s.stucd === '4') return refuse('used');
  if (s.stucd === '5' || s.stucd === '6') return refuse('void');
  const pass = (stucd: SlipStucd, completed: boolean): PassageOutcome => ({ ok: true, completed, slip: { ...s, stucd, passages: [...s.passages, { ...p, result: 'passed', reason: null }], updatedMs: p.atMs } });
  if (s.gateMode === 'single') return s.stucd === '1' && p.gate === 'single' ? pass('2', true) : s.stucd === '1' ? refuse('wrong_gate') : refuse('not_approved');
  if (s.stucd === '1') return p.gate === 'gate1' ? pass('3', false) : refuse('wrong_gate');
  if (s.stucd === '3') return p.gate === 'gate2' ? pass('4', true) : refuse('wrong_gate');
  return refuse('not_approved');
}

const FEED_STATUS: Partial<Record<SlipStucd, ReleaseSlip['status']>> = { '0': 'applied', '1': 'approved', '3': 'passed_gate1', '2': 'passed', '4': 'passed', '5': 'deleted', '6': 'void' };
const kg = (s: string | null) => (s === null ? undefined : Number(s));

/**
 * The slip as the gates get it (shared/stations/feed.ts, unchanged shape plus optional SAS fields). Only slips customs
 * approved (and their later states) are fed: an applied slip is not something a lane may accept.
 */
export function toFeedSlip(s: BondSlip): ReleaseSlip | null {
  const status = FEED_STATUS[s.stucd];
  if (!status || status === 'applied' || s.passportNo === null) return null;
  const containerWtKg = kg(s.containerWt);
  const vehicleWtKg = (kg(s.vehicleWt) ?? 0) + (kg(s.vehicleFrameWt) ?? 0);
  return {
    passportNo: s.passportNo,
    ioType: s.ioTypecd,
    status,
    gateMode: s.gateMode,
    vehicleNo: s.vehicleNo,
    ...(s.vehicleIcNo ? { vehicleIcNo: s.vehicleIcNo } : {}),
    containerNos: s.containerNo ? [s.containerNo] : [],
    sealIds: s.sealIds,
    vehicleWtKg,
    ...(containerWtKg !== undefined ? { containerWtKg } : {}),
    totalGrossWtKg: Number(s.totalGrossWt),
    totalWtKg: Number(s.totalWt),
    goods: s.goods,
    passportTypecd: s.passportTypecd,
    bindTypecd: s.bindTypecd,
  };
}

/** 24 characters: Z + district + I/E + yymmdd + 12-digit serial (customs.md §4, Z3111I240728000000000003). */
export function formatPassportNo24(district: string, io: 'I' | 'E', yymmdd: string, serial: number): string {
  if (!/^\d{4}$/.test(district) || !/^\d{6}$/.test(yymmdd) || !Number.isSafeInteger(serial) || serial < 1 || serial > 999_999_999_999) throw new RangeError('bad passportNo parts');
  return `Z${district}${io}${yymmdd}${String(serial).padStart(12, '0')}`;
}
