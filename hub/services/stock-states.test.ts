import { expect, it } from 'vitest';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { applyEngine, type EngineOutcome } from '../customs/cases.ts';
import type { WarehouseTransaction } from '../customs/stock.ts';
import { openCaseRepo } from '../repos/cases.ts';
import { openReleaseSlipRepo } from '../repos/release-slips.ts';
import { openStockStateRepo } from '../repos/stock-states.ts';
import { openStockRepo } from '../repos/stock.ts';
import { StockStateService } from './stock-states.ts';

const outcome = (parcelKey: string, orderNo: string): EngineOutcome => ({
  parcelKey, orderNo, direction: 'import', tradeMode: '1210', release: { decision: 'released', reasons: [] }, risk: { level: 'low', reasons: [], rulesVersion: 'r1' },
  matchComplete: true, matchConsistent: true, customsStatus: 800, buyerKey: null, buyerIdMasked: null, valueCny: '100', year: 2026, ebcCode: 'EBC1', declaredWeightKg: 1,
});
const slip = (passportNo: string, goods: string[], status: ReleaseSlip['status']): ReleaseSlip => ({
  passportNo, ioType: 'E', status, gateMode: 'single', vehicleNo: '粤B12345', containerNos: [], sealIds: [], vehicleWtKg: 9000, totalGrossWtKg: goods.length, goods,
});
let n = 0;
const tx = (over: Partial<WarehouseTransaction>): WarehouseTransaction => ({ transactionId: `T${++n}`, warehouse: 'bonded', op: 'receive', outcome: 'ok', qty: 1, ...over }) as WarehouseTransaction;

eachStore('stock with its customs state', (store) => {
  it('classifies dock, shelf, staged (no list, list, slip, passed) and overseas rows, filters by state, pages and totals', async () => {
    const sql = store().sql;
    const stock = openStockRepo(sql);
    const cases = openCaseRepo(sql);
    const slips = openReleaseSlipRepo(sql);
    await Promise.all([stock.migrate(), cases.migrate(), slips.migrate()]);
    const svc = new StockStateService({ levels: openStockStateRepo(sql), cases, slips });
    let seq = 0;
    const put = (t: Partial<WarehouseTransaction>, site = 'WH-1') => stock.apply(site, ++seq, tx(t), 1000 + seq);
    await put({ op: 'receive', sku: 'SKU-A', qty: 100 });
    await put({ op: 'putaway', sku: 'SKU-A', qty: 60, locationId: 'A-01' });
    for (const order of ['ORD-LIST', 'ORD-SLIP', 'ORD-PASSED', 'ORD-UNKNOWN']) await put({ op: 'pick', sku: 'SKU-A', qty: 5, locationId: 'A-01', orderNo: order });
    await put({ warehouse: 'overseas', op: 'receive', sku: 'SKU-B', qty: 7, locationId: 'LA-1' }, 'OS-1');
    for (const [key, order] of [['P1', 'ORD-LIST'], ['P2', 'ORD-SLIP'], ['P3', 'ORD-PASSED']] as const) await cases.update(key, (c) => applyEngine(c, outcome(key, order), 1), 1);
    expect((await slips.issue(slip('Z5301E260000000000001', ['P2'], 'approved'), 'officer-1', 1)).ok).toBe(true);
    expect((await slips.issue(slip('Z5301E260000000000002', ['P3'], 'passed'), 'officer-1', 1)).ok).toBe(true);

    const all = await svc.states({ limit: 100 });
    expect(all.items.map((r) => [r.site, r.locationId, r.qty, r.state, r.rule])).toEqual([
      ['OS-1', 'LA-1', 7, 'non_bonded', 'overseas'],
      ['WH-1', 'A-01', 40, 'bonded', 'in_bond'],
      ['WH-1', 'DOCK', 40, 'list_applied', 'entry_dock'],
      ['WH-1', 'STAGING/ORD-LIST', 5, 'list_applied', 'exit_list'],
      ['WH-1', 'STAGING/ORD-PASSED', 5, 'written_off', 'exit_passed'],
      ['WH-1', 'STAGING/ORD-SLIP', 5, 'slip_applied', 'exit_slip'],
      ['WH-1', 'STAGING/ORD-UNKNOWN', 5, 'bonded', 'staged_unknown'],
    ]);
    expect(all.totals).toEqual({ non_bonded: 7, bonded: 45, list_applied: 45, slip_applied: 5, written_off: 5 });
    expect(all.unresolvedQty).toBe(0);
    expect(all.items.find((r) => r.locationId === 'STAGING/ORD-SLIP')!.listId).toBe('ORD-SLIP');

    const bonded = await svc.states({ state: ['bonded'], limit: 100 });
    expect(bonded.items.map((r) => r.locationId)).toEqual(['A-01', 'STAGING/ORD-UNKNOWN']);
    const slipOrList = await svc.states({ state: ['slip_applied', 'list_applied'], site: 'WH-1', limit: 100 });
    expect(slipOrList.items.map((r) => r.locationId)).toEqual(['DOCK', 'STAGING/ORD-LIST', 'STAGING/ORD-SLIP']);

    // Keyset pages: every row once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.states({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => `${r.site}/${r.locationId}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.items.map((r) => `${r.site}/${r.locationId}`));
    const sku = await svc.states({ sku: 'SKU-B', limit: 10 });
    expect(sku.totals).toEqual({ non_bonded: 7, bonded: 0, list_applied: 0, slip_applied: 0, written_off: 0 });
  });
});
