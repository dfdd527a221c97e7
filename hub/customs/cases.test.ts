import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../repos/cases.ts';
import { applyEngine, applyOfficer, buyerKeyOf, caseToParcelDecision, chinaYear, toListMessage, unconfirmedRelease, type EngineOutcome, type OfficerAction } from './cases.ts';
import { Receipt, receiptOrderTime } from './documents.ts';
import { listState, NO_LIST_STATE, type ListState } from './receipt-status.ts';
import { customsStatusOf, type ReleaseDecision } from './risk.ts';

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

describe('only customs releases (issue 16)', () => {
  const list = (...receipts: [number, string][]) => listState(receipts.map(([status, time]) => ({ messageType: 'CEB622', status, time })));
  const clean = (l: ListState) => outcome('released', { listState: l, customsStatus: l.latest?.status ?? null });
  const receiptPolicy = { nowMs: T, policy: { releaseAuthority: 'receipt' } } as const;
  const officerPolicy = { nowMs: T, policy: { releaseAuthority: 'officer' } } as const;

  it('399 (审结) alone is "concluded, awaiting release", not a release, and the line holds the parcel', () => {
    const c = applyEngine(undefined, clean(list([120, '1'], [399, '2'])), T);
    expect(c.status).toBe('awaiting_release');
    expect(c.reasons[0]).toMatchObject({ rule: 'customs.awaiting-release' });
    expect(caseToParcelDecision(c)).toMatchObject({ decision: 'hold', reason: expect.stringMatching(/^awaiting customs' release \(800\)/) });
    expect(applyEngine(c, clean(list([120, '1'], [399, '2'], [800, '3'])), T + 1).status).toBe('released');
  });

  it('under receipt authority an officer cannot release a parcel customs never released, with a clear error', () => {
    const none = applyEngine(undefined, outcome('pending', { listState: NO_LIST_STATE, customsStatus: null }), T);
    expect(applyOfficer(none, act('release'), 'o1', receiptPolicy)).toMatchObject({ ok: false, code: 'CONFLICT', message: expect.stringContaining('only customs releases') });
    const concluded = applyEngine(undefined, outcome('pending', { listState: list([399, '2']), customsStatus: 399 }), T);
    expect(applyOfficer(concluded, act('release'), 'o1', receiptPolicy)).toMatchObject({ ok: false, message: expect.stringContaining('399 (concluded) is not a release') });
    // With customs' 800 on the list, the officer clears the zone's own risk flags.
    const released800 = applyEngine(undefined, outcome('pending', { listState: list([800, '3']), customsStatus: 800 }), T);
    expect(applyOfficer(released800, act('release'), 'o1', receiptPolicy)).toMatchObject({ ok: true, next: { status: 'released', officerRelease: null } });
    // Holding, ordering inspection and annotating stay open to the officer.
    expect(applyOfficer(none, act('hold'), 'o1', receiptPolicy)).toMatchObject({ ok: true, next: { status: 'held' } });
    expect(applyOfficer(none, act('inspect'), 'o1', receiptPolicy)).toMatchObject({ ok: true, next: { status: 'inspection' } });
    expect(applyOfficer(none, act('annotate'), 'o1', receiptPolicy)).toMatchObject({ ok: true, next: { status: 'pending', notes: [{ by: 'o1', text: 'officer says', atMs: T }] } });
  });

  it('under officer authority the release is recorded with who and why, and alarmed when no 800 follows in time', () => {
    const none = applyEngine(undefined, outcome('pending', { listState: NO_LIST_STATE, customsStatus: null }), T, officerPolicy.policy);
    const r = applyOfficer(none, act('release'), 'o1', officerPolicy);
    expect(r).toMatchObject({ ok: true, next: { status: 'released', decidedBy: 'o1', officerRelease: { by: 'o1', reason: 'officer says', atMs: T, alarmedMs: null } } });
    const released = (r as { next: CaseRecord }).next;
    // The engine keeps the officer's release under officer authority, and takes it back under receipt authority.
    expect(applyEngine(released, outcome('pending', { listState: NO_LIST_STATE, customsStatus: null }), T + 1, officerPolicy.policy).status).toBe('released');
    expect(applyEngine(released, outcome('pending', { listState: NO_LIST_STATE, customsStatus: null }), T + 1, receiptPolicy.policy).status).not.toBe('released');
    expect(unconfirmedRelease(released, T + 3_599_999, 3_600_000)).toBe(false);
    expect(unconfirmedRelease(released, T + 3_600_000, 3_600_000)).toBe(true);
    const confirmed = applyEngine(released, outcome('pending', { listState: list([800, '3']), customsStatus: 800 }), T + 2, officerPolicy.policy);
    expect(unconfirmedRelease(confirmed, T + 9_999_999, 3_600_000)).toBe(false);
  });

  it('an inspection passed is a finding, waits for the 800, and is then released (no dead end)', () => {
    const ordered = applyEngine(undefined, outcome('inspect', { listState: list([500, '2']), customsStatus: 500 }), T);
    expect(ordered.status).toBe('inspection');
    const r = applyOfficer(ordered, { action: 'result', result: 'pass', reason: 'contents as declared', where: 'BENCH-1' }, 'o1', { nowMs: T + 5, policy: { releaseAuthority: 'receipt' } });
    expect(r).toMatchObject({ ok: true, next: { status: 'awaiting_release', inspectionResult: 'pass', findings: [{ result: 'pass', by: 'o1', where: 'BENCH-1', atMs: T + 5, reason: 'contents as declared', afterReceipt: '2' }] } });
    const passed = (r as { next: CaseRecord }).next;
    expect(caseToParcelDecision(passed).reason).toMatch(/^awaiting customs' release \(800\): inspected, passed/);
    // The 500 still on the list does not send it back to inspection; the officer's release is refused with the reason.
    const again = applyEngine(passed, outcome('inspect', { listState: list([500, '2']), customsStatus: 500 }), T + 6);
    expect(again.status).toBe('awaiting_release');
    expect(applyOfficer(again, act('release'), 'o1', receiptPolicy)).toMatchObject({ ok: false, message: expect.stringContaining('only customs releases') });
    // A newer 500 is a new inspection order.
    expect(applyEngine(passed, outcome('inspect', { listState: list([500, '2'], [500, '4']), customsStatus: 500 }), T + 6).status).toBe('inspection');
    // The 800 releases it, even though the engine's risk flags would still want an officer (the officer has passed it).
    expect(applyEngine(again, outcome('pending', { listState: list([500, '2'], [800, '3']), customsStatus: 800 }), T + 7).status).toBe('released');
    // Under officer authority the pass is the release.
    expect(applyOfficer(ordered, { action: 'result', result: 'pass', reason: 'ok' }, 'o1', officerPolicy)).toMatchObject({ ok: true, next: { status: 'released', officerRelease: { by: 'o1' } } });
  });

  it('seizure, return and destruction are findings with who, where and when', () => {
    const r = applyOfficer(base({ status: 'inspection' }), { action: 'result', result: 'seize', reason: 'undeclared', where: 'BENCH-2' }, 'o2', { nowMs: T + 9 });
    expect(r).toMatchObject({ ok: true, next: { status: 'seized', findings: [{ result: 'seize', by: 'o2', where: 'BENCH-2', atMs: T + 9 }] } });
  });

  it('700 (退运) closes the case as returned, over an officer hold too', () => {
    expect(applyEngine(undefined, outcome('pending', { listState: list([399, '2'], [700, '3']), customsStatus: 700 }), T).status).toBe('returned');
    expect(applyEngine(base({ status: 'held', officerHold: true, decidedBy: 'o1' }), outcome('pending', { listState: list([700, '3']), customsStatus: 700 }), T).status).toBe('returned');
  });

  it('a cancelled list (624 399) is terminal and never releasable; a cancellation in flight stops the release', () => {
    const cancelledList = listState([{ messageType: 'CEB622', status: 800, time: '3' }, { messageType: 'CEB624', status: 399, time: '4' }]);
    const released = applyEngine(undefined, clean(list([800, '3'])), T);
    expect(released.status).toBe('released');
    const c = applyEngine(released, clean(cancelledList), T + 1);
    expect(c.status).toBe('cancelled');
    expect(c.reasons[0]).toMatchObject({ rule: 'customs.cancelled' });
    expect(applyOfficer(c, act('release'), 'o1', officerPolicy)).toMatchObject({ ok: false, message: expect.stringContaining('closed (cancelled)') });
    expect(caseToParcelDecision(c).decision).toBe('hold');
    const inFlight = listState([{ messageType: 'CEB622', status: 800, time: '3' }, { messageType: 'CEB623', status: null, time: '4' }]);
    expect(applyEngine(released, clean(inFlight), T + 1).status).not.toBe('released');
  });

  it('an unexpected status is kept and shown, and blocks an automatic release', () => {
    const l = listState([{ messageType: 'CEB622', status: 800, time: '3' }, { messageType: 'CEB622', status: 650, time: '4' }]);
    const c = applyEngine(undefined, clean(l), T);
    expect(c.status).toBe('pending');
    expect(c.reasons[0]).toMatchObject({ rule: 'customs.unexpected', message: expect.stringContaining('CEB622 status 650') });
  });
});

describe('a receipt whose returnTime is no calendar time (kept as sent) is placed when the hub received it', () => {
  const receipt = (returnStatus: number, returnTime: string, receivedTime?: string) =>
    Receipt.parse({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: 'C1' }, returnStatus, returnTime, ...(receivedTime ? { receivedTime } : {}) });
  const released = receipt(800, '20250301103000123');

  it('a detention with month 13, received after the release, takes the release back', () => {
    const detained = receipt(501, '20251332250000000', '20250302090000000');
    expect(receiptOrderTime(detained)).toBe('20250302090000000');
    expect(listState([released, detained].map(toListMessage))).toMatchObject({ phase: 'detained', customsReleased: false });
    expect(customsStatusOf([released, detained])).toMatchObject({ returnStatus: 501, returnTime: '20251332250000000' });
  });

  it('the same detention received before the release does not outlive it, whatever its text sorts as', () => {
    const detained = receipt(501, '99999999999999999', '20250301090000000');
    expect(listState([released, detained].map(toListMessage))).toMatchObject({ phase: 'released', customsReleased: true });
    expect(customsStatusOf([detained, released])).toMatchObject({ returnStatus: 800 });
  });
});
