import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../shared/schemas/events.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/** The zone stock page in Chromium: rows by SKU and location with their customs state, totals, filters and anomalies. */
describe.skipIf(!chromiumAvailable())('zone stock page', () => {
  let rig: DashboardRig;
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('stock');
    let n = 0;
    const wt = (payload: Record<string, unknown>): NewEvent => ({ type: 'warehouse.transaction', stationId: 'WMS-1', payload: { transactionId: `WT-${++n}`, outcome: 'ok', warehouse: 'bonded', ...payload } as never });
    await rig.ingest('gw-bonded-1', [
      wt({ op: 'receive', sku: '6901234567892', qty: 120, listId: 'QD5301I26000001' }),
      wt({ op: 'putaway', sku: '6901234567892', qty: 80, locationId: 'A-01-03' }),
      wt({ op: 'receive', sku: '4006381333931', qty: 40 }),
      wt({ op: 'putaway', sku: '4006381333931', qty: 40, locationId: 'B-02-01' }),
      wt({ op: 'pick', sku: '6901234567892', qty: 3, locationId: 'A-01-03', orderNo: 'SO20260712001' }),
      wt({ op: 'receive', sku: '4006381333931', qty: 2, outcome: 'unexpected' }),
      wt({ op: 'pick', sku: '8801234567893', qty: 1, orderNo: 'SO20260712002' }),
    ]);
    await rig.ingest('gw-overseas-1', [wt({ warehouse: 'overseas', op: 'receive', sku: '6901234567892', qty: 24, locationId: 'LAX-R1' })]);
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('shows stock by SKU and location with customs state pills and totals, filters by state, and lists anomalies', async () => {
    const page = await rig.pageAs('operator');
    await page.goto(`${rig.hub.httpUrl}/#/stock`);
    const rows = page.locator('table.stock tbody tr');
    await expect.poll(() => rows.count()).toBe(7);
    const stateOf = async (location: string) => (await page.locator('table.stock tbody tr', { hasText: location }).locator('.pill').innerText()).trim();
    expect(await stateOf('DOCK')).toBe('已申报出入区清单');
    expect(await stateOf('A-01-03')).toBe('保税');
    expect(await stateOf('LAX-R1')).toBe('非保税');
    expect(await stateOf('QUARANTINE')).toBe('保税');
    expect(await stateOf('STAGING/SO20260712001')).toBe('保税');
    expect(await page.locator('.figure[data-state="bonded"] .value').innerText()).toBe('123');
    expect(await page.locator('.figure[data-state="list_applied"] .value').innerText()).toBe('40');
    expect(await page.locator('.figure[data-state="non_bonded"] .value').innerText()).toBe('24');
    await screenshot(page, 'stock');

    await page.locator('#stock-state').selectOption('non_bonded');
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('LAX-R1');

    await page.getByRole('button', { name: '重置' }).click();
    await page.getByRole('tab', { name: '库存异常' }).click();
    await expect.poll(() => page.locator('table.anomalies tbody tr').count()).toBe(1);
    expect(await page.locator('table.anomalies tbody tr').innerText()).toContain('无可拣库存');
    await page.context().close();
  });
});
