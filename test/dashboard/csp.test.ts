import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, startDashboardRig, uiBuilt, USERS, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The dashboard under the hub's Content-Security-Policy (hub/http-guards.ts: scripts and styles from the hub only,
 * no inline ones): every page renders, the uPlot charts included, without one violation, and its own sign-in and
 * changes pass the hub's Origin check.
 */
describe.skipIf(!chromiumAvailable())('dashboard under the CSP in a real browser', () => {
  let rig: DashboardRig;
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('csp');
    const token = await rig.token('officer');
    for (const p of generateDocumentSets({ seed: 4242, tradeModes: ['1210'] }, 4)) {
      const documents = Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ documents }) });
      expect(res.status).toBe(200);
    }
  }, 120_000);
  afterAll(async () => rig?.stop());

  it('renders every page, charts included, with no CSP violation, and signs in and out through the Origin check', async () => {
    const context = await rig.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    // Recorded from the first script on: a violation anywhere (a blocked style, script, image or connection) lands here.
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const violations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    const header = (await page.goto(rig.hub.httpUrl))!.headers()['content-security-policy'];
    expect(header).toContain("script-src 'self'");
    await page.locator('#username').fill(USERS.admin.username);
    await page.locator('#password').fill(USERS.admin.password);
    await page.locator('#password').press('Enter');
    await page.locator('nav.side').waitFor();

    for (const route of ['#/overview', '#/stats', '#/queue', '#/stock', '#/slips', '#/admin', '#/parcels']) {
      await page.goto(`${rig.hub.httpUrl}/${route}`);
      await page.locator('main').waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      expect([route, await violations()]).toEqual([route, []]);
    }
    // The charts drew (uPlot styles its canvas through the CSSOM, which the policy allows).
    await page.goto(`${rig.hub.httpUrl}/#/stats`);
    await expect.poll(() => page.locator('.stats-chart canvas').count()).toBe(1);
    expect(await violations()).toEqual([]);

    // The listener does catch what the policy forbids: an inline style attribute is blocked and reported.
    await page.evaluate(() => {
      const d = document.createElement('div');
      d.innerHTML = '<span style="color: red">x</span>';
      document.body.append(d);
    });
    await expect.poll(async () => (await violations()).some((v) => v.startsWith('style-src'))).toBe(true);

    // Signing out is a POST from the page itself: it passes the Origin check and ends the session.
    const out = await page.evaluate(async () => (await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' })).status);
    expect(out).toBe(204);
    expect(await page.evaluate(async () => (await fetch('/api/me', { credentials: 'same-origin' })).status)).toBe(401);
    await context.close();
  }, 120_000);
});
