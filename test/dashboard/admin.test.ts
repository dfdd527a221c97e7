import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocumentSets, type GeneratedParcel } from '../../hub/customs/generate-docs.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The admin page in Chromium: an admin creates a user who can then sign in, registers a gateway and sees its password
 * once, tries a risk rule change (sampling every parcel) against today's parcels, sees which parcels it would move
 * and why, applies it, and the next parcel is decided under the new version.
 */
const docs = (p: GeneratedParcel) => Object.entries(p.set).map(([kind, d]) => ({ kind, ...(d as object) }));
const cleared = (p: GeneratedParcel) => ({ kind: 'receipt', messageType: 'CEB622', refersTo: { kind: 'inventory', copNo: p.set.inventory.copNo }, returnStatus: 800, returnTime: '20260301103000123', returnInfo: '' });
const chinaToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe.skipIf(!chromiumAvailable())('admin page in a real browser', () => {
  let rig: DashboardRig;
  let post: (p: GeneratedParcel) => Promise<{ decision: string; reasons: { rule: string }[]; risk: { rulesVersion: string } }>;
  const seeded: string[] = [];
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('admin');
    const token = await rig.token('officer');
    post = async (p) => {
      const res = await fetch(`${rig.hub.httpUrl}/api/documents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ documents: [...docs(p), cleared(p)] }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { outcomes: never[] }).outcomes[0]!;
    };
    for (const p of generateDocumentSets({ seed: 7071 }, 5)) {
      expect((await post(p)).decision).toBe('released');
      seeded.push(p.set.waybill.logisticsNo);
    }
  }, 120_000);
  afterAll(async () => rig?.stop());

  it('creates a user who can then sign in, and issues gateway credentials shown once', async () => {
    const page = await rig.pageAs('admin');
    await page.goto(`${rig.hub.httpUrl}/#/admin`);
    await page.getByLabel('用户名', { exact: true }).fill('clerk-7');
    await page.getByLabel('姓名', { exact: true }).fill('王小明');
    await page.locator('#new-role').selectOption('manager');
    await page.getByLabel('初始密码').fill('amber-otter-lantern-7');
    await page.getByRole('button', { name: '创建用户' }).click();
    await expect.poll(() => page.locator('tbody tr', { hasText: 'clerk-7' }).count()).toBe(1);
    expect(await page.locator('#role-clerk-7').inputValue()).toBe('manager');

    await page.getByLabel('网关编号').fill('GW-ADMIN-9');
    await page.getByRole('button', { name: '登记网关并签发凭证' }).click();
    const password = await page.getByTestId('gateway-password').innerText();
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(await page.locator('.credentials').innerText()).toContain('只显示这一次');
    expect((await rig.hub.storage.getGateway('GW-ADMIN-9'))?.passwordHash).toMatch(/^scrypt\$/);
    await page.getByRole('button', { name: '我已保存，关闭' }).click();
    expect(await page.getByTestId('gateway-password').count()).toBe(0);
    await page.context().close();

    // The new user signs in with the password the admin set.
    const context = await rig.browser.newContext();
    const other = await context.newPage();
    await other.goto(rig.hub.httpUrl);
    await other.locator('#username').fill('clerk-7');
    await other.locator('#password').fill('amber-otter-lantern-7');
    await other.locator('#password').press('Enter');
    await expect.poll(() => other.locator('.who').innerText()).toContain('clerk-7');
    expect(await other.locator('nav.side a', { hasText: '统计监测' }).count()).toBe(1);
    await context.close();
  });

  it('runs a what-if that holds more parcels, shows which and why, applies it, and the next parcel follows it', async () => {
    const page = await rig.pageAs('admin');
    await page.goto(`${rig.hub.httpUrl}/#/admin`);
    await expect.poll(() => page.locator('#rule-sampling-rate').inputValue()).toBe('0');
    await page.locator('#rule-sampling-rate').fill('1');
    await page.locator('#whatif-day').fill(chinaToday());
    await page.getByRole('button', { name: /试算/ }).click();
    const result = page.getByTestId('what-if');
    await result.waitFor();
    const count = (decision: string, col: number) => result.locator(`tr[data-decision=${decision}] td`).nth(col).innerText();
    expect(await count('released', 0)).toBe('5');
    expect(await count('released', 1)).toBe('0');
    expect(await count('pending', 1)).toBe('5');
    const changedKeys = await result.locator('.changed tbody th code').allInnerTexts();
    expect(changedKeys.sort()).toEqual([...seeded].sort());
    expect(await result.locator('.changed tbody tr').first().innerText()).toContain('sample.random');
    await screenshot(page, 'admin');

    // An invalid value is refused with its field path.
    await page.locator('#rule-sampling-rate').fill('2');
    await page.getByRole('button', { name: /试算/ }).click();
    await expect.poll(() => page.locator('[role=alert]').first().innerText()).toContain('rules.sampling.rate');
    expect(await page.locator('#rule-sampling-rate').getAttribute('aria-invalid')).toBe('true');

    await page.locator('#rule-sampling-rate').fill('1');
    await page.getByLabel('变更说明').fill('专项行动：全部抽检');
    await page.getByRole('button', { name: '应用为新版本' }).click();
    await expect.poll(() => page.locator('[role=status]').last().innerText()).toContain('v2');
    const history = page.locator('table', { has: page.locator('th', { hasText: '版本标识' }) });
    await expect.poll(() => history.locator('tbody tr').first().innerText()).toContain('专项行动');
    expect(await history.locator('tbody tr').first().innerText()).toContain('生效中');
    await page.context().close();

    const next = await post(generateDocumentSets({ seed: 7072 }, 1)[0]!);
    expect(next.risk.rulesVersion).toBe('v2');
    expect(next.decision).toBe('pending');
    expect(next.reasons.map((r) => r.rule)).toContain('risk:sample.random');
    // Audited, and the API is the admin's alone.
    const audit = await fetch(`${rig.hub.httpUrl}/api/audit?action=risk-rules.apply`, { headers: { authorization: `Bearer ${await rig.token('admin')}` } });
    expect(JSON.stringify(await audit.json())).toContain('risk-rules:v2');
    const refused = await fetch(`${rig.hub.httpUrl}/api/risk-rules`, { headers: { authorization: `Bearer ${await rig.token('officer')}` } });
    expect(refused.status).toBe(403);
  });
});
