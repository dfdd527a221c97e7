import { describe, expect, it } from 'vitest';
import { EdgeEvent, eventClass, EVENT_TYPES, isShed, JournalEntry, ShedEvent } from './events.ts';

const base = {
  id: '0190b9d8-7d5e-7000-8000-0000000000aa',
  gatewayId: 'GW-1',
  seq: 1,
  stationId: 'LINE-1',
  time: { wallMs: 1, hlc: '000000000000001.00000', bootId: 'b', uptimeMs: 1, clockSynced: false },
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
};

/** The dot paths of the issues a value fails with ([] when it parses). */
function issuePaths(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, v: unknown): string[] {
  const r = schema.safeParse(v);
  return r.success ? [] : (r.error?.issues ?? []).map((i) => i.path.map(String).join('.'));
}

describe('event schemas', () => {
  it('accepts valid events of several types', () => {
    for (const [type, payload] of [
      ['parcel.scanned', { code: 'EA123456785CN', source: 'scanner', symbology: 'code128' }],
      ['parcel.weighed', { grossWeightKg: 1.2, stable: true }],
      ['xray.verdict', { verdict: 'clear' }],
      ['officer.action', { officerId: 'o-7', action: 'seize', reason: 'undeclared goods' }],
      ['gate.passed', { laneId: 'IN-1', direction: 'in', slipNo: 'Z3111I240728000000000003' }],
      ['gate.passed', { laneId: 'OUT-1', direction: 'out', manual: { by: 'op-1', reason: 'supervisor override' } }],
      ['seal.state_changed', { sealId: 'ES-1', state: 'opened', insideFence: false }],
      ['rfid.sighting', { epc: '3034257BF7194E4000001A85', antenna: 2 }],
      ['device.health', { status: 'degraded', detail: 'timeout' }],
    ] as const) {
      const r = EdgeEvent.safeParse({ ...base, deviceId: 'dev-1', parcelKey: 'EA123456785CN', type, payload });
      expect(r.success, `${type}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });

  it('parses to the precise type and strips unknown members', () => {
    const r = EdgeEvent.parse({ ...base, type: 'parcel.weighed', payload: { grossWeightKg: 2, stable: true, extra: 1 }, extra: 2 });
    expect(r.type).toBe('parcel.weighed');
    if (r.type === 'parcel.weighed') expect(r.payload).toEqual({ grossWeightKg: 2, stable: true });
    expect('extra' in r).toBe(false);
  });

  it('names the failing field', () => {
    const path = (v: unknown) => issuePaths(EdgeEvent, v);
    expect(path({ ...base, type: 'parcel.weighed', payload: { grossWeightKg: -1, stable: true } })).toEqual(['payload.grossWeightKg']);
    expect(path({ ...base, type: 'parcel.weighed', payload: { grossWeightKg: 1, stable: false } })).toEqual(['payload.stable']);
    expect(path({ ...base, seq: 0, type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['seq']);
    expect(path({ ...base, gatewayId: 'GW 1', type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['gatewayId']);
    expect(path({ ...base, type: 'no.such', payload: {} })).toEqual(['type']);
    expect(path({ ...base, time: { ...base.time, hlc: '12.3' }, type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['time.hlc']);
    expect(path({ ...base, hash: 'XYZ', type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['hash']);
    expect(path({ ...base, id: 'not-a-uuid', type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['id']);
    expect(path({ ...base, parcelKey: 'x'.repeat(65), type: 'xray.verdict', payload: { verdict: 'clear' } })).toEqual(['parcelKey']);
    expect(path({ ...base, type: 'gate.passed', payload: { laneId: 'L', direction: 'out', manual: { by: 'op-1' } } })).toEqual(['payload.manual.reason']);
    expect(path({ ...base, type: 'rfid.sighting', payload: { epc: 'lowercase00' } })).toEqual(['payload.epc']);
    expect(path({ ...base, type: 'officer.action', payload: { officerId: 'o', action: 'ignore', reason: 'r' } })).toEqual(['payload.action']);
    expect(path({ ...base, type: 'xray.verdict' })).toEqual(['payload']);
  });

  it('classes customs and telemetry events', () => {
    expect(eventClass('gate.passed')).toBe('customs');
    expect(eventClass('officer.action')).toBe('customs');
    expect(eventClass('parcel.weighed')).toBe('customs');
    expect(eventClass('edge.alarm')).toBe('customs');
    expect(eventClass('rfid.sighting')).toBe('telemetry');
    expect(EVENT_TYPES.filter((t) => eventClass(t) === 'telemetry').sort()).toEqual(['device.error', 'device.health', 'rfid.sighting']);
  });

  it('allows tombstones only for telemetry', () => {
    for (const type of EVENT_TYPES) {
      const shed = { ...base, type, shed: true };
      expect(ShedEvent.safeParse(shed).success, type).toBe(eventClass(type) === 'telemetry');
      if (eventClass(type) === 'customs') expect(issuePaths(ShedEvent, shed)).toEqual(['type']);
    }
    expect(issuePaths(ShedEvent, { ...base, type: 'device.health', shed: false })).toEqual(['shed']);
  });

  it('a journal entry is a tombstone or a full event', () => {
    const shed = JournalEntry.parse({ ...base, type: 'rfid.sighting', shed: true });
    expect(isShed(shed)).toBe(true);
    const full = JournalEntry.parse({ ...base, type: 'rfid.sighting', payload: { epc: '3034257BF7194E4000001A85' } });
    expect(isShed(full)).toBe(false);
    expect(JournalEntry.safeParse({ ...base, type: 'gate.passed', shed: true }).success).toBe(false);
  });
});
