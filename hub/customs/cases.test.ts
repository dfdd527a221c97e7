import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../repos/cases.ts';
import { applyEngine, applyOfficer, buyerKeyOf, caseToParcelDecision, chinaYear, type EngineOutcome, type OfficerAction } from './cases.ts';
import type { ReleaseDecision } from './risk.ts';

const T = 1_790_000_000_000;
const outcome = (decision: ReleaseDecision['decision'], over: Partial<EngineOutcome> = {}): EngineOutcome => ({
  parcelKey: 'EA000000001CN',
  orderNo: 'ORD-1',
  direction: 'import',
  tradeMode: '1210',
  release: { decision, reasons: [{ rule: decision === 'released' ? 'customs.800' : 'risk:xray.suspect', message: decision }] },
  risk: { level: decision === 'released' ? 'low' : 'high', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: 800,
  buyerKey: 'k',
  buyerIdMasked: '1101**********0011',
  valueCny: '300',
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 1.2,
  ...over,
});
const base = (over: Partial<CaseRecord> = {}): CaseRecord => ({ ...applyEngine(undefined, outcome('pending'), T), ...over });
const act = (a: OfficerAction['action'], extra: Record<string, string> = {}) => ({ action: a, reason: 'officer says', ...extra }) as OfficerAction;

describe('the engine on a case', () => {
  it.each([
    ['released', 'released'],
    ['hold', 'held'],
    ['inspect', 'inspection'],
    ['pending', 'pending'],
  ] as const)('a new case follows the engine: %s → %s', (decision, status) => {
    expect(applyEngine(undefined, outcome(decision), T)).toMatchObject({ status, decidedBy: 'auto', officerHold: false, year: 2026, createdMs: T });
  });

  it.each([
    ['officer hold sticks over a release', base({ status: 'held', officerHold: true, decidedBy: 'o1' }), 'released', 'held', 'o1'],
    ["customs' detention overrides an officer's release", base({ status: 'released', decidedBy: 'o1' }), 'hold', 'held', 'auto'],
    ["customs' inspection order overrides an officer's release", base({ status: 'released', decidedBy: 'o1' }), 'inspect', 'inspection', 'auto'],
    ['an ordered inspection waits for its result', base({ status: 'inspection', decidedBy: 'o1' }), 'released', 'inspection', 'o1'],
    ['a final case does not move', base({ status: 'seized', decidedBy: 'o1' }), 'released', 'seized', 'o1'],
    ['an automatic release follows the engine back to pending', base({ status: 'released', decidedBy: 'auto' }), 'pending', 'pending', 'auto'],
    ["an officer's release stands over a pending engine", base({ status: 'released', decidedBy: 'o1' }), 'pending', 'released', 'o1'],
  ] as const)('%s', (_name, current, decision, status, decidedBy) => {
    expect(applyEngine(current, outcome(decision), T + 1)).toMatchObject({ status, decidedBy });
  });

  it("an officer's release falls back to the queue when the documents stop agreeing", () => {
    expect(applyEngine(base({ status: 'released', decidedBy: 'o1' }), outcome('pending', { matchConsistent: false }), T)).toMatchObject({ status: 'pending', decidedBy: 'auto' });
  });

  it('keeps the year the parcel was first declared in', () => {
    expect(applyEngine(base({ year: 2025 }), outcome('pending', { year: 2026 }), T).year).toBe(2025);
  });
});

describe('officer actions', () => {
  it.each([
    ['release from the queue', base(), act('release'), { ok: true, status: 'released' }],
    ['release lifts an officer hold', base({ status: 'held', officerHold: true }), act('release'), { ok: true, status: 'released' }],
    ['release twice', base({ status: 'released' }), act('release'), { ok: false, message: 'already released' }],
    ['release with a document missing', base({ matchComplete: false }), act('release'), { ok: false, message: expect.stringContaining('incomplete') }],
    ['release with documents that disagree', base({ matchConsistent: false }), act('release'), { ok: false, message: expect.stringContaining('consistent') }],
    ['release over a customs detention', base({ status: 'held', engineDecision: 'hold', customsStatus: 501 }), act('release'), { ok: false, message: expect.stringContaining('customs stops') }],
    ['release while an inspection is ordered', base({ status: 'inspection' }), act('release'), { ok: false, message: expect.stringContaining('record its result') }],
    ['hold', base({ status: 'released' }), act('hold'), { ok: true, status: 'held' }],
    ['hold twice', base({ status: 'held', officerHold: true }), act('hold'), { ok: false, message: 'already held' }],
    ['order inspection', base(), act('inspect'), { ok: true, status: 'inspection' }],
    ['order inspection twice', base({ status: 'inspection' }), act('inspect'), { ok: false }],
    ['inspection passed', base({ status: 'inspection' }), act('result', { result: 'pass' }), { ok: true, status: 'released' }],
    ['inspection passed, documents still disagree', base({ status: 'inspection', matchConsistent: false }), act('result', { result: 'pass' }), { ok: true, status: 'pending' }],
    ['seized', base({ status: 'inspection' }), act('result', { result: 'seize' }), { ok: true, status: 'seized' }],
    ['returned', base({ status: 'held' }), act('result', { result: 'return' }), { ok: true, status: 'returned' }],
    ['destroyed', base({ status: 'inspection' }), act('result', { result: 'destroy' }), { ok: true, status: 'destroyed' }],
    ['anything on a closed case', base({ status: 'destroyed' }), act('release'), { ok: false, message: expect.stringContaining('closed') }],
  ] as const)('%s', (_name, current, action, expected) => {
    const r = applyOfficer(current, action, 'officer-7');
    if (expected.ok) {
      expect(r).toMatchObject({ ok: true, next: { status: expected.status, decidedBy: 'officer-7' } });
    } else {
      expect(r).toMatchObject(expected);
    }
  });

  it('refuses an action on a parcel without a case', () => {
    expect(applyOfficer(undefined, act('hold'), 'o')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});

describe('helpers', () => {
  it('maps a case to what the stations know', () => {
    expect(caseToParcelDecision(base({ status: 'inspection', decidedBy: 'o1' }))).toMatchObject({ decision: 'inspect', declaredWeightKg: 1.2, orderNo: 'ORD-1', reason: 'inspection by officer o1' });
    expect(caseToParcelDecision(base()).reason).toMatch(/^pending officer review/);
    expect(caseToParcelDecision(base({ status: 'seized' })).decision).toBe('hold');
  });
  it('keys buyers by their normalised ID, never the ID itself', () => {
    expect(buyerKeyOf('11010519491231002x')).toBe(buyerKeyOf(' 11010519491231002X '));
    expect(buyerKeyOf('11010519491231002X')).not.toContain('1101');
  });
  it('counts the year in China time', () => {
    expect(chinaYear(Date.UTC(2025, 11, 31, 16, 30))).toBe(2026); // 00:30 on 1 January in Beijing
    expect(chinaYear(Date.UTC(2025, 11, 31, 15, 59))).toBe(2025);
  });
});
