import { describe, expect, it } from 'vitest';
import { approvedExit, EMS } from './fixtures.ts';
import type { BondSlip } from './model.ts';
import { applySlipReceipt, formatPassportNo24, gatePassage, prepareSlip, SlipPrepareRequest, toFeedSlip, usedOnSlips } from './slips.ts';
import { ReleaseSlip } from '../../shared/stations/feed.ts';

const list = approvedExit();
const lists = new Map([[list.bondInvtNo!, list]]);
const ctx = { etpsPreentNo: 'BG-S-1', district: '4403', emsNo: EMS, lists, used: new Map<string, bigint>(), preparedBy: 'ops', nowMs: 5 };
const req = (over: Record<string, unknown> = {}) => SlipPrepareRequest.parse({ ioTypecd: 'E', passportTypecd: '3', rltTbTypecd: '1', rltNos: [list.bondInvtNo], vehicleNo: '粤B12345', vehicleWt: '8000.5', containerNo: 'MSKU1234565', containerWt: '2200', ...over });
const approved = (s: BondSlip, gateMode: 'single' | 'double' = 'single'): BondSlip => ({ ...s, stucd: '1', passportNo: 'Z4403E261207000000000001', gateMode });
const prepared = () => {
  const p = prepareSlip(req({ lines: [{ listNo: list.bondInvtNo, gdsSeqno: 1, dclQty: '10', grossWt: '12.25', netWt: '10' }, { listNo: list.bondInvtNo, gdsSeqno: 2, dclQty: '4', grossWt: '3.1', netWt: '2.9' }] }), ctx);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.slip;
};

describe('prepareSlip', () => {
  it('sums weights exactly, district from configuration, status draft', () => {
    const s = prepared();
    expect(s).toMatchObject({ stucd: 'draft', masterCuscd: '4403', totalGrossWt: '15.35', totalNetWt: '12.9', totalWt: '10215.85', passportNo: null });
    expect(s.lines.map((l) => [l.rltGdsSeqno, l.dclQty])).toEqual([[1, '10'], [2, '4']]);
  });
  it.each([
    [{ passportTypecd: '6', rltNos: ['x'] }, 'passportTypecd'],
    [{ passportTypecd: '3', ioTypecd: 'I' }, 'ioTypecd'],
    [{ passportTypecd: '2', rltNos: [] }, 'rltNos'],
    [{ bindTypecd: '2', rltNos: ['a', 'b'] }, 'bindTypecd'],
    [{ containerNo: null }, 'containerWt'],
  ])('refuses %j at %s', (over, field) => {
    const r = SlipPrepareRequest.safeParse({ ioTypecd: 'E', passportTypecd: '3', rltTbTypecd: '1', rltNos: ['QD530126E000000001'], vehicleNo: '粤B12345', vehicleWt: '1', containerNo: 'MSKU1234565', containerWt: '1', ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path[0])).toContain(field);
  });
  it('never puts more of a list line on slips than the list holds', () => {
    const used = usedOnSlips([prepared()]);
    const again = prepareSlip(req({ lines: [{ listNo: list.bondInvtNo, gdsSeqno: 1, dclQty: '0.00001', grossWt: '0', netWt: '0' }] }), { ...ctx, used });
    expect(again).toEqual({ ok: false, problems: [{ listNo: list.bondInvtNo, problem: 'over_quantity', gdsSeqno: 1 }] });
  });
  it('takes what is left of each linked list when no lines are given', () => {
    const used = usedOnSlips([{ ...prepared(), lines: [{ ...prepared().lines[0]!, dclQty: '3' }] }]);
    const r = prepareSlip(req(), { ...ctx, used });
    expect(r.ok && r.slip.lines.map((l) => l.dclQty)).toEqual(['7', '4']);
  });
  it('refuses a list that is not approved or goes the other way', () => {
    const r = prepareSlip(req({ ioTypecd: 'I', passportTypecd: '2' }), ctx);
    expect(r).toMatchObject({ ok: false, problems: [{ problem: 'wrong_direction' }] });
    const r2 = prepareSlip(req(), { ...ctx, lists: new Map([[list.bondInvtNo!, { ...list, listStat: 'declared' as const }]]) });
    expect(r2).toMatchObject({ ok: false, problems: [{ problem: 'not_approved' }] });
  });
  it('an empty vehicle (6) has no lines and weighs the vehicle alone', () => {
    const r = prepareSlip(SlipPrepareRequest.parse({ ioTypecd: 'E', passportTypecd: '6', vehicleNo: '粤B12345', vehicleWt: '7000' }), ctx);
    expect(r.ok && [r.slip.lines.length, r.slip.totalWt]).toEqual([0, '7000']);
  });
});

