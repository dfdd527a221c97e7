import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../repos/cases.ts';
import { applyEngine, applyOfficer, caseToParcelDecision, customsOutcome, type CasePolicy, type EngineOutcome, type OfficerAction } from './cases.ts';
import type { Receipt } from './documents.ts';
import type { MatchResult } from './matching.ts';
import { isExpectedStatus, listState, RECEIPT_STATUSES, STATUS_MEANING, type ListMessage } from './receipt-status.ts';
import { planSlip, SlipIssueRequest, type SlipCase } from './release-slips.ts';
import type { RiskAssessment } from './risk.ts';

/**
 * The per-message receipt table (customs.md §2/§6, the XSD annotations) and what each (message, status) does to a
 * clean, low-risk parcel's case; then random receipt histories: only customs' 800 releases.
 */

const ALL_STATUSES = [...new Set(Object.keys(STATUS_MEANING).map(Number))].sort((a, b) => a - b);
const MESSAGES = Object.keys(RECEIPT_STATUSES);

describe('the receipt status table', () => {
  it.each([
    ['CEB312', [2, 3, 4, 100, 120, 399]],
    ['CEB412', [2, 3, 4, 100, 120, 399]],
    ['CEB512', [2, 3, 4, 100, 120, 399]],
    ['CEB622', [1, 2, 3, 4, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899]],
    ['CEB624', [1, 2, 3, 4, 100, 120, 399]],
    ['CEB626', [1, 2, 3, 4, 100, 120, 399]],
    ['CEB604', [1, 2, 3, 4, 100, 120, 300, 399, 800, 899]],
    ['CEB606', [1, 2, 3, 4, 100, 399]],
    ['CEB214', [1, 2, 3, 4, 100, 120, 300, 500, 505, 600, 800]],
  ] as const)('%s carries exactly %j (and any negative error code)', (messageType, statuses) => {
    for (const s of ALL_STATUSES) expect([messageType, s, isExpectedStatus(messageType, s)]).toEqual([messageType, s, (statuses as readonly number[]).includes(s)]);
    expect(isExpectedStatus(messageType, -621005)).toBe(true);
    expect(isExpectedStatus(messageType, 650)).toBe(false);
  });

  it('knows nothing of a message it has no row for', () => {
    expect(isExpectedStatus('CEB900', 399)).toBe(false);
    expect(isExpectedStatus('CEB900', -1)).toBe(false);
  });

  it('calls status 1 a draft saved at the e-port, not a hold', () => {
    expect(STATUS_MEANING[1]).toBe('saved as a draft at the e-port');
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Every (message, status) pair on a clean parcel

const T = 1_790_000_000_000;
const okMatch: MatchResult = { complete: true, consistent: true, mismatches: [], missing: [] };
const low: RiskAssessment = { level: 'low', reasons: [], rulesVersion: 'r1' };

const REFERS: Record<string, Receipt['refersTo']> = {
  CEB312: { kind: 'order', orderNo: 'ORD-1', ebpCode: 'EBP1' } as Receipt['refersTo'],
  CEB412: { kind: 'payment', payCode: 'PAY1', payTransactionId: 'TX1' } as Receipt['refersTo'],
  CEB512: { kind: 'waybill', logisticsCode: 'LOG1', logisticsNo: 'EA000000001CN' } as Receipt['refersTo'],
  CEB622: { kind: 'inventory', copNo: 'COP1' },
  CEB624: { kind: 'inventory', copNo: 'COP1' },
  CEB604: { kind: 'exportInventory', copNo: 'COP1' },
  CEB606: { kind: 'exportInventory', copNo: 'COP1' },
};
const receipt = (messageType: string, returnStatus: number, returnTime: string): Receipt =>
  ({ kind: 'receipt', messageType, refersTo: REFERS[messageType] ?? REFERS.CEB622, returnStatus, returnTime, returnInfo: '' }) as unknown as Receipt;

const outcomeFor = (receipts: readonly Receipt[], requests: readonly ListMessage[] = [], direction: 'import' | 'export' = 'import'): EngineOutcome => {
  const { release, list } = customsOutcome(okMatch, low, receipts, requests);
  return {
    parcelKey: 'EA000000001CN',
    orderNo: 'ORD-1',
    direction,
    tradeMode: '1210',
    release,
    risk: low,
    listState: list,
    matchComplete: true,
    matchConsistent: true,
    customsStatus: list.latest?.status ?? null,
    buyerKey: 'k',
    buyerIdMasked: null,
    valueCny: '100',
    year: 2026,
    ebcCode: 'EBC1',
    declaredWeightKg: 1.2,
  };
};

/** The case a clean, low-risk parcel gets from one list receipt after an accepted (120) one. */
const LIST_CASE: Record<number, CaseRecord['status']> = {
  1: 'pending',
  2: 'pending',
  3: 'pending',
  4: 'pending',
  100: 'held',
  120: 'pending',
  300: 'pending',
  399: 'awaiting_release',
  500: 'inspection',
  501: 'held',
  502: 'held',
  503: 'held',
  599: 'held',
  700: 'returned',
  800: 'released',
  899: 'awaiting_release', // closed with no 800 on record: not a release
};

describe('each (message, status) pair on a clean, low-risk parcel', () => {
  const pairs = MESSAGES.filter((m) => m in REFERS).flatMap((m) => [...ALL_STATUSES, -621005, 650].map((s) => [m, s] as const));
  it.each(pairs)('%s %i', (messageType, status) => {
    const direction = messageType === 'CEB604' || messageType === 'CEB606' ? 'export' : 'import';
    const listType = direction === 'export' ? 'CEB604' : 'CEB622';
    const receipts = [receipt(listType, 120, '20260101100000000'), receipt(messageType, status, '20260101110000000')];
    const c = applyEngine(undefined, outcomeFor(receipts, [], direction), T);
    const expected = isExpectedStatus(messageType, status);
    if (!expected) {
      // Kept, shown, never guessed: the case says so and nothing moves on it.
      expect(c.listState?.unexpected).toEqual([{ messageType, status, time: '20260101110000000' }]);
      expect(c.reasons[0]).toMatchObject({ rule: 'customs.unexpected' });
      expect(c.status).toBe('pending');
    } else if (messageType === listType) {
      expect(c.status).toBe(status < 0 ? 'held' : LIST_CASE[status]);
    } else if (messageType === 'CEB624' || messageType === 'CEB606') {
      // Cancellation receipts: 399 cancels for good; a refusal leaves the list as it was; anything else is in flight.
      expect(c.status).toBe(status === 399 ? 'cancelled' : 'pending');
      expect(c.listState?.cancel).toBe(status === 399 ? 'cancelled' : status === 100 || status < 0 ? 'refused' : 'requested');
    } else {
      // Order, payment, waybill receipts never release: the list is still only accepted.
      expect(c.status).toBe(status === 100 || status < 0 ? 'held' : 'pending');
    }
    expect(caseToParcelDecision(c).decision === 'released').toBe(c.status === 'released');
  });
});

describe('the list state', () => {
  const m = (messageType: string, status: number | null, time: string): ListMessage => ({ messageType, status, time });
  it.each([
    ['399 alone is concluded, not released', [m('CEB622', 399, '2')], 'concluded', false],
    ['800 releases', [m('CEB622', 399, '2'), m('CEB622', 800, '3')], 'released', true],
    ['899 after an 800 stays released', [m('CEB622', 800, '3'), m('CEB622', 899, '4')], 'released', true],
    ['899 with no 800 is no release', [m('CEB622', 399, '2'), m('CEB622', 899, '4')], 'closed_without_release', false],
    ['a late-stamped 399 does not take back an 800', [m('CEB622', 800, '3'), m('CEB622', 399, '4')], 'released', true],
    ['a new inspection order after the 800 does', [m('CEB622', 800, '3'), m('CEB622', 500, '4')], 'inspection', false],
    ['700 is terminal, whatever follows', [m('CEB622', 700, '3'), m('CEB622', 800, '4')], 'returned', false],
    ['624 399 cancels even a released list', [m('CEB622', 800, '3'), m('CEB624', 399, '4')], 'cancelled', false],
    ['a cancellation request in flight stops the release', [m('CEB622', 800, '3'), m('CEB623', null, '4')], 'released', false],
    ['a refused cancellation leaves the release', [m('CEB622', 800, '3'), m('CEB623', null, '4'), m('CEB624', 100, '5')], 'released', true],
    ['800 on a cancellation receipt is unexpected and moves nothing', [m('CEB622', 399, '3'), m('CEB624', 800, '4')], 'concluded', false],
    ['export: 604 800 releases', [m('CEB604', 800, '3')], 'released', true],
    ['export: a 500 on a 604 is unexpected', [m('CEB604', 399, '3'), m('CEB604', 500, '4')], 'concluded', false],
  ] as const)('%s', (_name, messages, phase, customsReleased) => {
    const s = listState(messages);
    expect({ phase: s.phase, customsReleased: s.customsReleased }).toEqual({ phase, customsReleased });
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Random histories

const LIST_STATUSES = RECEIPT_STATUSES.CEB622!;
const arbReceipt = fc.oneof(
  { weight: 6, arbitrary: fc.record({ messageType: fc.constant('CEB622'), status: fc.constantFrom(...LIST_STATUSES, -621005, 650) }) },
  { weight: 2, arbitrary: fc.record({ messageType: fc.constant('CEB624'), status: fc.constantFrom(1, 2, 3, 4, 100, 120, 399, 800) }) },
  { weight: 2, arbitrary: fc.record({ messageType: fc.constantFrom('CEB312', 'CEB412', 'CEB512'), status: fc.constantFrom(2, 3, 100, 120, 399, 800) }) },
);
/** Receipts with customs' time, delivered in any order, some twice (a redelivered file), some late. */
const arbHistory = fc
  .array(fc.tuple(arbReceipt, fc.integer({ min: 0, max: 50 })), { maxLength: 10 })
  .chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: 0, maxLength: rs.length }), fc.boolean(), fc.infiniteStream(fc.integer({ min: 0, max: 1_000_000 }))))
  .map(([rs, dups, cancelRequest, order]) => {
    const all = [...rs, ...dups].map(([r, minute]) => receipt(r.messageType, r.status, `202601011${String(minute).padStart(3, '0')}00000`.slice(0, 17)));
    const keyed = all.map((r) => ({ r, k: order.next().value as number }));
    return { delivered: keyed.sort((a, b) => a.k - b.k).map((x) => x.r), cancelRequest };
  });
type Step = { kind: 'receipt'; n: number } | { kind: 'officer'; action: OfficerAction };
const arbOfficer: fc.Arbitrary<OfficerAction> = fc.oneof(
  fc.constant({ action: 'release', reason: 'r' } as OfficerAction),
  fc.constant({ action: 'hold', reason: 'r' } as OfficerAction),
  fc.constant({ action: 'inspect', reason: 'r' } as OfficerAction),
  fc.constantFrom('pass', 'seize', 'return', 'destroy').map((result) => ({ action: 'result', result, reason: 'r' }) as OfficerAction),
  fc.constant({ action: 'annotate', reason: 'note' } as OfficerAction),
);

const has800 = (rs: readonly Receipt[]) => rs.some((r) => r.messageType === 'CEB622' && r.returnStatus === 800);
const cancelled = (rs: readonly Receipt[]) => rs.some((r) => r.messageType === 'CEB624' && r.returnStatus === 399);
const FINAL = new Set(['returned', 'cancelled', 'seized', 'destroyed']);

describe('random receipt histories under `receipt` authority', () => {
  const policy: CasePolicy = { releaseAuthority: 'receipt' };
  it('no parcel reaches released, the release lane or a slip without an 800 on its list; cancelled never releasable; final stays final', () => {
    fc.assert(
      fc.property(arbHistory, fc.array(arbOfficer, { maxLength: 6 }), fc.infiniteStream(fc.nat()), ({ delivered, cancelRequest }, officerActs, interleave) => {
        // Receipts arrive one by one (the engine decides on everything stored so far); officers act in between.
        const steps: Step[] = delivered.map((_, n) => ({ kind: 'receipt', n: n + 1 }) as Step);
        for (const action of officerActs) steps.splice((interleave.next().value as number) % (steps.length + 1), 0, { kind: 'officer', action });
        let c: CaseRecord | undefined;
        let seen = 0;
        let now = T;
        const requests = cancelRequest ? [{ messageType: 'CEB623', status: null, time: '20260101100000000' }] : [];
        for (const step of steps) {
          now += 1000;
          const prior = c;
          if (step.kind === 'receipt') {
            seen = step.n;
            c = applyEngine(c, outcomeFor(delivered.slice(0, seen), requests), now, policy);
          } else {
            const r = applyOfficer(c, step.action, 'officer-1', { nowMs: now, policy });
            if (r.ok) c = r.next;
          }
          if (!c) continue;
          const so = delivered.slice(0, seen);
          if (c.status === 'released') {
            expect(has800(so)).toBe(true);
            expect(cancelled(so)).toBe(false);
            expect(cancelRequest && !so.some((r) => r.messageType === 'CEB624')).toBe(false);
          }
          if (caseToParcelDecision(c).decision === 'released') expect(has800(so)).toBe(true);
          const slip = planSlip(SlipIssueRequest.parse({ ioType: 'E', vehicleNo: '粤B12345', parcelKeys: [c.parcelKey] }), new Map<string, SlipCase>([[c.parcelKey, c]]), new Map());
          if (slip.ok) expect(has800(so) && !cancelled(so)).toBe(true);
          if (cancelled(so)) expect(c.status === 'cancelled' || FINAL.has(c.status)).toBe(true);
          if (prior && FINAL.has(prior.status)) expect(c.status).toBe(prior.status);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the state is a function of the receipts, not of their arrival order or duplicates', () => {
    fc.assert(
      fc.property(arbHistory, ({ delivered }) => {
        const once = [...new Map(delivered.map((r) => [`${r.messageType}:${r.returnStatus}:${r.returnTime}`, r])).values()];
        expect(listState(delivered.map((r) => ({ messageType: r.messageType, status: r.returnStatus, time: r.returnTime })))).toEqual(
          listState([...once].reverse().map((r) => ({ messageType: r.messageType, status: r.returnStatus, time: r.returnTime }))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
