import { describe, expect, it } from 'vitest';
import { applyParcelEvent, foldParcel, initialSnapshot, trackingStatus, type ParcelState } from './parcel-state.ts';
import type { EdgeEvent } from './schemas/events.ts';

let n = 0;
function ev(type: EdgeEvent['type'], payload: unknown, hlcL = ++n): EdgeEvent {
  return {
    id: '0190b9d8-7d5e-7000-8000-000000000001',
    gatewayId: 'GW-1' as never,
    seq: n,
    type,
    stationId: 'LINE-1',
    parcelKey: 'EA123456785CN',
    time: { wallMs: hlcL, hlc: `${String(hlcL).padStart(15, '0')}.00000`, bootId: 'b', uptimeMs: 1, clockSynced: true },
    payload,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  } as EdgeEvent;
}
const at = (state: ParcelState) => ({ ...initialSnapshot(), state });

describe('parcel state machine', () => {
  const table: [ParcelState, EdgeEvent, ParcelState, string | undefined][] = [
    ['in_zone', ev('parcel.scanned', { code: 'x', source: 'scanner' }), 'in_zone', undefined],
    ['in_zone', ev('parcel.diverted', { lane: 'inspection' }), 'inspection', undefined],
    ['released', ev('parcel.diverted', { lane: 'exception' }), 'inspection', undefined],
    ['on_hold', ev('parcel.diverted', { lane: 'release' }), 'on_hold', 'diverted_to_release_while_on_hold'],
    ['in_zone', ev('parcel.held', { reason: 'r' }), 'on_hold', undefined],
    ['on_hold', ev('parcel.released', { by: 'officer' }), 'released', undefined],
    ['seized', ev('parcel.released', { by: 'auto' }), 'seized', 'released_while_seized'],
    ['inspection', ev('officer.action', { officerId: 'o', action: 'pass', reason: 'ok' }), 'released', undefined],
    ['inspection', ev('officer.action', { officerId: 'o', action: 'seize', reason: 'contraband' }), 'seized', undefined],
    ['inspection', ev('officer.action', { officerId: 'o', action: 'return', reason: 'r' }), 'returned', undefined],
    ['released', ev('gate.passed', { laneId: 'L1', direction: 'out' }), 'exited', undefined],
    ['on_hold', ev('gate.passed', { laneId: 'L1', direction: 'out' }), 'exited', 'exited_while_on_hold'],
    ['in_zone', ev('gate.passed', { laneId: 'L1', direction: 'out' }), 'exited', 'exited_without_release'],
    ['in_zone', ev('gate.passed', { laneId: 'L1', direction: 'out', manual: { by: 'op-1', reason: 'supervisor override' } }), 'exited', undefined],
    ['exited', ev('parcel.scanned', { code: 'x', source: 'scanner' }), 'in_zone', 'seen_after_exit'],
    ['exited', ev('gate.passed', { laneId: 'L1', direction: 'in' }), 'in_zone', undefined],
  ];
  it.each(table)('%s + %o → %s', (from, event, to, anomaly) => {
    const next = applyParcelEvent(at(from), event);
    expect(next.state).toBe(to);
    expect(next.anomalies).toEqual(anomaly ? [anomaly] : []);
  });

  it('keeps the weight of record and the X-ray verdict', () => {
    const s = [ev('parcel.weighed', { grossWeightKg: 2.5, stable: true }), ev('xray.verdict', { verdict: 'suspect' })].reduce(applyParcelEvent, initialSnapshot());
    expect(s).toMatchObject({ grossWeightKg: 2.5, xrayVerdict: 'suspect', eventCount: 2 });
  });

  it('folds to the same result whatever order events arrive in', () => {
    const events = [ev('parcel.scanned', { code: 'x', source: 'scanner' }, 1), ev('parcel.diverted', { lane: 'inspection' }, 2), ev('officer.action', { officerId: 'o', action: 'pass', reason: 'ok' }, 3), ev('gate.passed', { laneId: 'L', direction: 'out' }, 4)];
    const expected = foldParcel(events);
    expect(expected.state).toBe('exited');
    expect(expected.anomalies).toEqual([]);
    for (const order of [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]) expect(foldParcel(order.map((i) => events[i]!))).toEqual(expected);
  });

  it('maps states to tracking statuses', () => {
    expect(trackingStatus('inspection')).toBe('on_hold');
    expect(trackingStatus('exited')).toBe('delivered_out');
  });
});