describe('slip receipts: approval only by SAS221', () => {
  const applied = { ...prepared(), stucd: '0' as const };
  it.each([
    [{ type: 'SAS221', receiptId: 'r', etpsPreentNo: 'BG-S-1', manageResult: '1', passportNo: 'Z4403E261207000000000001' }, '1'],
    [{ type: 'SAS221', receiptId: 'r', etpsPreentNo: 'BG-S-1', manageResult: '2', reason: 'weights' }, 'rejected'],
  ] as const)('%j → %s', (r, stucd) => {
    const out = applySlipReceipt(applied, r, 9);
    expect(out.ok && out.slip.stucd).toBe(stucd);
  });
  it('a draft slip is not approved by a stray SAS221; SAS224 voids', () => {
    expect(applySlipReceipt(prepared(), { type: 'SAS221', receiptId: 'r', etpsPreentNo: 'BG-S-1', manageResult: '1', passportNo: 'Z4403E261207000000000001' }, 9).ok).toBe(false);
    const v = applySlipReceipt(approved(applied), { type: 'SAS224', receiptId: 'r', passportNo: 'Z4403E261207000000000001', stucd: '6' }, 9);
    expect(v.ok && v.slip.stucd).toBe('6');
  });
  it('SAS223 confirms a passage: forward only, a no-op after the lane reported it, refused before approval', () => {
    const sas223 = { type: 'SAS223', receiptId: 'r', passportNo: 'Z4403E261207000000000001', stucd: '2' } as const;
    const passed = { ...approved(applied), stucd: '2' as const };
    expect(applySlipReceipt(passed, sas223, 9)).toEqual({ ok: true, slip: passed });
    expect(applySlipReceipt(applied, sas223, 9).ok).toBe(false);
    const r = applySlipReceipt(approved(applied), sas223, 9);
    expect(r.ok && r.slip.stucd).toBe('2');
  });
});

describe('gatePassage', () => {
  const p = (gate: 'single' | 'gate1' | 'gate2') => ({ eventId: `e-${gate}`, gate, laneId: 'L1', atMs: 10 });
  it.each([
    ['single', '1', 'single', { ok: true, stucd: '2', completed: true }],
    ['single', '2', 'single', { ok: false, reason: 'used' }],
    ['single', '0', 'single', { ok: false, reason: 'not_approved' }],
    ['single', 'draft', 'single', { ok: false, reason: 'not_approved' }],
    ['single', '6', 'single', { ok: false, reason: 'void' }],
    ['double', '1', 'gate1', { ok: true, stucd: '3', completed: false }],
    ['double', '1', 'gate2', { ok: false, reason: 'wrong_gate' }],
    ['double', '3', 'gate2', { ok: true, stucd: '4', completed: true }],
    ['double', '4', 'gate2', { ok: false, reason: 'used' }],
  ] as const)('%s slip in %s at %s', (mode, stucd, gate, want) => {
    const o = gatePassage({ ...approved(prepared(), mode), stucd }, p(gate));
    if (want.ok) expect(o).toMatchObject({ ok: true, completed: want.completed, slip: { stucd: want.stucd } });
    else expect(o).toMatchObject({ ok: false, reason: want.reason });
    expect(o.slip.passages.at(-1)!.result).toBe(want.ok ? 'passed' : 'refused');
  });
});

describe('the gate feed', () => {
  it('feeds only approved slips, in the feed shape the gate parses', () => {
    expect(toFeedSlip({ ...prepared(), stucd: '0' })).toBeNull();
    const f = toFeedSlip(approved(prepared()))!;
    expect(ReleaseSlip.parse(f)).toMatchObject({ passportNo: 'Z4403E261207000000000001', status: 'approved', totalWtKg: 10215.85, containerNos: ['MSKU1234565'], passportTypecd: '3', bindTypecd: '2' });
  });
  it('numbers are 24 characters', () => {
    expect(formatPassportNo24('3111', 'I', '240728', 3)).toBe('Z3111I240728000000000003');
    expect(formatPassportNo24('5301', 'E', '261207', 1)).toHaveLength(24);
  });
});
