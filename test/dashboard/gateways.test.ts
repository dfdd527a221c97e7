import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayId, NewEvent } from '../../shared/schemas/events.ts';
import { PROTOCOL_VERSION } from '../../shared/sync-protocol.ts';
import { chromiumAvailable, screenshot, startDashboardRig, uiBuilt, type DashboardRig } from '../helpers/dashboard.ts';

/**
 * The gateways page in Chromium: a gateway's backlog and disk from its last status, its devices' health, alarms raised
 * by edge events (device down, fence breached) and acknowledged with a reason that lands on the audit chain.
 */
describe.skipIf(!chromiumAvailable())('gateways and devices page', () => {
  let rig: DashboardRig;
  beforeAll(async () => {
    if (!uiBuilt()) throw new Error('hub/ui/dist is missing: run npm run build:ui (npm test does it first)');
    rig = await startDashboardRig('gateways');
    const now = Date.now();
    const health = (deviceId: string, stationId: string, status: 'up' | 'down' | 'degraded', detail?: string): NewEvent => ({ type: 'device.health', stationId, deviceId, payload: { status, ...(detail ? { detail } : {}) } });
    await rig.ingest('gw-zone-a', [
      health('SCALE-01', 'LINE-1', 'up'),
      health('XRAY-01', 'LINE-1', 'degraded', '射线管预热中'),
      health('SCANNER-03', 'LINE-1', 'down', '30 秒无数据帧'),
      { type: 'fence.breached', stationId: 'GPS-TRK', deviceId: 'GPS-88', payload: { fenceId: 'ZONE-A', sealId: 'ES-20260712', confidence: 'high', lat: 22.52, lon: 113.93 } },
      { type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'disk_soft_limit', detail: '日志占用 82%' } },
    ]);
    await rig.ingest('gw-gate-1', [health('LPR-01', 'GATE-IN', 'up'), health('BARRIER-01', 'GATE-IN', 'up')]);
    await rig.hub.storage.recordStatus(
      'gw-zone-a',
      { v: PROTOCOL_VERSION, gatewayId: 'gw-zone-a' as GatewayId, backlog: { count: 1234, oldestWallMs: now - 12 * 60_000 }, ackedSeq: 5, headSeq: 1239, disk: { usedBytes: 82e8, quotaBytes: 1e10, level: 'soft' }, clockSynced: true, wallMs: now, uptimeMs: 1e6 },
      now,
      35,
    );
    await rig.hub.storage.recordStatus(
      'gw-gate-1',
      { v: PROTOCOL_VERSION, gatewayId: 'gw-gate-1' as GatewayId, backlog: { count: 0, oldestWallMs: null }, ackedSeq: 2, headSeq: 2, disk: { usedBytes: 1e9, quotaBytes: 1e10, level: 'ok' }, clockSynced: true, wallMs: now, uptimeMs: 1e6 },
      now,
      -4,
    );
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('shows backlog and devices, lists alarms, and a manager acknowledges one with a reason on the audit chain', async () => {
    const page = await rig.pageAs('manager');
    await page.goto(`${rig.hub.httpUrl}/#/gateways`);
    const row = page.locator('tr[data-gateway="gw-zone-a"]');
    await expect.poll(() => row.locator('td.backlog').innerText()).toContain('1,234');
    expect(await row.innerText()).toContain('在线');
    expect(await row.innerText()).toContain('12 分钟');
    await row.getByRole('button', { name: '查看设备' }).click();
    const devices = page.locator('#devices-gw-zone-a');
    await expect.poll(() => devices.innerText()).toContain('SCANNER-03');
    expect(await devices.locator('tr', { hasText: 'SCANNER-03' }).innerText()).toContain('故障');
    expect(await devices.locator('tr', { hasText: 'XRAY-01' }).innerText()).toContain('性能下降');

    const alarms = page.locator('table.alarms tbody tr');
    await expect.poll(() => alarms.count()).toBe(3);
    const down = page.locator('tr[data-kind="device_down"]');
    expect(await down.innerText()).toContain('设备离线');
    expect(await page.locator('tr[data-kind="fence_breached"]').innerText()).toContain('严重');
    await screenshot(page, 'gateways');

    await down.getByRole('button', { name: '确认' }).click();
    await page.locator('#reason').fill('已通知设备维护人员更换扫描枪');
    await page.locator('#reason').press('Enter');
    await expect.poll(() => down.locator('td.state').innerText()).toContain('已确认');
    expect(await down.locator('td.state').innerText()).toContain('manager-1');

    const res = await fetch(`${rig.hub.httpUrl}/api/audit?limit=100`, { headers: { authorization: `Bearer ${await rig.token('admin')}` } });
    const audit = (await res.json()) as { items: { actor: string; action: string; detail: { reason?: string; kind?: string } }[] };
    expect(audit.items.filter((e) => e.action === 'alarm.ack')).toEqual([expect.objectContaining({ actor: 'manager-1', detail: expect.objectContaining({ reason: '已通知设备维护人员更换扫描枪', kind: 'device_down' }) })]);
    await page.context().close();
  });

  it('a device that keeps dropping is degraded with its count, and its recovered alarm stays until acknowledged (issue 17 item 9)', async () => {
    const health = (status: 'up' | 'down'): NewEvent => ({ type: 'device.health', stationId: 'LINE-9', deviceId: 'XRAY-09', payload: { status, ...(status === 'down' ? { detail: 'disconnected' } : {}) } });
    await rig.ingest('gw-line-9', [health('down'), health('up'), health('down'), health('up'), health('down'), health('up')]);
    const page = await rig.pageAs('manager');
    await page.goto(`${rig.hub.httpUrl}/#/gateways`);
    const row = page.locator('tr[data-gateway="gw-line-9"]');
    await row.getByRole('button', { name: '查看设备' }).click();
    const dev = page.locator('#devices-gw-line-9 tr', { hasText: 'XRAY-09' });
    await expect.poll(() => dev.innerText(), { timeout: 20_000 }).toContain('性能下降');
    expect(await dev.innerText()).toContain('10 分钟内断开 3 次');
    const alarm = page.locator('tr[data-kind="device_down"]', { hasText: 'XRAY-09' });
    await expect.poll(() => alarm.innerText(), { timeout: 20_000 }).toContain('反复发生，需确认');
    expect(await alarm.locator('td.state').innerText()).toContain('未处理');
    await page.context().close();
  });

  it('lets an officer read alarms without acknowledging, and refuses the ack API to the role', async () => {
    const page = await rig.pageAs('officer', { lang: 'en' });
    await page.goto(`${rig.hub.httpUrl}/#/gateways`);
    await expect.poll(() => page.locator('table.alarms tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    const list = (await (await fetch(`${rig.hub.httpUrl}/api/alarms?state=open`, { headers: { authorization: `Bearer ${await rig.token('officer')}` } })).json()) as { items: { id: string }[] };
    const refused = await fetch(`${rig.hub.httpUrl}/api/alarms/${list.items[0]!.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${await rig.token('officer')}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'x' }) });
    expect(refused.status).toBe(403);
    const empty = await fetch(`${rig.hub.httpUrl}/api/alarms/${list.items[0]!.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${await rig.token('operator')}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: '  ' }) });
    expect(((await empty.json()) as { code: string; fields: { field: string }[] }).fields[0]!.field).toBe('body.reason');
    await page.context().close();
  });
});
