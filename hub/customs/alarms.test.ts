import { describe, expect, it } from 'vitest';
import { REASON_CODES, reasonTexts, renderReason } from '../../shared/reason-codes.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { acknowledge, AlarmKind, alarmReason, applySignal, effectiveDeviceStatus, FLAPPING_WINDOW_MS, journalAlertSignal, signalsOf, type Alarm, type AlarmSignal } from './alarms.ts';

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

describe('an alarm says its sentence as a code, its technical detail apart (issue 17 item 5)', () => {
  it('every kind has a sentence in both languages', () => {
    for (const kind of AlarmKind.options) {
      const r = alarmReason(kind, 'X-1', 'ST-1');
      expect(REASON_CODES, kind).toContain(r.code);
      expect(renderReason('zh-CN', r), kind).not.toMatch(/[A-Za-z]{3,}/);
      expect(renderReason('en', r), kind).not.toMatch(/\p{Script=Han}/u);
    }
    // Every alarm sentence (the kinds' and the hub raisers' own) has both languages' words, parameters aside.
    for (const code of REASON_CODES.filter((c) => c.startsWith('alarm.'))) {
      expect(reasonTexts('zh-CN')[code]?.replace(/\{\w+\}/g, ''), code).not.toMatch(/[A-Za-z]{3,}/);
      expect(reasonTexts('en')[code], code).not.toMatch(/\p{Script=Han}/u);
    }
  });

  it.each([
    ['a device down with its errno', ev('device.health', { status: 'down', detail: 'connect ECONNREFUSED 10.0.0.7:4840' }, { deviceId: 'XRAY-1' }), { code: 'alarm.device_down', params: { device: 'XRAY-1' } }, 'connect ECONNREFUSED 10.0.0.7:4840', '设备 XRAY-1 离线'],
    ['a disk limit with the agent words', ev('edge.alarm', { alarm: 'disk_soft_limit', detail: 'journal at 82% of 2 GiB' }), { code: 'alarm.disk_soft_limit' }, 'journal at 82% of 2 GiB', '网关磁盘用量超过软上限'],
    ['a seal tampered with', ev('seal.state_changed', { sealId: 'S1', state: 'tampered', insideFence: false }), { code: 'alarm.seal_tampered_outside_fence', params: { seal: 'S1' } }, undefined, '铅封 S1 在电子围栏外被破坏'],
    ['a low-confidence breach with a position', ev('fence.breached', { fenceId: 'F1', sealId: 'S2', confidence: 'low', lat: 22.5, lon: 113.9 }), { code: 'alarm.fence_breached.seal.low', params: { fence: 'F1', seal: 'S2' } }, 'at 22.50000,113.90000', '铅封 S2 可能越出电子围栏 F1（定位精度低）'],
  ])('%s', (_n, e, reason, technical, zh) => {
    const [s] = signalsOf(e);
    expect(s).toMatchObject({ op: 'raise', reason });
    expect(s && s.op === 'raise' ? s.technical : null).toBe(technical);
    const a = applySignal(undefined, s!, 1000, 1, { id: 'a1', gatewayId: 'gw' })!;
    expect([a.reason, a.technical]).toEqual([reason, technical ?? null]);
    expect(renderReason('zh-CN', a.reason)).toBe(zh);
  });

  it("a raiser that gives only a detail gets its kind's sentence, the detail as technical detail", () => {
    const a = applySignal(undefined, { op: 'raise', kind: 'eport_signer_away', subject: 'eport-signer', stationId: null, deviceId: null, severity: 'critical', detail: 'connect ECONNREFUSED 127.0.0.1:61232' }, 1000, 1, { id: 'a1', gatewayId: 'hub' })!;
    expect([a.reason, a.technical]).toEqual([{ code: 'alarm.eport_signer_away' }, 'connect ECONNREFUSED 127.0.0.1:61232']);
    expect(journalAlertSignal({ kind: 'chain_break', seq: 41, detail: 'prevHash differs' })).toMatchObject({ reason: { code: 'alarm.journal_alert', params: { alert: 'chain_break' } }, technical: 'seq 41: prevHash differs' });
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
