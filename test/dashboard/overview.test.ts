import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { JournalBuilder } from '../../hub/storage/fixtures.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The overview in Debian Chromium, on a hub seeded through its real paths: customs documents posted to
 * /api/documents (cleared ones released by their CEB622 800 receipt, the rest waiting in the officers' queue) and
 * half a day of edge events — warehouse scans, line passes on two inspection lines, officer releases, gate exits —
 * stored and projected as ingest does. Then more parcels arrive and the page's figures change with no reload (SSE).
 */
const HOUR = 3_600_000;
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });

describe.skipIf(!chromiumAvailable())('overview page in a real browser', () => {
  let rig: DashboardRig;
  let parcels: GeneratedParcel[];

  /** Store events with their own edge times (hours ago), as a gateway syncing its journal would. */
  async function history(gatewayId: string, events: [NewEvent, number][]): Promise<void> {
    const j = new JournalBuilder(gatewayId, Date.now() - 24 * HOUR);
    const entries = events.sort((a, b) => a[1] - b[1]).map(([e, at]) => j.next(e, at));
    await rig.hub.storage.ingest(gatewayId, entries, { receivedMs: Date.now() });
    rig.hub.projections.onEvents(gatewayId, entries.map((e) => e.event as EdgeEvent));
    await rig.hub.projections.drained();
  }

  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('overview');
    const token = await rig.token('officer');
    parcels = generateDocumentSets({ seed: 6601 }, 40);
    for (const [i, p] of parcels.entries()) {
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ documents: [...docs(p), ...(i % 4 === 3 ? [] : [cleared(p)])] }) });
      expect(res.status).toBe(200);
    }
    const now = Date.now();
    const events: [NewEvent, number][] = [];
    for (const [i, p] of parcels.entries()) {
      const key = p.set.inventory.logisticsNo;
      const seen = now - 12 * HOUR + i * 15 * 60_000;
      const lineId = i % 3 === 0 ? 'LINE-B' : 'LINE-A';
      const lane = i % 4 === 3 ? 'inspection' : 'release';
      events.push([{ type: 'parcel.scanned', stationId: 'WH-PACK-1', parcelKey: key, payload: { code: key, source: 'scanner' } }, seen]);
      if (seen + 40 * 60_000 > now) continue;
      events.push([
        { type: 'parcel.inspected', stationId: lineId, parcelKey: key, payload: { transactionId: `ov-${i}`, lineId, outcome: 'ok', codes: [key], ...(p.line.measuredWeightKg !== undefined ? { grossWeightKg: p.line.measuredWeightKg } : {}), hubDecision: lane === 'release' ? 'released' : 'inspect', lane, reasons: lane === 'release' ? [] : ['布控查验'] } },
        seen + 40 * 60_000,
      ]);
      if (lane === 'release' && seen + 3 * HOUR < now) events.push([{ type: 'gate.passed', stationId: i % 2 ? 'GATE-N' : 'GATE-S', parcelKey: key, payload: { laneId: 'L2', direction: 'out', vehicleNo: '沪A12345' } }, seen + 3 * HOUR + (i % 5) * 20 * 60_000]);
    }
    await history('GW-ZONE-1', events);
  }, 120_000);
  afterAll(async () => rig?.stop());

  const total = async (page: import('playwright-core').Page, figure: string) => Number(await page.locator(`[data-figure=${figure}] [data-total]`).getAttribute('data-total'));

  it('shows the zone figures, then changes them live when parcels arrive, without a reload', async () => {
    const page = await rig.pageAs('manager');
    await page.locator('[data-figure=in]').waitFor();
    await expect.poll(() => page.locator('.ov-live').innerText()).toContain('实时');
    // Every batch was applied (drained above): the page says the views are current.
    expect(await page.locator('.ov-fresh').getAttribute('data-fresh')).toBe('current');
    expect(await page.locator('.ov-fresh').innerText()).toBe('包裹状态与统计已是最新');
    expect(await total(page, 'in')).toBe(40);
    expect(await total(page, 'out')).toBeGreaterThan(5);
    // Ten of the forty had no customs release (no 800 receipt): they wait in the officers' queue.
    expect(await page.locator('[data-figure=queue] .value').innerText()).toBe('10');
    expect(await page.locator('[data-figure=oldest] a').innerText()).toMatch(/（(待审|暂停放行|查验中)）/);
    expect(await page.locator('[data-dwell=median]').innerText()).toMatch(/小时|分钟/);
    expect(await page.locator('[data-stations=lines] tbody th').allInnerTexts()).toEqual(['LINE-A', 'LINE-B']);
    expect(await page.locator('[data-stations=gates] tbody th').allInnerTexts()).toEqual(expect.arrayContaining(['GATE-N', 'GATE-S']));
    expect(await page.locator('.ov-chart canvas').count()).toBe(1);
    await screenshot(page, 'overview');

    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    await rig.ingest('GW-ZONE-2', [
      { type: 'parcel.scanned', stationId: 'WH-PACK-2', parcelKey: 'LIVE-0001', payload: { code: 'LIVE-0001', source: 'scanner' } },
      { type: 'parcel.scanned', stationId: 'WH-PACK-2', parcelKey: 'LIVE-0002', payload: { code: 'LIVE-0002', source: 'scanner' } },
      { type: 'parcel.scanned', stationId: 'WH-PACK-2', parcelKey: 'LIVE-0003', payload: { code: 'LIVE-0003', source: 'scanner' } },
    ]);
    await expect.poll(() => total(page, 'in'), { timeout: 10_000 }).toBe(43);
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    await page.context().close();
  });

  it('reads in English at a tablet size, for an operator too', async () => {
    const page = await rig.pageAs('operator', { lang: 'en', width: 1024, height: 768 });
    await page.locator('[data-figure=in]').waitFor();
    expect(await page.locator('[data-figure=queue] .label').innerText()).toContain('Customs: cases to handle');
    expect(await page.locator('[data-figure=in] [data-total]').innerText()).toMatch(/in the last 24 h/);
    // Nothing sticks out sideways at 1024 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.getByLabel('Period').selectOption('6');
    await expect.poll(() => page.locator('[data-figure=in] [data-total]').innerText()).toMatch(/in the last 6 h/);
    await screenshot(page, 'overview-en');
    await page.context().close();
  });
});
