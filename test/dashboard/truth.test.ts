import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDemoSlip } from '../../cli/demo-documents.ts';
import { toReceiptTime } from '../../hub/customs/documents.ts';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * Issue 17, "one truth on every screen", in Debian Chromium in both languages, at 1366 px and 390 px:
 * 1. the overview's figures say whose act they count (line vs customs), carry their definition on hover, and the
 *    customs figures equal the statistics page's;
 * 2. a parcel the line diverted with no declaration is in the officers' queue as a line exception until handled;
 * 3. the parcel page shows one state — inspected, passed, awaiting customs' release — with what it waits for and who
 *    acts next, and a parcel whose slip passed the gate is out, never "not seen on site";
 * 4. the demo's slip is issued through the slip service: it is on the slips page and found by search.
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const receipt = (p: GeneratedParcel, status: number, atMs: number) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: status, returnTime: toReceiptTime(atMs), returnInfo: '' });
const noHorizontalScroll = async (page: Page) => {
  const ok = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  if (!ok) console.log(await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => !e.closest('nav') && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 12).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)} ${(e.textContent ?? "").slice(0, 60)} in ${e.parentElement?.className}`)));
  return ok;
};

describe.skipIf(!chromiumAvailable())('one truth on every screen (issue 17)', () => {
  let rig: DashboardRig;
  let parcels: GeneratedParcel[];
  let inspectedKey = '';
  let slipNo = '';
  let onSlipKey = '';
  const UNDECLARED = ['EX000000001CN', 'EX000000002CN'];

  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('truth');
    const token = await rig.token('officer');
    const post = (path: string, body: unknown) => fetch(`${rig.hub.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    parcels = generateDocumentSets({ seed: 1717 }, 12);
    const now = Date.now();
    for (const [i, p] of parcels.entries()) {
      // Most released by customs (800); one ordered for inspection (500); two without customs' word yet.
      const status = i === 5 ? 500 : i >= 10 ? null : 800;
      const res = await post('/api/documents', { documents: [...docs(p), ...(status === null ? [] : [receipt(p, status, now - 60_000)])] });
      expect(res.status).toBe(200);
    }
    inspectedKey = parcels[5]!.set.inventory.logisticsNo;
    // The bench passes the inspection: under the receipt authority the case waits for customs' 800.
    const passed = await post(`/api/cases/${inspectedKey}/actions`, { action: 'result', result: 'pass', reason: '开箱查验无异常', where: 'BENCH-1' });
    expect(passed.status).toBe(200);
    // The line: every declared parcel down the release lane, except the inspected one; two undeclared labels diverted.
    await rig.ingest('GW-LINE-1', [
      ...parcels.map((p, i) => ({ type: 'parcel.inspected' as const, stationId: 'LINE-1', parcelKey: p.set.inventory.logisticsNo, payload: { transactionId: `tr-${i}`, lineId: 'LINE-1', outcome: 'ok' as const, codes: [p.set.inventory.logisticsNo], hubDecision: 'released' as const, lane: i === 5 ? ('inspection' as const) : ('release' as const), reasons: [] } })),
      ...UNDECLARED.map((key, i) => ({ type: 'parcel.inspected' as const, stationId: 'LINE-1', parcelKey: key, payload: { transactionId: `tx-${i}`, lineId: 'LINE-1', outcome: 'unknown_parcel' as const, codes: [key], hubDecision: 'unknown' as const, lane: 'exception' as const, reasonCodes: [{ code: 'line.unknown-parcel', params: { code: key } }] } })),
    ]);
    // The demo's slip, made as the demo makes it; the truck passes the gate (the passage names the slip only).
    slipNo = (await issueDemoSlip(rig.hub, 'officer-1'))!;
    expect(slipNo).toMatch(/^Z5301E\d{15}$/);
    const detail = (await (await fetch(`${rig.hub.httpUrl}/api/slips/${slipNo}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { slip: { goods: string[] } };
    onSlipKey = detail.slip.goods[0]!;
    await rig.ingest('GW-GATE-1', [{ type: 'gate.passed', stationId: 'GATE-OUT-1', payload: { laneId: 'OUT-1', direction: 'out', slipNo, vehicleNo: '粤B12345' } }]);
  }, 120_000);
  afterAll(async () => rig?.stop());

  for (const [lang, width] of [
    ['zh-CN', 1366],
    ['en', 1366],
    ['zh-CN', 390],
    ['en', 390],
  ] as const) {
    const tag = `${lang === 'en' ? '-en' : ''}${width === 390 ? '-390' : ''}`;

    it(`overview: line and customs figures apart, definitions on hover, customs = statistics (${lang}, ${width} px)`, async () => {
      const page = await rig.pageAs('officer', { lang, width, height: 900 });
      await page.locator('[data-figure="customs.released"]').waitFor();
      const def = page.locator('[data-figure="customs.released"] [data-def]');
      expect(await def.innerText()).toContain(lang === 'en' ? 'Customs: cases released' : '海关：已放行案件');
      expect(await def.getAttribute('title')).toContain(lang === 'en' ? 'statistics page' : '统计监测');
      expect(await page.locator('[data-figure=held] [data-def]').innerText()).toContain(lang === 'en' ? 'Line: diverted to inspection / exception' : '现场：分流至查验/异常道');
      expect(await page.locator('[data-figure=held] [data-def]').getAttribute('title')).toContain(lang === 'en' ? 'not a customs hold' : '不是海关暂停放行');
      // The same number the statistics page totals (its default range).
      const report = (await (await fetch(`${rig.hub.httpUrl}/api/stats?groupBy=status`, { headers: { authorization: `Bearer ${await rig.token('officer')}` } })).json()) as { total: { byStatus: Record<string, number> } };
      expect(Number(await page.locator('[data-figure="customs.released"] .value').innerText())).toBe(report.total.byStatus.released);
      await def.hover();
      expect(await noHorizontalScroll(page)).toBe(true);
      await screenshot(page, `truth-overview${tag}`);
      await page.context().close();
    });

    it(`queue: a diverted parcel with no declaration is a line exception until handled (${lang}, ${width} px)`, async () => {
      const page = await rig.pageAs('officer', { lang, width, height: 900 });
      await page.goto(`${rig.hub.httpUrl}/#/queue`);
      const section = page.locator('[data-section=line-exceptions]');
      await section.locator('tbody tr').first().waitFor();
      expect(await section.locator('h2').innerText()).toContain(lang === 'en' ? 'Line exceptions (no declaration)' : '现场异常（无申报）');
      expect(await section.locator('[data-lx] a').allInnerTexts()).toEqual(expect.arrayContaining([UNDECLARED[1]!]));
      await section.scrollIntoViewIfNeeded();
      expect(await noHorizontalScroll(page)).toBe(true);
      await screenshot(page, `truth-queue${tag}`);
      await page.context().close();
    });

    it(`parcel page: one state, what it waits for, who acts next; out after its slip passed (${lang}, ${width} px)`, async () => {
      const page = await rig.pageAs('officer', { lang, width, height: 900 });
      await page.goto(`${rig.hub.httpUrl}/#/parcels/${inspectedKey}`);
      const standing = page.locator('[data-standing]');
      await standing.waitFor();
      expect(await standing.getAttribute('data-standing')).toBe('inspected_awaiting_release');
      expect(await standing.innerText()).toContain(lang === 'en' ? "Inspected — passed, awaiting customs' release" : '已查验 — 通过，等待海关放行');
      expect(await standing.locator('[data-next-actor]').innerText()).toBe(lang === 'en' ? 'customs' : '海关');
      expect(await noHorizontalScroll(page)).toBe(true);
      await screenshot(page, `truth-parcel${tag}`);

      await page.goto(`${rig.hub.httpUrl}/#/parcels/${onSlipKey}`);
      await page.locator('[data-standing=exited]').waitFor();
      expect(await page.locator('.parcels .summary').innerText()).not.toContain(lang === 'en' ? 'Not seen on site yet' : '现场尚未作业');
      await page.context().close();
    });

    it(`the demo's slip is a slip like any other: on the slips page and found by search (${lang}, ${width} px)`, async () => {
      const page = await rig.pageAs('officer', { lang, width, height: 900 });
      await page.goto(`${rig.hub.httpUrl}/#/slips/${slipNo}`);
      await page.getByText(slipNo).first().waitFor();
      await page.goto(`${rig.hub.httpUrl}/#/parcels?q=${slipNo}`);
      await page.locator(`a[href*="${onSlipKey}"]`).first().waitFor();
      expect(await noHorizontalScroll(page)).toBe(true);
      if (width === 1366) await screenshot(page, `truth-slip-search${tag}`);
      await page.context().close();
    });
  }

  it('an officer handles a line exception with a reason; it leaves the queue and is on the audit chain', async () => {
    const page = await rig.pageAs('officer', { lang: 'zh-CN', width: 1366 });
    await page.goto(`${rig.hub.httpUrl}/#/queue`);
    const row = page.locator(`[data-lx="${UNDECLARED[0]}"]`);
    await row.waitFor();
    await row.locator('[data-lx-handle]').click();
    await page.locator('[role=dialog] textarea').fill('标签破损，已通知企业重贴并补充申报');
    await page.locator('[role=dialog] button[type=submit]').click();
    await expect.poll(() => page.locator(`[data-lx="${UNDECLARED[0]}"]`).count(), { timeout: 20_000 }).toBe(0);
    const audit = await rig.hub.storage.auditRange(1, 1000);
    expect(audit.map((a) => [a.actor, a.action, a.subject])).toContainEqual(['officer-1', 'line-exception.handle', UNDECLARED[0]]);
    await page.context().close();
  });
});
