import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardSimulator } from '../../hub/eport/card-simulator.ts';
import { Secret } from '../../hub/eport/pin.ts';
import { chromiumAvailable, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The e-port signer on the gateways page (issue 18): admins and managers see the card client's state and the
 * certificate's days left; an expiring certificate shows as a warning there and as an alarm with its own label.
 */
describe.skipIf(!chromiumAvailable())('e-port signer panel', () => {
  const PIN = 'dash-pin-6614-quay';
  let rig: DashboardRig;
  let sim: CardSimulator;
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    sim = new CardSimulator({ pin: new Secret(PIN), validDays: 10 });
    const url = await sim.start();
    process.env.BG_TEST_EPORT_PIN = PIN;
    rig = await startDashboardRig('eport-signer', { eport: { signer: { kind: 'card', url, pinEnv: 'BG_TEST_EPORT_PIN' } } });
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
    await sim?.stop();
    delete process.env.BG_TEST_EPORT_PIN;
  });

  it('a manager sees the card client OK and the certificate expiring, with the alarm labelled; an operator does not see the panel', async () => {
    const page = await rig.pageAs('manager');
    await page.goto(`${rig.hub.httpUrl}/#/gateways`);
    const panel = page.locator('section.eport-signer');
    await expect.poll(() => panel.innerText(), { timeout: 20_000 }).toContain('证书即将到期');
    expect(await panel.innerText()).toContain('正常');
    expect(await panel.innerText()).toContain(sim.certificate.serialNumber);
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain('电子口岸签名证书即将到期');
    const op = await rig.pageAs('operator');
    await op.goto(`${rig.hub.httpUrl}/#/gateways`);
    await op.locator('h1#page-title').waitFor();
    expect(await op.locator('section.eport-signer').count()).toBe(0);
  });
});
