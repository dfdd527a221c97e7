import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openSqliteStorage } from '../storage/sqlite.ts';
import { maskForViewer } from '../../shared/mask.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { run } from '../storage/sql.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import { CASE_MIGRATIONS, openCaseRepo, type CaseRecord } from './cases.ts';

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
  valueCny: '1000.1',
  year: 2026,
  ebcCode: 'EBC1',
  declaredWeightKg: 2,
  ...over,
});

eachStore('customs case repository', (store) => {
  it('re-masks reasons stored before names and addresses were masked, once, and a manager reads them masked', async () => {
    const sql = store().sql;
    const repo = openCaseRepo(sql);
    await repo.migrate();
    const old = [
      { rule: 'customs.800', message: 'customs 800 (released)' },
      { rule: 'match:payment.payer-is-buyer', message: 'order.buyerName "欧阳锋" ≠ payment.payerName "黄药师"' },
      { rule: 'match:order-waybill.consignee', message: 'order.consigneeAddress "广东省深圳市南山区科技园科苑路15号" ≠ waybill.consigneeAddress "广东省深圳市南山区科技园科苑路16号"' },
      { rule: 'risk:watch.consignee', message: 'high: consignee 欧阳锋 (138****5678) is on the watch list' },
    ];
    // A store as the hub left it before the re-masking step: the old texts in place, the step not yet applied.
    const stored = await repo.update('REMASK-1', (c) => ({ ...applyEngine(c, outcome('REMASK-1'), 5000)!, reasons: old }), 5000);
    const untouched = await repo.update('REMASK-2', (c) => applyEngine(c, outcome('REMASK-2'), 5000), 5000);
    await sql.tx(function* () {
      yield* run("DELETE FROM module_migrations WHERE module = 'cases' AND version = 7");
    });
    await repo.migrate();

    const after = (await repo.get('REMASK-1'))!;
    expect(after.reasons).toEqual([
      old[0],
      { rule: 'match:payment.payer-is-buyer', message: 'order.buyerName "欧**" ≠ payment.payerName "黄**"' },
      { rule: 'match:order-waybill.consignee', message: 'order.consigneeAddress "广东省深圳市************" ≠ waybill.consigneeAddress "广东省深圳市************" (they differ in the masked part)' },
      { rule: 'risk:watch.consignee', message: 'high: consignee 欧** (138****5678) is on the watch list' },
    ]);
    // A rewrite of stored text, not a change to the case: its version and time stay.
    expect({ ...after, reasons: stored!.reasons }).toEqual(stored);
    expect(await repo.get('REMASK-2')).toEqual(untouched);
    const shown = JSON.stringify(maskForViewer('manager', after));
    for (const full of ['欧阳锋', '黄药师', '科技园']) expect(shown).not.toContain(full);
  });

  it('creates and updates a case under its lock, versioning each write', async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    await repo.migrate();
    const created = await repo.update('CASE-1', (c) => applyEngine(c, outcome('CASE-1'), 1000), 1000);
    expect(created).toMatchObject({ parcelKey: 'CASE-1', status: 'pending', version: 1, createdMs: 1000, updatedMs: 1000, valueCny: '1000.1', matchComplete: true, officerHold: false, customsStatus: null });
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
      await repo.update(`Q-${String(i).padStart(3, '0')}`, (c) => applyEngine(c, outcome(`Q-${i}`, { orderNo: `QO-${i % 3}`, ...(decision === 'released' ? { customsStatus: 800 } : {}), release: { decision, reasons: [{ rule: i % 2 ? 'risk:weight.out-of-tolerance' : 'customs.800', message: '' }] }, risk: { level: i % 2 ? 'medium' : 'low', reasons: [], rulesVersion: 'r1' } }), 10_000 + i), 10_000 + i);
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
    // Customs released each list (800) unless said otherwise.
    const put = (key: string, over: Partial<EngineOutcome>, status?: CaseRecord['status']) =>
      repo.update(key, (c) => ({ ...applyEngine(c, outcome(key, { buyerKey: 'buyer-y', customsStatus: 800, ...over }), 1), ...(status ? { status } : {}) }), 1);
    await put('Y-1', { valueCny: '10000' });
    await put('Y-2', { valueCny: '9000.55' });
    await put('Y-3', { valueCny: '5000' }, 'returned');
    await put('Y-4', { valueCny: '7000', year: 2025 });
    await put('Y-5', { valueCny: '3000', direction: 'export' });
    await put('Y-6', { valueCny: '4000' });
    expect(await repo.buyerYearTotal('buyer-y', 2026, 'Y-6')).toBe('19000.55');
    expect(await repo.buyerYearTotal('buyer-y', 2026, 'none')).toBe('23000.55');
    expect(await repo.buyerYearTotal('buyer-y', 2025, 'none')).toBe('7000');
    expect(await repo.buyerYearTotal('nobody', 2026, 'none')).toBe('0');
  });

  it('keeps a decimal(19,5) value exactly and sums it exactly (issue 15: NUMERIC / TEXT, not a double)', async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    const put = (key: string, valueCny: string) => repo.update(key, (c) => applyEngine(c, outcome(key, { buyerKey: 'buyer-z', customsStatus: 800, valueCny }), 1), 1);
    await put('Z-1', '12345678912345.12345');
    await put('Z-2', '0.00001');
    await put('Z-3', '0.1');
    await put('Z-4', '0.2');
    expect((await repo.get('Z-1'))!.valueCny).toBe('12345678912345.12345');
    expect((await repo.list({ keyPrefix: 'Z-', limit: 10 })).items.map((c) => c.valueCny).sort()).toEqual(['0.00001', '0.1', '0.2', '12345678912345.12345']);
    expect(await repo.buyerYearTotal('buyer-z', 2026, 'none')).toBe('12345678912345.42346');
    expect(await repo.buyerYearTotal('buyer-z', 2026, 'Z-1')).toBe('0.30001');
  });

  it("counts released lists only, less approved returns (issue 16 item 7)", async () => {
    const repo = openCaseRepo(store().sql);
    await repo.migrate();
    const put = (key: string, over: Partial<EngineOutcome>) => repo.update(key, (c) => applyEngine(c, outcome(key, { buyerKey: 'buyer-r', ...over }), 1), 1);
    await put('R-1', { valueCny: '4000', customsStatus: 800 });
    await put('R-2', { valueCny: '3000', customsStatus: 899 });
    await put('R-3', { valueCny: '2000', customsStatus: 399 }); // concluded, not released
    await put('R-4', { valueCny: '1000', customsStatus: 500 });
    await put('R-5', { valueCny: '500', customsStatus: null });
    expect(await repo.buyerYearTotal('buyer-r', 2026, 'none')).toBe('7000');
    await repo.setReturnedCny('R-1', 1_250.5);
    expect(await repo.buyerYearTotal('buyer-r', 2026, 'none')).toBe('5749.5');
    // A later engine write keeps what the returns took back.
    await put('R-1', { valueCny: '4000', customsStatus: 899 });
    expect(await repo.buyerYearTotal('buyer-r', 2026, 'none')).toBe('5749.5');
  });
});

it('SQLite: values stored as doubles by an older hub survive the move to exact TEXT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-cases-legacy-'));
  const s = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
  try {
    await s.migrate();
    const before = CASE_MIGRATIONS.length - 3; // the steps before value_cny became exact (and the conflict columns)
    await s.sql.migrate('cases', CASE_MIGRATIONS.slice(0, before));
    const old = openCaseRepo(s.sql);
    await s.sql.tx(function* () {
      yield* run(
        `INSERT INTO customs_cases (parcel_key, order_no, direction, status, decided_by, engine_decision, risk_level, rules_version, reasons, match_complete, match_consistent, officer_hold, value_cny, year, created_ms, updated_ms, version)
         VALUES ('OLD-1', 'O-1', 'import', 'pending', 'auto', 'pending', 'low', 'r0', '[]', 1, 1, 0, 1234.56, 2025, 1, 1, 1)`,
      );
    });
    await old.migrate();
    expect((await old.get('OLD-1'))!).toMatchObject({ valueCny: '1234.56', orderConflict: null, dismissedOrders: [] });
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
