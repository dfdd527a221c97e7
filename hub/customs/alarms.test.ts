import { describe, expect, it } from 'vitest';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { acknowledge, applySignal, effectiveDeviceStatus, FLAPPING_WINDOW_MS, journalAlertSignal, signalsOf, type Alarm, type AlarmSignal } from './alarms.ts';

const ev = (type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type, payload, stationId: 'GATE-1', seq: 1, ...extra }) as unknown as EdgeEvent;

describe('which events raise or clear an alarm', () => {
  it.each([
    ['seal opened outside the fence', ev('seal.state_changed', { sealId: 'S1', state: 'opened', insideFence: false }), [{ op: 'raise', kind: 'seal_opened_outside_fence', subject: 'S1', severity: 'critical' }]],
    ['seal tampered outside the fence', ev('seal.state_changed', { sealId: 'S1', state: 'tampered', insideFence: false }), [{ op: 'raise', kind: 'seal_opened_outside_fence', severity: 'critical' }]],
    ['seal opened inside the fence is the normal end of a trip', ev('seal.state_changed', { sealId: 'S1', state: 'opened', insideFence: true }), []],
    ['seal sealed again clears', ev('seal.state_changed', { sealId: 'S1', state: 'sealed', insideFence: false }), [{ op: 'clear', kind: 'seal_opened_outside_fence', subject: 'S1' }]],
    ['fence breach, high confidence', ev('fence.breached', { fenceId: 'F1', sealId: 'S2', confidence: 'high' }), [{ op: 'raise', kind: 'fence_breached', subject: 'S2', severity: 'critical' }]],
    ['fence breach, low confidence, no seal', ev('fence.breached', { fenceId: 'F1', confidence: 'low' }), [{ op: 'raise', kind: 'fence_breached', subject: 'F1', severity: 'warning' }]],
    ['disk soft limit', ev('edge.alarm', { alarm: 'disk_soft_limit', detail: '82%' }), [{ op: 'raise', kind: 'disk_soft_limit', subject: 'disk', severity: 'warning', detail: '82%' }]],
    ['disk hard limit', ev('edge.alarm', { alarm: 'disk_hard_limit', detail: '97%' }), [{ op: 'raise', kind: 'disk_hard_limit', severity: 'critical' }]],
    ['disk recovered clears both', ev('edge.alarm', { alarm: 'disk_recovered', detail: '' }), [{ op: 'clear', kind: 'disk_soft_limit' }, { op: 'clear', kind: 'disk_hard_limit' }]],
    ['clock unsynced', ev('edge.alarm', { alarm: 'clock_unsynced', detail: 'ntp' }), [{ op: 'raise', kind: 'clock_unsynced', severity: 'warning' }]],
    ['journal key changed', ev('edge.alarm', { alarm: 'journal_key_changed', detail: 'k' }), [{ op: 'raise', kind: 'journal_key_changed', severity: 'critical' }]],
    ['device down, keyed by device', ev('device.health', { status: 'down' }, { deviceId: 'SCALE-1' }), [{ op: 'raise', kind: 'device_down', subject: 'SCALE-1', deviceId: 'SCALE-1', stationId: 'GATE-1', detail: 'SCALE-1 down' }]],
    ['device up clears, keyed by station without a device', ev('device.health', { status: 'up' }), [{ op: 'clear', kind: 'device_down', subject: 'GATE-1' }]],
    ['degraded raises nothing', ev('device.health', { status: 'degraded' }, { deviceId: 'X' }), []],
    ['other events raise nothing', ev('parcel.weighed', { grossWeightKg: 1, stable: true }), []],
  ])('%s', (_n, e, want) => {
    const got = signalsOf(e);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toMatchObject(w));
  });

  it('journal alerts are critical and name their seq', () => {
    expect(journalAlertSignal({ kind: 'chain_break', seq: 41, detail: 'prevHash differs' })).toMatchObject({ op: 'raise', kind: 'journal_alert', subject: 'chain_break', severity: 'critical', detail: 'seq 41: prevHash differs' });
  });
});

