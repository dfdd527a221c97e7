import { describe, expect, it } from 'vitest';
import { applyParcelEvent, foldParcel, initialSnapshot, PARCEL_STATES, trackingStatus, type ParcelState } from './parcel-state.ts';
import type { EdgeEvent } from './schemas/events.ts';

let n = 0;
function ev(type: EdgeEvent['type'], payload: unknown, hlcL = ++n, gatewayId = 'GW-1'): EdgeEvent {
  return {
    id: '0190b9d8-7d5e-7000-8000-000000000001',
    gatewayId: gatewayId as never,
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

const scanned = () => ev('parcel.scanned', { code: 'x', source: 'scanner' });
const weighed = () => ev('parcel.weighed', { grossWeightKg: 2.5, stable: true });
const xray = () => ev('xray.verdict', { verdict: 'suspect' });
const diverted = (lane: 'release' | 'inspection' | 'exception') => ev('parcel.diverted', { lane });
const held = () => ev('parcel.held', { reason: 'weight off declared' });
const released = (by: 'auto' | 'officer' = 'auto') => ev('parcel.released', { by });
const officer = (action: 'release' | 'hold' | 'inspect' | 'pass' | 'seize' | 'return' | 'destroy') => ev('officer.action', { officerId: 'o-7', action, reason: 'r' });
const gate = (direction: 'in' | 'out', manual?: { by: string; reason: string }) => ev('gate.passed', { laneId: 'L1', direction, ...(manual ? { manual } : {}) });

describe('parcel state machine', () => {
  const table: [ParcelState, EdgeEvent, ParcelState, string | undefined][] = [
    // Stations touching a parcel change nothing, except after it left.
    ['in_zone', scanned(), 'in_zone', undefined],
    ['on_hold', weighed(), 'on_hold', undefined],
    ['inspection', xray(), 'inspection', undefined],
    ['exited', scanned(), 'in_zone', 'seen_after_exit'],
    ['exited', weighed(), 'in_zone', 'seen_after_exit'],
    ['exited', xray(), 'in_zone', 'seen_after_exit'],
    // Diverting.
    ['in_zone', diverted('inspection'), 'inspection', undefined],
    ['released', diverted('exception'), 'inspection', undefined],
    ['on_hold', diverted('inspection'), 'on_hold', undefined],
    ['seized', diverted('exception'), 'seized', undefined],
    ['in_zone', diverted('release'), 'in_zone', undefined],
    ['released', diverted('release'), 'released', undefined],
    ['on_hold', diverted('release'), 'on_hold', 'diverted_to_release_while_on_hold'],
    ['inspection', diverted('release'), 'inspection', 'diverted_to_release_while_inspection'],
    ['seized', diverted('release'), 'seized', 'diverted_to_release_while_seized'],
    ['destroyed', diverted('release'), 'destroyed', 'diverted_to_release_while_destroyed'],
    // Holds.
    ['in_zone', held(), 'on_hold', undefined],
    ['released', held(), 'on_hold', undefined],
    ['inspection', held(), 'on_hold', undefined],
    ['exited', held(), 'exited', 'held_after_exit'],
    ['seized', held(), 'seized', undefined],
    ['destroyed', held(), 'destroyed', undefined],
    // Releases.
    ['in_zone', released(), 'released', undefined],
    ['on_hold', released('officer'), 'released', undefined],
    ['inspection', released('officer'), 'released', undefined],
    ['seized', released(), 'seized', 'released_while_seized'],
    ['destroyed', released(), 'destroyed', 'released_while_destroyed'],
    ['exited', released(), 'exited', undefined],
    // Findings at an edge bench: never a release, never a closed case (customs decides at the hub); any other
    // finding holds the parcel.
    ['inspection', officer('pass'), 'inspection', undefined],
    ['on_hold', officer('pass'), 'on_hold', undefined],
    ['on_hold', officer('release'), 'on_hold', undefined],
    ['in_zone', officer('release'), 'in_zone', undefined],
    ['seized', officer('pass'), 'seized', undefined],
    ['exited', officer('pass'), 'exited', undefined],
    ['in_zone', officer('hold'), 'on_hold', undefined],
    ['exited', officer('hold'), 'exited', 'held_after_exit'],
    ['released', officer('inspect'), 'inspection', undefined],
    ['inspection', officer('seize'), 'on_hold', undefined],
    ['released', officer('seize'), 'on_hold', undefined],
    ['inspection', officer('return'), 'on_hold', undefined],
    ['in_zone', officer('destroy'), 'on_hold', undefined],
    ['seized', officer('return'), 'seized', undefined],
    ['exited', officer('seize'), 'exited', 'held_after_exit'],
    // Gates.
    ['released', gate('out'), 'exited', undefined],
    ['returned', gate('out'), 'exited', undefined],
    ['on_hold', gate('out'), 'exited', 'exited_while_on_hold'],
    ['inspection', gate('out'), 'exited', 'exited_while_inspection'],
    ['seized', gate('out'), 'exited', 'exited_while_seized'],
    ['in_zone', gate('out'), 'exited', 'exited_without_release'],
    ['in_zone', gate('out', { by: 'op-1', reason: 'supervisor override' }), 'exited', undefined],
    ['on_hold', gate('out', { by: 'op-1', reason: 'override' }), 'exited', 'exited_while_on_hold'],
    ['exited', gate('in'), 'in_zone', undefined],
    ['released', gate('in'), 'in_zone', undefined],
    // Events that say nothing about the parcel's customs state.
    ['on_hold', ev('device.health', { status: 'up' }), 'on_hold', undefined],
  ];
  const cases = table.map(([from, event, to, anomaly]) => ({ from, label: `${event.type} ${JSON.stringify(event.payload)}`, event, to, anomaly }));
  it.each(cases)('$from + $label → $to $anomaly', ({ from, event, to, anomaly }) => {
    const next = applyParcelEvent(at(from), event);
    expect(next.state).toBe(to);
    expect(next.anomalies).toEqual(anomaly ? [anomaly] : []);
    expect(next.eventCount).toBe(1);
  });

  it('does not mutate the snapshot it is given', () => {
    const before = at('on_hold');
    const copy = structuredClone(before);
    applyParcelEvent(before, gate('out'));
    expect(before).toEqual(copy);
  });

  it('keeps the weight of record and the X-ray verdict', () => {
    const s = [weighed(), xray(), scanned()].reduce(applyParcelEvent, initialSnapshot());
    expect(s).toMatchObject({ grossWeightKg: 2.5, xrayVerdict: 'suspect', eventCount: 3 });
  });

  it('a hold after a seizure does not open a way out', () => {
    const s = [held(), released(), gate('out')].reduce(applyParcelEvent, at('seized'));
    expect(s.state).toBe('exited');
    expect(s.anomalies).toEqual(['released_while_seized', 'exited_while_seized']);
  });

  it('folds to the same result whatever order events arrive in', () => {
    const events = [
      ev('parcel.scanned', { code: 'x', source: 'scanner' }, 1),
      ev('parcel.weighed', { grossWeightKg: 1.5, stable: true }, 2),
      ev('parcel.diverted', { lane: 'inspection' }, 3),
      ev('officer.action', { officerId: 'o', action: 'pass', reason: 'ok' }, 4),
      // Same HLC on two gateways: the gateway id breaks the tie, not arrival order.
      ev('parcel.held', { reason: 'risk' }, 5, 'GW-2'),
      ev('parcel.released', { by: 'officer' }, 5, 'GW-1'),
      ev('gate.passed', { laneId: 'L', direction: 'out' }, 6),
    ];
    const expected = foldParcel(events);
    expect(expected).toMatchObject({ state: 'exited', eventCount: 7, grossWeightKg: 1.5, lastHlc: `${'6'.padStart(15, '0')}.00000` });
    expect(expected.anomalies).toEqual(['exited_while_on_hold']); // GW-1's release sorts before GW-2's hold
    let seed = 7;
    const rand = (k: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % k);
    for (let round = 0; round < 50; round++) {
      const shuffled = [...events];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      expect(foldParcel(shuffled)).toEqual(expected);
    }
  });

  it('maps every state to a tracking status', () => {
    expect(trackingStatus('inspection')).toBe('on_hold');
    expect(trackingStatus('exited')).toBe('delivered_out');
    expect(trackingStatus('seized')).toBe('closed');
    for (const s of PARCEL_STATES) expect(trackingStatus(s)).toEqual(expect.any(String));
  });
});
