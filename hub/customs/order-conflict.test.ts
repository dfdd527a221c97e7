import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../repos/cases.ts';
import { applyEngine, applyOfficer, caseToParcelDecision, ORDER_CONFLICT_RULE, type EngineOutcome } from './cases.ts';
import type { ReleaseDecision } from './risk.ts';

/**
 * Issue 15 item 6: a list naming a parcel another order's waybill already holds. The case does not switch orders by
 * arrival: it names both, is held while the conflict stands (engine and officers alike cannot release it), and an
 * officer settles it by choosing the order.
 */
const T = 1_790_000_000_000;
const outcome = (orderNo: string, decision: ReleaseDecision['decision'] = 'released', over: Partial<EngineOutcome> = {}): EngineOutcome => ({
  parcelKey: 'SF1234567890',
  orderNo,
  direction: 'import',
  tradeMode: '1210',
  release: { decision, reasons: [{ rule: decision === 'released' ? 'customs.800' : 'match.incomplete', message: `${orderNo} ${decision}` }] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: decision === 'released',
  matchConsistent: true,
  customsStatus: decision === 'released' ? 800 : null,
  buyerKey: `buyer-${orderNo}`,
  buyerIdMasked: null,
  valueCny: orderNo === 'A' ? '100' : '999',
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 1.2,
  ...over,
});

const ownedByA = applyEngine(undefined, outcome('A'), T);
const conflicted = applyEngine(ownedByA, outcome('B', 'pending'), T + 1);

describe('a second order claiming the parcel', () => {
  it('keeps the case on its order and facts, names both orders, and holds it', () => {
    expect(ownedByA.status).toBe('released');
    expect(conflicted).toMatchObject({ orderNo: 'A', valueCny: '100', buyerKey: 'buyer-A', status: 'held', decidedBy: 'auto', orderConflict: { orderNos: ['A', 'B'], raisedMs: T + 1 } });
    expect(conflicted.reasons.find((r) => r.rule === ORDER_CONFLICT_RULE)?.message).toMatch(/orders A and B/);
    expect(caseToParcelDecision(conflicted).decision).toBe('hold');
  });

  it('arrival order does not decide: B first, then A, gives the mirror image', () => {
    const c = applyEngine(applyEngine(undefined, outcome('B', 'pending'), T), outcome('A'), T + 1);
    expect(c).toMatchObject({ orderNo: 'B', status: 'held', orderConflict: { orderNos: ['B', 'A'] } });
  });

  it('while it stands, the owner’s own release is not applied and a third claimant joins', () => {
    const again = applyEngine(conflicted, outcome('A'), T + 2);
    expect(again).toMatchObject({ status: 'held', orderConflict: { orderNos: ['A', 'B'] } });
    expect(again.reasons.filter((r) => r.rule === ORDER_CONFLICT_RULE)).toHaveLength(1);
    expect(applyEngine(again, outcome('C', 'pending'), T + 3).orderConflict).toEqual({ orderNos: ['A', 'B', 'C'], raisedMs: T + 1 });
  });

  it('an officer cannot release it, nor pass it out of inspection', () => {
    expect(applyOfficer(conflicted, { action: 'release', reason: 'looks fine' }, 'o1')).toMatchObject({ ok: false, code: 'CONFLICT', message: expect.stringMatching(/A and B/) });
    const inspecting: CaseRecord = { ...conflicted, status: 'inspection' };
    expect(applyOfficer(inspecting, { action: 'result', result: 'pass', reason: 'ok' }, 'o1')).toMatchObject({ ok: true, next: { status: 'pending' } });
  });
});

describe('an officer resolves the conflict', () => {
  it('chooses the order: the others are dismissed and no longer touch the case', () => {
    const r = applyOfficer(conflicted, { action: 'resolve-order', orderNo: 'B', reason: 'the label is B' }, 'o1');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.next).toMatchObject({ orderNo: 'B', orderConflict: null, dismissedOrders: ['A'], status: 'pending', decidedBy: 'auto' });
    expect(r.next.reasons.some((x) => x.rule === ORDER_CONFLICT_RULE)).toBe(false);
    // The engine then decides from B's documents; A's no longer count.
    const decided = applyEngine(r.next, outcome('B'), T + 5);
    expect(decided).toMatchObject({ orderNo: 'B', status: 'released', valueCny: '999' });
    expect(applyEngine(decided, outcome('A'), T + 6)).toBe(decided);
  });

  it('an officer’s hold survives the choice', () => {
    const r = applyOfficer({ ...conflicted, officerHold: true, decidedBy: 'o2' }, { action: 'resolve-order', orderNo: 'A', reason: 'A' }, 'o1');
    expect(r).toMatchObject({ ok: true, next: { status: 'held', officerHold: true } });
  });

  it('refuses an order that is not a claimant, and a case without a conflict', () => {
    expect(applyOfficer(conflicted, { action: 'resolve-order', orderNo: 'Z', reason: 'z' }, 'o1')).toMatchObject({ ok: false, code: 'CONFLICT' });
    expect(applyOfficer(ownedByA, { action: 'resolve-order', orderNo: 'A', reason: 'a' }, 'o1')).toMatchObject({ ok: false, code: 'CONFLICT' });
  });
});
