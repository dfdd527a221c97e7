import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrame, zxingWasmDecoder } from '../../drivers/barcode/image-decoder.ts';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * Release slips in Debian Chromium: an officer picks two released parcels from the candidates (the third, held, is not
 * offered), issues the slip, prints it — the QR image loads and decodes to the slip number — and voids it, which frees
 * the parcels; the state is tracked by pills; a manager reads without the issue and void controls.
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });
const keyOf = (p: GeneratedParcel) => p.set.waybill.logisticsNo;

describe.skipIf(!chromiumAvailable())('release slips in a real browser', () => {
  let rig: DashboardRig;
  let sets: GeneratedParcel[];
  let slipNo = '';
  const call = async (role: 'officer' | 'manager', method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rig.hub.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${await rig.token(role)}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- responses of many shapes
  };

  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('slips');
    sets = generateDocumentSets({ seed: 7401 }, 3);
    for (const p of sets) expect((await call('officer', 'POST', '/api/documents', { documents: [...docs(p), cleared(p)] })).status).toBe(200);
    // The third is held by an officer after release: not a candidate.
    expect((await call('officer', 'POST', `/api/cases/${keyOf(sets[2]!)}/actions`, { action: 'hold', reason: '复核' })).status).toBe(200);
  }, 90_000);
  afterAll(async () => rig?.stop());

  it('offers released parcels on no open slip to officers only', async () => {
    const r = await call('officer', 'GET', '/api/slips/candidates?limit=10');
    expect(r.status).toBe(200);
    expect(r.json.items.map((c: { parcelKey: string }) => c.parcelKey).sort()).toEqual([keyOf(sets[0]!), keyOf(sets[1]!)].sort());
    expect((await call('manager', 'GET', '/api/slips/candidates')).status).toBe(403);
    expect((await call('officer', 'GET', '/api/slips/candidates?limit=0')).json.code).toBe('VALIDATION_FAILED');
  });

  it('an officer issues a slip from two released parcels, prints it with a QR that decodes to its number, and voids it', async () => {
    const page = await rig.pageAs('officer');
    await page.goto(`${rig.hub.httpUrl}/#/slips`);
    await page.getByRole('button', { name: '新建核放单' }).click();
    await page.getByLabel('车牌号').fill('粤B·12345');
    await page.getByLabel('车辆自重 (kg)').fill('9000');
    await page.getByLabel('关锁号 / 电子关锁（多个用逗号分隔）').fill('SEAL-0001');
    for (const p of sets.slice(0, 2)) await page.getByLabel(`选择 ${keyOf(p)}`).check();
    expect(await page.getByLabel(`选择 ${keyOf(sets[2]!)}`).count()).toBe(0);
    expect(await page.locator('.slips-chosen').innerText()).toContain('已选 2 件');
    await page.getByRole('button', { name: '签发核放单' }).click();
    await page.waitForURL(/#\/slips\/Z/);
    slipNo = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    expect(slipNo).toMatch(/^Z5301E\d+$/); // district, direction, year, serial
    await expect.poll(() => page.locator('.slip-status').innerText()).toContain('已审批');
    expect(await page.locator('.slip-parcels tbody tr').count()).toBe(2);
    expect(await page.locator('.slip-facts').innerText()).toContain('粤B12345');
    await screenshot(page, 'slips');

    // The print view: the QR image loads and decodes to the slip number (what the gate's scanner reads).
    await page.getByRole('link', { name: '打印核放单' }).click();
    const qr = page.locator('img.slip-print-qr');
    await qr.waitFor();
    await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await qr.evaluate((img: HTMLImageElement) => img.decode());
    expect(await page.locator('.slip-sheet').innerText()).toContain('SEAL-0001');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav.side').isVisible()).toBe(false);
    expect(await page.locator('.no-print').first().isVisible()).toBe(false);
    await screenshot(page, 'slip-print');
    const png = await qr.screenshot();
    // Decoded from what the browser drew, as a gate scanner would (the wasm from node_modules, as the drivers use it).
    const { symbols } = await zxingWasmDecoder().decode(await loadFrame(png));
    expect(symbols.map((s) => [s.format, s.text])).toEqual([['QRCode', slipNo]]);
    await page.emulateMedia({ media: 'screen' });

    // Void: asks the reason, the pill says so, the parcels are candidates again.
    await page.goto(`${rig.hub.httpUrl}/#/slips/${slipNo}`);
    await page.getByRole('button', { name: '作废' }).click();
    await page.locator('#reason').fill('车辆临时更换');
    await page.locator('#reason').press('Enter');
    await expect.poll(() => page.locator('.slip-status').innerText()).toContain('已作废');
    expect(await page.locator('main').innerText()).toContain('作废理由：车辆临时更换');
    expect(await page.getByRole('button', { name: '作废' }).count()).toBe(0);
    expect((await call('officer', 'GET', '/api/slips/candidates?limit=10')).json.items).toHaveLength(2);
    await page.context().close();

    const audit = (await call('manager', 'GET', '/api/audit?from=1&limit=1000')).json.items as { action: string; actor: string; subject: string }[];
    expect(audit.filter((e) => e.subject === slipNo).map((e) => [e.action, e.actor])).toEqual([
      ['slip.issue', 'officer-1'],
      ['slip.void', 'officer-1'],
    ]);
  }, 90_000);

  it('a manager tracks slips read-only: list with status pills, no issue or void', async () => {
    const page = await rig.pageAs('manager');
    await page.goto(`${rig.hub.httpUrl}/#/slips`);
    const row = page.locator('tr', { hasText: slipNo });
    await row.waitFor();
    expect(await row.innerText()).toContain('已作废');
    expect(await page.getByRole('button', { name: '新建核放单' }).count()).toBe(0);
    await page.locator('#sl-status').selectOption('approved');
    await expect.poll(() => page.locator('tr', { hasText: slipNo }).count()).toBe(0);
    await page.goto(`${rig.hub.httpUrl}/#/slips/${slipNo}`);
    await page.locator('.slip-status').waitFor();
    expect(await page.getByRole('button', { name: '作废' }).count()).toBe(0);
    expect(readFileSync(new URL('../../docs/screenshots/slip-print.png', import.meta.url)).length).toBeGreaterThan(1000);
    await page.context().close();
  });
});
