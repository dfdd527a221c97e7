import { expect, it } from 'vitest';
import { createLogger } from '../../shared/log.ts';
import type { EdgeEvent, NewEvent } from '../../shared/schemas/events.ts';
import { eachStore } from '../../test/helpers/stores.ts';
import { openAlarmRepo } from '../repos/alarms.ts';
import { JournalBuilder } from '../storage/fixtures.ts';
import { run } from '../storage/sql.ts';
import { AlarmService } from './alarms.ts';

const log = createLogger('test', 'silent');
const health = (deviceId: string, status: 'up' | 'down' | 'degraded', detail?: string): NewEvent => ({ type: 'device.health', stationId: 'LINE-1', deviceId, payload: { status, ...(detail ? { detail } : {}) } });

eachStore('alarms projection and service', (store) => {
  const setup = async (gw: string) => {
    const repo = openAlarmRepo(store().sql);
    await repo.migrate();
    await repo.migrate();
    const svc = new AlarmService({ storage: store(), alarms: repo, log, now: () => 9_000_000 });
    const j = new JournalBuilder(gw);
    const events = (...es: NewEvent[]) => es.map((e) => j.next(e).event as EdgeEvent);
    return { repo, svc, events };
  };

  it('raises, counts and clears alarms from events, keeps the latest health per device, and a replay changes nothing', async () => {
    const { svc, events } = await setup('gw-a');
    const batch1 = events(
      health('SCALE-1', 'down', 'no frames for 30 s'),
      health('XRAY-1', 'degraded', 'tube warm-up'),
      { type: 'fence.breached', stationId: 'GPS', payload: { fenceId: 'ZONE-A', sealId: 'ES-77', confidence: 'high' } },
      { type: 'seal.state_changed', stationId: 'GPS', payload: { sealId: 'ES-77', state: 'opened', insideFence: true } },
      { type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'disk_soft_limit', detail: 'journal at 81%' } },
      health('SCALE-1', 'down', 'still no frames'),
    );
    await svc.apply('gw-a', batch1);
    await svc.apply('gw-a', batch1); // redelivery
    const open = await svc.list({ gatewayId: 'gw-a', state: ['open'], limit: 10 });
    expect(open.items.map((a) => [a.kind, a.subject, a.count, a.severity])).toEqual([
      ['device_down', 'SCALE-1', 2, 'warning'],
      ['disk_soft_limit', 'disk', 1, 'warning'],
      ['fence_breached', 'ES-77', 1, 'critical'],
    ]);
    expect(open.counts).toEqual({ open: 3, acknowledged: 0, cleared: 0 });
    expect((await svc.devices('gw-a')).map((d) => [d.deviceId, d.status, d.detail])).toEqual([
      ['SCALE-1', 'down', 'still no frames'],
      ['XRAY-1', 'degraded', 'tube warm-up'],
    ]);

    await svc.apply('gw-a', events(health('SCALE-1', 'up'), { type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'disk_recovered', detail: '60%' } }));
    const after = await svc.list({ gatewayId: 'gw-a', limit: 10 });
    expect(after.counts).toEqual({ open: 1, acknowledged: 0, cleared: 2 });
    const devices = await svc.devices('gw-a');
    expect(devices[0]).toMatchObject({ deviceId: 'SCALE-1', status: 'up' });
    // Replaying the first batch after the recovery must not bring SCALE-1 back down.
    await svc.apply('gw-a', batch1);
    expect((await svc.devices('gw-a'))[0]).toMatchObject({ deviceId: 'SCALE-1', status: 'up' });
    expect((await svc.list({ gatewayId: 'gw-a', limit: 10 })).counts).toEqual({ open: 1, acknowledged: 0, cleared: 2 });
  });

  it('a device that keeps dropping shows degraded with its drop count, and its alarm stays open until acknowledged (issue 17 item 9)', async () => {
    const { svc, events } = await setup('gw-f');
    const at = 1_790_000_000_000;
    // Four drops and recoveries in a row, 10 ms apart on the gateway's clock (all within the window).
    for (let i = 0; i < 4; i++) await svc.apply('gw-f', events(health('XRAY-LINE', 'down', 'disconnected'), health('XRAY-LINE', 'up')));
    const svcNow = new AlarmService({ storage: store(), alarms: openAlarmRepo(store().sql), log, now: () => at + 60_000 });
    const [dev] = await svcNow.devices('gw-f');
    expect(dev).toMatchObject({ deviceId: 'XRAY-LINE', reported: 'up', status: 'degraded', drops: 4, flapping: true });
    // Ten minutes later the same history no longer counts as flapping.
    expect((await new AlarmService({ storage: store(), alarms: openAlarmRepo(store().sql), log, now: () => at + 11 * 60_000 }).devices('gw-f'))[0]).toMatchObject({ status: 'up', drops: 0 });
    const list = await svc.list({ gatewayId: 'gw-f', state: ['open', 'acknowledged'], limit: 10 });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ kind: 'device_down', state: 'open', count: 4 });
    expect(list.items[0]!.clearedMs).not.toBeNull();
    const acked = await svc.ack(list.items[0]!.id, 'manager-1', 'PLC vendor called about restarts');
    expect(acked.state).toBe('cleared');
    expect((await svc.list({ gatewayId: 'gw-f', state: ['open', 'acknowledged'], limit: 10 })).items).toHaveLength(0);
  });

  it('acknowledges an open alarm once, on the audit chain with who and why', async () => {
    const { svc, events } = await setup('gw-b');
    await svc.apply('gw-b', events({ type: 'seal.state_changed', stationId: 'GPS', payload: { sealId: 'ES-1', state: 'tampered', insideFence: false } }));
    const [alarm] = (await svc.list({ gatewayId: 'gw-b', limit: 5 })).items;
    expect(alarm).toMatchObject({ kind: 'seal_opened_outside_fence', state: 'open', severity: 'critical' });
    const acked = await svc.ack(alarm!.id, 'manager-1', 'patrol sent to the truck');
    expect(acked).toMatchObject({ state: 'acknowledged', ackedBy: 'manager-1', ackReason: 'patrol sent to the truck', ackedMs: 9_000_000 });
    await expect(svc.ack(alarm!.id, 'operator-1', 'again')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(svc.ack('nope', 'operator-1', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const audit = await store().auditRange(1, 1000);
    const entry = audit.filter((e) => e.action === 'alarm.ack' && e.subject === `alarm:${alarm!.id}`);
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatchObject({ actor: 'manager-1', subject: `alarm:${alarm!.id}`, detail: { reason: 'patrol sent to the truck', gatewayId: 'gw-b', kind: 'seal_opened_outside_fence' } });
  });

  it('folds journal alerts in once each, and pages newest first', async () => {
    const { svc, events } = await setup('gw-c');
    await store().addAlert({ gatewayId: 'gw-c', seq: 12, kind: 'chain_break', detail: 'prevHash of 12 differs', atMs: 5000 });
    await store().addAlert({ gatewayId: 'gw-c', seq: 30, kind: 'chain_break', detail: 'prevHash of 30 differs', atMs: 6000 });
    await svc.list({ limit: 1 });
    await svc.list({ limit: 1 });
    const journal = (await svc.list({ gatewayId: 'gw-c', limit: 10 })).items.filter((a) => a.kind === 'journal_alert');
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ subject: 'chain_break', count: 2, severity: 'critical', detail: 'seq 30: prevHash of 30 differs', firstMs: 5000, lastMs: 6000 });
    await svc.apply('gw-c', events(...['D1', 'D2', 'D3'].map((d) => health(d, 'down'))));
    const first = await svc.list({ gatewayId: 'gw-c', limit: 2 });
    const second = await svc.list({ gatewayId: 'gw-c', limit: 2, cursor: first.nextCursor! });
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items];
    expect(all).toHaveLength(4);
    expect(new Set(all.map((a) => a.id)).size).toBe(4);
    expect(all.map((a) => a.lastMs)).toEqual([...all.map((a) => a.lastMs)].sort((a, b) => b - a));
  });

  it('keeps the sentence as a code and the technical detail apart; a row stored before codes reads as its kind with its detail as technical (issue 17 item 5)', async () => {
    const { repo, svc, events } = await setup('gw-r');
    await svc.apply('gw-r', events(health('XRAY-1', 'down', 'OPC UA BadSessionClosed (0x80260000)')));
    const [a] = (await svc.list({ gatewayId: 'gw-r', limit: 10 })).items;
    expect(a).toMatchObject({ kind: 'device_down', reason: { code: 'alarm.device_down', params: { device: 'XRAY-1' } }, technical: 'OPC UA BadSessionClosed (0x80260000)' });
    await store().sql.tx(function* () {
      yield* run('UPDATE alarms SET reason = NULL, technical = NULL, detail = ? WHERE id = ?', ['old english text', a!.id]);
    });
    expect(await repo.get(a!.id)).toMatchObject({ reason: { code: 'alarm.device_down', params: { device: 'XRAY-1' } }, technical: 'old english text' });
  });
});