describe('an alarm through open, acknowledged and cleared', () => {
  const id = { id: 'a1', gatewayId: 'gw-1' };
  const raise: AlarmSignal = { op: 'raise', kind: 'device_down', subject: 'SCALE-1', stationId: 'W1', deviceId: 'SCALE-1', severity: 'warning', detail: 'no frames' };
  const clear: AlarmSignal = { op: 'clear', kind: 'device_down', subject: 'SCALE-1' };

  it('opens, counts repeats, is acknowledged, stays acknowledged when it fires again, clears, and reopens', () => {
    const a1 = applySignal(undefined, raise, 1000, 5, id)!;
    expect(a1).toMatchObject({ state: 'open', count: 1, firstMs: 1000, lastMs: 1000, lastSeq: 5 });
    const a2 = applySignal(a1, raise, 2000, 6, id)!;
    expect(a2).toMatchObject({ state: 'open', count: 2, firstMs: 1000, lastMs: 2000 });
    const acked = acknowledge(a2, 'manager-1', 'technician called', 2500);
    expect(acked).toMatchObject({ ok: true, alarm: { state: 'acknowledged', ackedBy: 'manager-1', ackReason: 'technician called', ackedMs: 2500 } });
    const a3 = applySignal((acked as { alarm: Alarm }).alarm, raise, 3000, 7, id)!;
    expect(a3).toMatchObject({ state: 'acknowledged', count: 3, ackedBy: 'manager-1' });
    const a4 = applySignal(a3, clear, 4000, 8, id)!;
    expect(a4).toMatchObject({ state: 'cleared', clearedMs: 4000 });
    const a5 = applySignal(a4, raise, 5000, 9, id)!;
    expect(a5).toMatchObject({ state: 'open', count: 4, ackedBy: null, ackReason: null, clearedMs: null, firstMs: 1000 });
  });

  it('a replay at or below the last seq changes nothing; a clear with nothing open changes nothing', () => {
    const a1 = applySignal(undefined, raise, 1000, 5, id)!;
    expect(applySignal(a1, raise, 1000, 5, id)).toBeNull();
    expect(applySignal(a1, clear, 1000, 4, id)).toBeNull();
    expect(applySignal(undefined, clear, 1000, 1, id)).toBeNull();
    const cleared = applySignal(a1, clear, 1100, 6, id)!;
    expect(applySignal(cleared, clear, 1200, 7, id)).toBeNull();
  });

  it('only an open alarm takes an acknowledgement', () => {
    const a1 = applySignal(undefined, raise, 1000, 5, id)!;
    const acked = acknowledge(a1, 'op', 'seen', 1)!;
    expect(acknowledge((acked as { alarm: Alarm }).alarm, 'op2', 'again', 2)).toEqual({ ok: false, reason: 'not_open', state: 'acknowledged' });
    expect(acknowledge(applySignal(a1, clear, 2000, 6, id)!, 'op', 'x', 3)).toEqual({ ok: false, reason: 'not_open', state: 'cleared' });
  });

  it('a repeating failure that recovers stays open, marked recovered, until a person acknowledges it (issue 17 item 9)', () => {
    // down, up, down, up: the second recovery no longer hides the alarm.
    const down1 = applySignal(undefined, raise, 1000, 1, id)!;
    const up1 = applySignal(down1, clear, 1500, 2, id)!;
    expect(up1).toMatchObject({ state: 'cleared', count: 1 });
    const down2 = applySignal(up1, raise, 2000, 3, id)!;
    const up2 = applySignal(down2, clear, 2500, 4, id)!;
    expect(up2).toMatchObject({ state: 'open', count: 2, clearedMs: 2500 });
    // Dropping again while latched: still open, counted, no longer marked recovered.
    const down3 = applySignal(up2, raise, 3000, 5, id)!;
    expect(down3).toMatchObject({ state: 'open', count: 3, clearedMs: null });
    const up3 = applySignal(down3, clear, 3500, 6, id)!;
    expect(up3).toMatchObject({ state: 'open', clearedMs: 3500 });
    // The acknowledgement of a recovered failure closes it; acknowledging one still down takes it on.
    expect(acknowledge(up3, 'manager-1', 'PLC firmware ticket', 4000)).toMatchObject({ ok: true, alarm: { state: 'cleared', ackedBy: 'manager-1', clearedMs: 3500 } });
    expect(acknowledge(down3, 'manager-1', 'on it', 4000)).toMatchObject({ ok: true, alarm: { state: 'acknowledged' } });
  });
});

describe('device health as a person should see it', () => {
  const now = 10 * 60_000 + 1_000_000;
  it('a device reporting up after dropping three times in ten minutes is degraded, with the count', () => {
    const drops = [now - 9 * 60_000, now - 5 * 60_000, now - 30_000];
    expect(effectiveDeviceStatus('up', drops, now)).toEqual({ status: 'degraded', drops: 3, windowMs: FLAPPING_WINDOW_MS, flapping: true });
    expect(effectiveDeviceStatus('up', drops.slice(1), now)).toMatchObject({ status: 'up', drops: 2, flapping: false });
    // Drops older than the window do not count; a device down now stays down.
    expect(effectiveDeviceStatus('up', [now - 11 * 60_000, ...drops.slice(1)], now)).toMatchObject({ status: 'up', drops: 2 });
    expect(effectiveDeviceStatus('down', drops, now)).toMatchObject({ status: 'down', flapping: true });
  });
});
