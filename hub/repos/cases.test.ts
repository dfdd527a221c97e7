import { expect, it } from 'vitest';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { openCaseRepo, type CaseRecord } from './cases.ts';

const outcome = (parcelKey: string, over: Partial<EngineOutcome> = {}): EngineOutcome => ({
  parcelKey,
  orderNo: `O-${parcelKey}`,
  direction: 'import',
  tradeMode: '9610',
  release: { decision: 'pending', reasons: [{ rule: 'risk:xray.suspect', message: 'x' }] },
  risk: { level: 'medium', reasons: [], rulesVersion: 'r1' },
  matchComplete: true,
  matchConsistent: true,
  customsStatus: null,
  buyerKey: 'buyer-a',
  buyerIdMasked: '1101**0011',
  valueCny: 1000.1,
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 2,
  ...over,
});

eachStore('customs case repository', (store) => {
  it('creates and updates a case under its lock, versioning each write', async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    await repo.migrate();
    const created = await repo.update('CASE-1', (c) => applyEngine(c, outcome('CASE-1'), 1000), 1000);
    expect(created).toMatchObject({ parcelKey: 'CASE-1', status: 'pending', version: 1, createdMs: 1000, updatedMs: 1000, valueCny: 1000.1, matchComplete: true, officerHold: false, customsStatus: null });
    const unchanged = await repo.update('CASE-1', () => null, 2000);
    expect(unchanged).toEqual(created);
    const held = await repo.update('CASE-1', (c) => ({ ...c!, status: 'held', officerHold: true, decidedBy: 'o1' }), 3000);
    expect(held).toMatchObject({ status: 'held', officerHold: true, version: 2, createdMs: 1000, updatedMs: 3000 });
    expect(await repo.get('CASE-1')).toEqual(held);
    // Concurrent read-modify-writes of one case: none is lost.
    await Promise.all(Array.from({ length: 10 }, (_, i) => repo.update('CASE-1', (c) => ({ ...c!, reasons: [...c!.reasons, { rule: `r${i}`, message: '' }] }), 4000 + i)));
    expect((await repo.get('CASE-1'))!.reasons).toHaveLength(11);
    expect((await repo.get('CASE-1'))!.version).toBe(12);
  });

  it('lists the queue by filter, newest first, page by page', async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    for (let i = 0; i < 25; i++) {
      const decision = i % 5 === 0 ? 'released' : 'pending';
      await repo.update(`Q-${String(i).padStart(3, '0')}`, (c) => applyEngine(c, outcome(`Q-${i}`, { orderNo: `QO-${i % 3}`, release: { decision, reasons: [{ rule: i % 2 ? 'risk:weight.out-of-tolerance' : 'customs.800', message: '' }] }, risk: { level: i % 2 ? 'medium' : 'low', reasons: [], rulesVersion: 'r1' } }), 10_000 + i), 10_000 + i);
    }
    const pages: CaseRecord[][] = [];
    let cursor: string | undefined;
    do {
      const p = await repo.list({ keyPrefix: 'Q-', status: ['pending'], limit: 7, ...(cursor ? { cursor } : {}) });
      pages.push(p.items);
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    const all = pages.flat();
    expect(all).toHaveLength(20);
    expect(all.map((c) => c.updatedMs)).toEqual([...all.map((c) => c.updatedMs)].sort((a, b) => b - a));
    expect(pages.map((p) => p.length)).toEqual([7, 7, 6]);
    expect((await repo.list({ keyPrefix: 'Q-', rule: 'risk:weight.out-of-tolerance', limit: 100 })).items).toHaveLength(12);
    expect((await repo.list({ keyPrefix: 'Q-', riskLevel: ['low'], status: ['released'], limit: 100 })).items.map((c) => c.parcelKey)).toEqual(['Q-020', 'Q-010', 'Q-000']);
    expect((await repo.list({ orderNo: 'QO-1', limit: 100 })).items.every((c) => c.orderNo === 'QO-1')).toBe(true);
    expect((await repo.list({ keyPrefix: 'Q-', updatedFromMs: 10_020, limit: 100 })).items.map((c) => c.parcelKey)).toEqual(['Q-024', 'Q-023', 'Q-022', 'Q-021', 'Q-020']);
    // A hostile rule filter is data, not SQL.
    expect((await repo.list({ rule: "x' OR 1=1 --", limit: 100 })).items).toEqual([]);
    expect((await repo.countByStatus()).released).toBeGreaterThanOrEqual(5);
  });

  it("sums a buyer's year, leaving out the parcel itself, other years, exports and goods that never reached the buyer", async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    const put = (key: string, over: Partial<EngineOutcome>, status?: CaseRecord['status']) =>
      repo.update(key, (c) => ({ ...applyEngine(c, outcome(key, { buyerKey: 'buyer-y', ...over }), 1), ...(status ? { status } : {}) }), 1);
    await put('Y-1', { valueCny: 10_000 });
    await put('Y-2', { valueCny: 9_000.55 });
    await put('Y-3', { valueCny: 5_000 }, 'returned');
    await put('Y-4', { valueCny: 7_000, year: 2025 });
    await put('Y-5', { valueCny: 3_000, direction: 'export' });
    await put('Y-6', { valueCny: 4_000 });
    expect(await repo.buyerYearTotal('buyer-y', 2026, 'Y-6')).toBe(19_000.55);
    expect(await repo.buyerYearTotal('buyer-y', 2026, 'none')).toBe(23_000.55);
    expect(await repo.buyerYearTotal('buyer-y', 2025, 'none')).toBe(7_000);
    expect(await repo.buyerYearTotal('nobody', 2026, 'none')).toBe(0);
  });
});
