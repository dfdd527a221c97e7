import { describe, expect, it } from 'vitest';
import { decodeSealPayload, parseSealReport, sealIdOf, type SealReportInput } from './messages.ts';

const good: SealReportInput = {
  seal: { manufacturer: 'JT', serial: 'JT701-000123' },
  status: 'sealed',
  ts: '2024-07-28T08:00:00Z',
  events: [{ type: 'locked', method: 'platform' }],
  position: { lat: 22.55, lon: 114.06, fix: 'gps', accuracyM: 8, speedKmh: 0, ts: '2024-07-28T08:00:00Z' },
  batteryPct: 87,
};

describe('parseSealReport', () => {
  it('accepts a full report and defaults events to []', () => {
    const r = parseSealReport(good);
    expect(r.ok).toBe(true);
    const { events: _e, ...bare } = good;
    const r2 = parseSealReport(bare);
    expect(r2.ok && r2.value.events).toEqual([]);
  });

  it('accepts every event type', () => {
    const events = [
      { type: 'locked', method: 'card' },
      { type: 'unlocked', method: 'ble' },
      { type: 'shackle_opened_while_sealed' },
      { type: 'rope_cut' },
      { type: 'shell_tamper' },
      { type: 'wrong_credentials' },
      { type: 'low_battery' },
      { type: 'geofence_enter', fenceId: 'zone-1' },
      { type: 'geofence_exit' },
      { type: 'unseal_refused_outside_area' },
    ];
    expect(parseSealReport({ ...good, events }).ok).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['latitude out of range', { ...good, position: { ...good.position, lat: 95 } }, 'position.lat'],
    ['unknown fix kind', { ...good, position: { ...good.position, fix: 'wifi' } }, 'position.fix'],
    ['position without ts', { ...good, position: { lat: 22.5, lon: 114, fix: 'lbs' } }, 'position.ts'],
    ['unknown status', { ...good, status: 'open' }, 'status'],
    ['missing serial', { ...good, seal: { manufacturer: 'JT' } }, 'seal.serial'],
    ['bad report time', { ...good, ts: '28/07/2024' }, 'ts'],
    ['battery above 100', { ...good, batteryPct: 120 }, 'batteryPct'],
    ['unlock with an unknown method', { ...good, events: [{ type: 'unlocked', method: 'key' }] }, 'events.0.method'],
    ['unknown event type', { ...good, events: [{ type: 'exploded' }] }, 'events.0.type'],
    ['not an object', 42, '(root)'],
  ])('%s → field %s', (_name, input, field) => {
    const r = parseSealReport(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.fields.map((f) => f.field)).toContain(field);
      for (const f of r.fields) expect(f.message).not.toBe('');
    }
  });
});

describe('decodeSealPayload', () => {
  it('decodes UTF-8 JSON bytes', () => {
    const r = decodeSealPayload(new TextEncoder().encode(JSON.stringify(good)));
    expect(r.ok && sealIdOf(r.value.seal)).toBe('JT:JT701-000123');
  });
  it('reports invalid JSON on the root field', () => {
    const r = decodeSealPayload('{"seal":');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.fields[0]?.field).toBe('(root)');
  });
});
