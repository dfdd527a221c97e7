import { expect, it } from 'vitest';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { openCaseRepo, type CaseRepo } from './cases.ts';
import { openReleaseSlipRepo, type ReleaseSlipRepo } from './release-slips.ts';

/**
 * The slip candidates (GET /api/slips/candidates): released cases that no open slip binds, newest first, keyset pages.
 * A void slip frees its parcels; a passed one keeps them (they left the zone on it).
 */
const outcome = (parcelKey: string, decision: 'released' | 'pending', over: Partial<EngineOutcome> = {}): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '1210',
  release: { decision, reasons: [] },
  risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: 800,
  buyerKey: null,
  buyerIdMasked: null,
  valueCny: '100',
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 1.5,
  ...over,
});
const slip = (passportNo: string, goods: string[]): ReleaseSlip => ({ passportNo, ioType: 'E', status: 'approved', gateMode: 'single', vehicleNo: '粤B12345', containerNos: [], sealIds: [], totalGrossWtKg: goods.length, goods });

eachStore('release slip candidates', (store) => {
  let cases: CaseRepo;
  let slips: ReleaseSlipRepo;
  const put = (key: string, decision: 'released' | 'pending', atMs: number, over: Partial<EngineOutcome> = {}) => cases.update(key, (c) => applyEngine(c, outcome(key, decision, over), atMs), atMs);
  const all = async (q: Parameters<ReleaseSlipRepo['candidates']>[0]) => {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await slips.candidates({ ...q, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(q.limit);
      keys.push(...page.items.map((c) => c.parcelKey));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return keys;
  };

  it('lists released parcels on no open slip, newest first, across pages with tied times', async () => {
    cases = openCaseRepo(store().sql);
    slips = openReleaseSlipRepo(store().sql);
    await cases.migrate();
    await slips.migrate();
    // Three released at the same millisecond: the key breaks the tie, and a page boundary falls inside the tie.
    for (const k of ['C-A', 'C-B', 'C-C']) await put(k, 'released', 1000);
    await put('C-D', 'released', 2000, { direction: 'export', tradeMode: '9610', declaredWeightKg: null });
    await put('C-PENDING', 'pending', 3000);
    await put('C-ONSLIP', 'released', 4000);
    await put('C-VOIDED', 'released', 5000);
    expect((await slips.issue(slip('Z5301E260000000000001', ['C-ONSLIP']), 'officer-1', 6000)).ok).toBe(true);
    expect((await slips.issue(slip('Z5301E260000000000002', ['C-VOIDED']), 'officer-1', 6000)).ok).toBe(true);
    await slips.setStatus('Z5301E260000000000002', () => ({ status: 'void', voidReason: 'wrong truck', voidedBy: 'officer-1' }), 7000);

    expect(await all({ limit: 2 })).toEqual(['C-VOIDED', 'C-D', 'C-C', 'C-B', 'C-A']);
    const first = await slips.candidates({ limit: 2 });
    expect(first.items[1]).toEqual({ parcelKey: 'C-D', orderNo: 'O-C-D', direction: 'export', tradeMode: '9610', declaredWeightKg: null, ebcCode: 'EBC1', updatedMs: 2000 });
  });

  it('filters by key prefix and direction; a passed slip keeps its parcels off the list', async () => {
    expect(await all({ limit: 10, keyPrefix: 'C-V' })).toEqual(['C-VOIDED']);
    expect(await all({ limit: 10, direction: 'export' })).toEqual(['C-D']);
    expect(await all({ limit: 1, direction: 'import' })).toEqual(['C-VOIDED', 'C-C', 'C-B', 'C-A']);
    await slips.setStatus('Z5301E260000000000001', () => ({ status: 'passed' }), 8000);
    expect(await all({ limit: 10, keyPrefix: 'C-O' })).toEqual([]);
    // A case that leaves 'released' (an officer's hold after release) leaves the list.
    await cases.update('C-A', (c) => ({ ...c!, status: 'held', officerHold: true, decidedBy: 'officer-2' }), 9000);
    expect(await all({ limit: 10 })).toEqual(['C-VOIDED', 'C-D', 'C-C', 'C-B']);
  });

  it('a cursor from elsewhere reads from the top', async () => {
    expect((await slips.candidates({ limit: 1, cursor: 'not-a-cursor' })).items.map((c) => c.parcelKey)).toEqual(['C-VOIDED']);
  });
});
