import { describe, expect, it } from 'vitest';
import { EdgeEvent, eventClass, EVENT_TYPES, ShedEvent } from './events.ts';

const base = {
  id: '0190b9d8-7d5e-7000-8000-0000000000aa',
  gatewayId: 'GW-1',
  seq: 1,
  stationId: 'LINE-1',
  time: { wallMs: 1, hlc: '000000000000001.00000', bootId: 'b', uptimeMs: 1, clockSynced: false },
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
};

describe('event schemas', () => {
  it('accepts valid events of several types', () => {
    for (const [type, payload] of [
      ['parcel.weighed', { grossWeightKg: 1.2, stable: true }],
      ['gate.passed', { laneId: 'IN-1', direction: 'in', slipNo: 'Z3111I240728000000000003' }],
      ['seal.state_changed', { sealId: 'ES-1', state: 'opened', insideFence: false }],
      ['rfid.sighting', { epc: '3034257BF7194E4000001A85', antenna: 2 }],
    ] as const) {
      expect(EdgeEvent.safeParse({ ...base, type, payload }).success).toBe(true);
    }
  });

  it('names the failing field', () => {
    const path = (v: unknown) => {
      const r = EdgeEvent.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(path({ ...base, type: 'parcel.weighed', payload: { grossWeightKg: -1, stable: true } })).toEqual(['payload.grossWeightKg']);
    expect(path({ ...base, type: 'parcel.weighed', payload: { grossWeightKg: 1, stable: false } })).toEqual(['payload.stable']);
    expect(path({ ...base, seq: 0, type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['seq']);
    expect(path({ ...base, gatewayId: 'GW 1', type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['gatewayId']);
    expect(path({ ...base, type: 'no.such', payload: {} })).toEqual(['type']);
  });

  it('classes customs and telemetry events', () => {
    expect(eventClass('gate.passed')).toBe('customs');
    expect(eventClass('officer.action')).toBe('customs');
    expect(eventClass('rfid.sighting')).toBe('telemetry');
    expect(EVENT_TYPES.filter((t) => eventClass(t) === 'telemetry').sort()).toEqual(['device.error', 'device.health', 'rfid.sighting']);
  });

  it('allows tombstones only for telemetry', () => {
    expect(ShedEvent.safeParse({ ...base, type: 'device.health', shed: true }).success).toBe(true);
    expect(ShedEvent.safeParse({ ...base, type: 'gate.passed', shed: true }).success).toBe(false);
  });
});
