import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

const EMS = 'T5301W000001';
const bonded = { emsNo: EMS, district: '4403', enterprise: { sccd: '91440300MA5XXXXX1Q', etpsno: '4403660001', name: '前海保税仓储有限公司' } };
const pricing = { pricing: [{ gdsSeqno: 1, dclCurrcd: '142', dclUprcAmt: '12.5', natcd: '116', destinationNatcd: '142', gdsSpcfModelDesc: '50ml' }] };

/** The bonded account book page in Chromium: balances with the moves behind them, lists, slips, reconciliation. */
describe.skipIf(!chromiumAvailable())('bonded account book page', () => {
  let rig: DashboardRig;
  const call = async (role: 'admin' | 'manager' | 'officer', method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rig.hub.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${await rig.token(role)}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('bonded', { bonded });
    await call('manager', 'POST', '/api/bonded/items', { emsNo: EMS, gdsSeqno: 1, gdsMtno: 'SKU-A', gdecd: '3304990099', gdsNm: '面霜', dclUnitcd: '011', storageLimitQty: '1000' });
    const inList = (await call('officer', 'POST', '/api/bonded/lists', { kind: 'first_line_in', lines: [{ sku: 'SKU-A', qty: 30 }], sources: ['tally-1'] })).etpsInnerInvtNo as string;
    await call('officer', 'POST', `/api/bonded/lists/${inList}/declare`, pricing);
    await call('admin', 'POST', '/api/bonded/receipts', { type: 'INV201', receiptId: 'g-1', etpsInnerInvtNo: inList, bondInvtNo: 'QD440326I000000001', invtStucd: '0', entryStucd: '1' });
    await call('admin', 'POST', '/api/bonded/receipts', { type: 'INV211', receiptId: 'g-2', etpsInnerInvtNo: inList, bondInvtNo: 'QD440326I000000001', vrfdedMarkcd: '2', lines: [{ gdsSeqno: 1, actlIncQty: '30' }] });
    const exit = (await call('manager', 'POST', '/api/bonded/lists/exit', { released: [{ orderNo: 'O-1', releasedMs: Date.now() - 60_000, lines: [{ sku: 'SKU-A', qty: 4 }] }] })).etpsInnerInvtNo as string;
    await call('officer', 'POST', `/api/bonded/lists/${exit}/declare`, pricing);
    await call('admin', 'POST', '/api/bonded/receipts', { type: 'INV201', receiptId: 'g-3', etpsInnerInvtNo: exit, bondInvtNo: 'QD440326E000000002', invtStucd: '0', vrfdedMarkcd: '1' });
    const slip = (await call('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'E', passportTypecd: '3', rltTbTypecd: '1', rltNos: ['QD440326E000000002'], vehicleNo: '粤B12345', vehicleWt: '8000' })).etpsPreentNo as string;
    await call('officer', 'POST', `/api/bonded/slips/${slip}/apply`);
    await call('admin', 'POST', '/api/bonded/receipts', { type: 'SAS221', receiptId: 'g-4', etpsPreentNo: slip, manageResult: '1', passportNo: 'Z4403E261207000000000001' });
    await call('officer', 'POST', '/api/bonded/slips', { ioTypecd: 'E', passportTypecd: '6', vehicleNo: '粤B54321', vehicleWt: '7000' });
    await call('manager', 'POST', '/api/bonded/reconciliation', { physical: [{ sku: 'SKU-A', qty: 29 }] });
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('shows balances, the receipts behind each change, lists, slips and the reconciliation', async () => {
    const page = await rig.pageAs('officer');
    await page.goto(`${rig.hub.httpUrl}/#/bonded`);
    const row = page.locator('table tbody tr').first();
    await expect.poll(() => row.innerText()).toContain('面霜');
    expect(await row.innerText()).toMatch(/30\s+26/); // balance 30, available 26 (4 pre-deducted)
    await page.getByRole('button', { name: '1', exact: true }).click();
    await expect.poll(() => page.locator('#moves-title').count()).toBe(1);
    expect(await page.locator('section[aria-labelledby="moves-title"] tbody').innerText()).toContain('QD440326E000000002');
    await screenshot(page, 'bonded-book');

    await page.getByRole('tab', { name: '核注清单' }).click();
    await expect.poll(() => page.locator('[role=tabpanel] tbody tr').count()).toBe(2);
    expect(await page.locator('[role=tabpanel]').innerText()).toContain('1 预核扣');

    await page.getByRole('tab', { name: '核放单' }).click();
    await expect.poll(() => page.locator('[role=tabpanel] tbody tr').count()).toBe(2);
    const slips = await page.locator('[role=tabpanel]').innerText();
    expect(slips).toContain('海关已审批');
    expect(slips).toContain('空车');
    await page.getByRole('button', { name: '申报核放单' }).click();
    await expect.poll(() => page.locator('[role=tabpanel]').innerText()).toContain('已申报，待海关审批');
    await screenshot(page, 'bonded-slips');

    await page.getByRole('tab', { name: '账实对账' }).click();
    await expect.poll(() => page.locator('[role=tabpanel]').innerText()).toContain('账实不符');
    await screenshot(page, 'bonded-recon');
    await page.context().close();

    const en = await rig.pageAs('manager', { lang: 'en' });
    await en.goto(`${rig.hub.httpUrl}/#/bonded`);
    await en.getByRole('tab', { name: 'Release slips' }).click();
    await expect.poll(() => en.locator('[role=tabpanel]').innerText()).toContain('Approved by customs');
    await en.context().close();
  });
});
