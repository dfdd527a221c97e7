import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The statistics page in Chromium: documents posted through the real API become cases, the cases roll up by
 * supervision mode, the page shows the counts per mode and a daily chart, and the CSV export downloads with a BOM,
 * the header in the user's language and one row per mode.
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const receipt = (p: GeneratedParcel, status: number) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: status, returnTime: '20260301103000123', returnInfo: '' });

describe.skipIf(!chromiumAvailable())('statistics page in a real browser', () => {
  let rig: DashboardRig;
  const counts: Record<string, number> = {};
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('stats');
    const token = await rig.token('officer');
    // A day's mix: bonded (1210) and direct (9610) parcels, most cleared by customs, some awaiting a receipt.
    const sets = generateDocumentSets({ seed: 6061, tradeModes: ['1210', '9610'] }, 14);
    for (const [i, p] of sets.entries()) {
      const documents = [...docs(p), ...(i % 4 === 3 ? [] : [receipt(p, 800)])];
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ documents }) });
      expect(res.status).toBe(200);
      counts[p.set.inventory.tradeMode] = (counts[p.set.inventory.tradeMode] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['1210', '9610']);
  }, 120_000);
  afterAll(async () => rig?.stop());

  it('shows counts by supervision mode, the daily chart, and switches grouping by keyboard', async () => {
    const page = await rig.pageAs('manager');
    await page.goto(`${rig.hub.httpUrl}/#/stats`);
    const table = page.locator('[role=tabpanel] table');
    await table.waitFor();
    const row = (mode: string) => table.locator('tbody tr', { has: page.locator('th', { hasText: mode }) });
    await expect.poll(() => row('1210').locator('td').first().innerText()).toBe(String(counts['1210']));
    expect(await row('9610').locator('td').first().innerText()).toBe(String(counts['9610']));
    expect(await table.locator('tfoot td').first().innerText()).toBe('14');
    expect(await page.getByTestId('stats-total-cases').innerText()).toBe('14');
    expect(await page.locator('.stats-chart canvas').count()).toBe(1);
    // Released plus the rest add up: three of the fourteen have no receipt yet and stay pending.
    const statusCol = async (name: string) => {
      const headers = await table.locator('thead th').allInnerTexts();
      return Number(await table.locator('tfoot td').nth(headers.indexOf(name) - 1).innerText());
    };
    expect(await statusCol('待处理')).toBeGreaterThanOrEqual(3);
    expect((await statusCol('已放行')) + (await statusCol('待处理')) + (await statusCol('暂停放行')) + (await statusCol('查验中'))).toBe(14);
    await screenshot(page, 'stats');
    // Arrow keys move between the grouping tabs.
    await page.getByRole('tab', { name: '按监管方式' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: '按日期' }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => table.locator('tbody th').count()).toBe(1);
    // A filter on one mode narrows the report.
    await page.getByRole('checkbox', { name: /9610/ }).check();
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => page.getByTestId('stats-total-cases').innerText()).toBe(String(counts['9610']));
    await page.context().close();
  });

  it('downloads CSV with a BOM and one row per mode, headers in the chosen language', async () => {
    for (const lang of ['zh-CN', 'en'] as const) {
      const page = await rig.pageAs('officer', { lang });
      await page.goto(`${rig.hub.httpUrl}/#/stats`);
      await page.locator('[role=tabpanel] table').waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: lang === 'en' ? 'Export CSV' : '导出 CSV' }).click()]);
      const bytes = readFileSync((await download.path())!);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
      expect(lines[0]).toBe(lang === 'en' ? 'Supervision mode,Cases,Declared value (CNY),Pending,Awaiting release,Released,Held,Inspection,Seized,Returned,Destroyed,Cancelled,Cases with no rate' : '监管方式,单量,申报货值（元）,待处理,已审结待放行,已放行,暂停放行,查验中,已查扣,已退运,已销毁,已撤销,无汇率单量');
      const body = Object.fromEntries(lines.slice(1).map((l) => [l.split(',')[0], Number(l.split(',')[1])]));
      expect(body).toEqual({ '1210': counts['1210'], '9610': counts['9610'], [lang === 'en' ? 'Total' : '合计']: 14 });
      if (lang === 'en') await screenshot(page, 'stats-en');
      await page.context().close();
    }
  });

  it('is refused to operators, in the API as in the page', async () => {
    const res = await fetch(`${rig.hub.httpUrl}/api/stats`, { headers: { authorization: `Bearer ${await rig.token('operator')}` } });
    expect(res.status).toBe(403);
    const bad = await fetch(`${rig.hub.httpUrl}/api/stats?from=2026-01-02&to=2026-01-01`, { headers: { authorization: `Bearer ${await rig.token('manager')}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { field: string }[] }).fields[0]!.field).toBe('from');
  });
});
