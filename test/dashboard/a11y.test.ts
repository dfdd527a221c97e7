import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * Every dashboard page checked by axe-core (WCAG 2.1 A and AA rules: labels, names, contrast, landmarks, ARIA) in
 * Debian Chromium, in Chinese and in English. Serious and critical findings fail the test, named by rule and element.
 */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = ['overview', 'parcels', 'queue', 'slips', 'stock', 'gateways', 'stats', 'admin'];

describe.skipIf(!chromiumAvailable())('dashboard accessibility (axe-core)', () => {
  let rig: DashboardRig;
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('a11y');
  }, 60_000);
  afterAll(async () => rig?.stop());

  it.each(['zh-CN', 'en'] as const)('has no serious or critical WCAG A/AA findings on any page (%s)', async (lang) => {
    // axe-core is injected as an inline script, which the hub's CSP refuses by design (csp.test.ts checks it holds).
    const page = await rig.pageAs('admin', { lang, bypassCsp: true });
    const findings: string[] = [];
    for (const id of PAGES) {
      await page.goto(`${rig.hub.httpUrl}/#/${id}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.addScriptTag({ content: axeSource });
      const result = (await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      })) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
      for (const v of result.violations) if (v.impact === 'serious' || v.impact === 'critical') findings.push(`${id}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    }
    expect(findings).toEqual([]);
    await page.context().close();
  }, 120_000);
});
