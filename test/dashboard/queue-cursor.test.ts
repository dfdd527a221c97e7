import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The queue's cursor names a parcel, not a row (issue 17 item 8): after a one-key action it moves to the next parcel
 * in the officer's order, and the next key acts on the parcel the cursor shows, never on whatever row took the old
 * one's place. (Where it goes when rows re-sort or leave the filter: hub/ui/src/pages/queue-cursor.test.ts.)
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const keyOf = (p: GeneratedParcel) => p.set.waybill.logisticsNo;

describe.skipIf(!chromiumAvailable())('queue cursor in a real browser', () => {
  let rig: DashboardRig;
  let concludedKey = '';
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('queue-cursor');
    // Three declared parcels with no customs receipt yet: all pending in the queue.
    for (const p of generateDocumentSets({ seed: 7402 }, 3)) {
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await rig.token('officer')}` }, body: JSON.stringify({ documents: docs(p) }) });
      expect(res.status).toBe(200);
    }
    // One more, concluded by customs (399) but not released: out of the officers' queue, shown under "all" (issue 16).
    const concluded = generateDocumentSets({ seed: 7403 }, 1)[0]!;
    const receipt = { kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: concluded.set.inventory.copNo }, returnStatus: 399, returnTime: '20260301103000123', returnInfo: '' };
    const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await rig.token('officer')}` }, body: JSON.stringify({ documents: [...docs(concluded), receipt] }) });
    expect(res.status).toBe(200);
    concludedKey = keyOf(concluded);
  }, 90_000);
  afterAll(async () => rig?.stop());

  const reason = async (page: Page, text: string) => {
    await page.locator('#reason').fill(text);
    await page.locator('#reason').press('Enter');
    await page.locator('#reason').waitFor({ state: 'detached' });
  };

  it('after an action the cursor is on the next parcel in the order shown, and the next key acts on that one', async () => {
    const page = await rig.pageAs('officer');
    await page.goto(`${rig.hub.httpUrl}/#/queue`);
    const all = generateDocumentSets({ seed: 7402 }, 3).map(keyOf);
    for (const k of all) await page.locator(`tr[data-key="${k}"]`).waitFor();
    const order = await page.locator('tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')!));
    const [first, second] = order as [string, string];
    await page.locator(`tr[data-key="${first}"]`).click();
    expect(await page.locator('tr.cursor').getAttribute('data-key')).toBe(first);
    await page.keyboard.press('h');
    expect(await page.locator('.dialog').innerText()).toContain(first);
    await reason(page, '核查申报价格');
    await expect.poll(() => page.locator('tr.cursor').getAttribute('data-key'), { timeout: 20_000 }).toBe(second);
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('data-key'))).toBe(second);
    // The next one-key action names the parcel under the cursor.
    await page.keyboard.press('h');
    expect(await page.locator('.dialog').innerText()).toContain(second);
    expect(await page.locator('.dialog').innerText()).not.toContain(first);
    await page.keyboard.press('Escape');
    await page.context().close();
  });

  it("a list customs concluded (399) is not in the officers' queue; under all statuses it reads as awaiting customs' release (issue 16)", async () => {
    for (const lang of ['zh-CN', 'en'] as const) {
      const page = await rig.pageAs('officer', { lang });
      await page.goto(`${rig.hub.httpUrl}/#/queue`);
      await page.locator('tbody tr[data-key]').first().waitFor();
      expect(await page.locator(`tr[data-key="${concludedKey}"]`).count()).toBe(0);
      await page.locator('#qf-status').selectOption('all');
      await page.locator('#qf-q').press('Enter');
      const row = page.locator(`tr[data-key="${concludedKey}"]`);
      await row.waitFor({ timeout: 20_000 });
      expect(await row.innerText()).toContain(lang === 'en' ? 'Concluded, awaiting release' : '已审结，待海关放行');
      await page.context().close();
    }
  });
});
