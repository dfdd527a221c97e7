import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The pages people use on the move, on a phone (390 px) and a small tablet (768 px), in both languages (issue 17
 * item 7): nothing wider than the screen — no horizontal scroll of the page; wide tables scroll inside their own box.
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));

/** What sticks out of the viewport: the page's scroll width and the widest offenders, for a useful failure message. */
async function overflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; offenders: string[] }> {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const offenders: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= vw + 1) continue;
      // Inside a box that scrolls by itself (a wide table's wrapper) is fine: the page does not scroll.
      let p: Element | null = el.parentElement;
      let clipped = false;
      while (p && p !== document.body) {
        const s = getComputedStyle(p);
        if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') {
          clipped = true;
          break;
        }
        p = p.parentElement;
      }
      if (!clipped) offenders.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} right=${Math.round(r.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, clientWidth: vw, offenders: offenders.slice(0, 8) };
  });
}

describe.skipIf(!chromiumAvailable())('pages on phones and small tablets', () => {
  let rig: DashboardRig;
  let key = '';
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('responsive');
    const sets = generateDocumentSets({ seed: 7501 }, 4);
    key = sets[0]!.set.waybill.logisticsNo;
    for (const p of sets) {
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await rig.token('officer')}` }, body: JSON.stringify({ documents: docs(p) }) });
      expect(res.status).toBe(200);
    }
    await rig.ingest('GW-ZONE-PHONE-01', [
      { type: 'device.health', stationId: 'LINE-1', deviceId: 'XRAY-LINE-01', payload: { status: 'down', detail: 'OPC UA session closed by the server (BadSessionIdInvalid)' } },
      { type: 'parcel.scanned', stationId: 'LINE-1', deviceId: 'scanner-1', parcelKey: key, payload: { code: key, source: 'scanner' } },
      { type: 'parcel.weighed', stationId: 'LINE-1', deviceId: 'scale-1', parcelKey: key, payload: { grossWeightKg: 1.234, stable: true } },
    ]);
  }, 90_000);
  afterAll(async () => rig?.stop());

  const pages = () => [
    ['overview', '#/overview'],
    ['search', `#/parcels?q=${key.slice(0, 4)}`],
    ['journey', `#/parcels/${key}`],
    ['queue', '#/queue'],
    ['gateways', '#/gateways'],
  ] as const;

  for (const width of [390, 768]) {
    for (const lang of ['zh-CN', 'en'] as const) {
      it(`${width} px, ${lang}: no page scrolls sideways`, async () => {
        const page = await rig.pageAs('officer', { width, height: 844, lang });
        const bad: string[] = [];
        for (const [name, hash] of pages()) {
          await page.goto(`${rig.hub.httpUrl}/${hash}`);
          await page.locator('main h1').first().waitFor();
          await page.waitForLoadState('networkidle');
          if (name === 'gateways') await page.locator('tr[data-gateway] button').first().click();
          const o = await overflow(page);
          if (o.scrollWidth > o.clientWidth) bad.push(`${name}: ${o.scrollWidth} > ${o.clientWidth} (${o.offenders.join(', ')})`);
          if (width === 390 && lang === 'zh-CN') await screenshot(page, `mobile-${name}`);
        }
        expect(bad).toEqual([]);
        await page.context().close();
      }, 90_000);
    }
  }
});
