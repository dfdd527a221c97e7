import type { LineReason, NewEvent } from '../../shared/schemas/events.ts';

/**
 * The words of a generated line history (the reconciliation test's, hub/services/overview-figures.test.ts, and the
 * both-language walk, test/dashboard/language.test.ts): the reasons a line gives when it diverts a parcel, as the
 * stations journal them now (codes with parameters, the hub's reasons behind a hold as `because`), and — every
 * LEGACY_EVERY-th diversion — as an older gateway journalled them (English text only), plus the alarms gateways raise.
 * Deterministic by index: the histories' random draws stay as they were.
 */
const CODED: readonly LineReason[][] = [
  [{ code: 'line.customs-hold', because: [{ code: 'risk.watch.consignee', params: { name: '张*', telephone: '138****0000', severity: 'high' } }] }],
  [{ code: 'line.inspection-ordered', because: [{ code: 'feed.pending' }, { code: 'risk.sample.random', params: { rate: '2%' } }] }],
  [{ code: 'risk.xray.suspect' }, { code: 'line.weight-out', params: { measured: 2.4, declared: 1.1 } }],
  [{ code: 'line.xray-fault', params: { fault: 'PLC fault 0x21' } }],
  [{ code: 'line.sample.hub', params: {} }],
  [{ code: 'line.weight-unsettled' }],
];
const EXCEPTION: readonly LineReason[][] = [[{ code: 'line.no-read' }], [{ code: 'line.multi-read', params: { codes: ['EA000000015CN', 'EA000000029CN'] } }]];

/** Old gateways wrote these sentences into the journal: the hub still accepts and shows them, as written. */
export const LEGACY_LINE_TEXT = ['customs hold: risk: watch-listed consignee', 'inspection ordered: random sample'];
export const LEGACY_EVERY = 7;

/** The reasons of the i-th parcel down `lane`, in the `parcel.inspected` payload's fields. */
export function lineReasons(i: number, lane: 'release' | 'inspection' | 'exception'): { reasonCodes?: LineReason[]; reasons?: string[] } {
  if (lane === 'release') return { reasonCodes: [] };
  if (i % LEGACY_EVERY === LEGACY_EVERY - 1) return { reasons: [LEGACY_LINE_TEXT[i % LEGACY_LINE_TEXT.length]!] };
  const pool = lane === 'inspection' ? CODED : EXCEPTION;
  return { reasonCodes: pool[i % pool.length]! };
}

/** A `parcel.inspected` of the i-th parcel: its lane, its reasons. */
export function inspectedEvent(key: string, i: number, lane: 'release' | 'inspection' | 'exception', stationId = 'LINE-1'): NewEvent {
  const outcome = lane === 'exception' ? ('unknown_parcel' as const) : ('ok' as const);
  return { type: 'parcel.inspected', stationId, parcelKey: key, payload: { transactionId: `t-${key}-${i}`, revision: 1, lineId: stationId, outcome, codes: [key], hubDecision: lane === 'release' ? 'released' : 'hold', lane, ...lineReasons(i, lane) } };
}

/** What a line's and a zone's gateways raise: devices down with their own (English) words, disk, clock, seal, fence. */
export function alarmEvents(stationId = 'LINE-1'): NewEvent[] {
  return [
    { type: 'device.health', stationId, deviceId: 'XRAY-1', payload: { status: 'down', detail: 'connect ECONNREFUSED 10.0.0.7:4840' } },
    { type: 'device.health', stationId, deviceId: 'SCALE-1', payload: { status: 'down' } },
    { type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'disk_soft_limit', detail: 'journal at 82% of 2 GiB' } },
    { type: 'edge.alarm', stationId: 'agent', payload: { alarm: 'clock_unsynced', detail: 'chrony: no selectable sources' } },
    { type: 'edge.alarm', stationId, payload: { alarm: 'station_event_refused', detail: 'parcel.inspected: codes: too many' } },
    { type: 'seal.state_changed', stationId: 'GPS-1', payload: { sealId: 'ES-77', state: 'tampered', insideFence: false } },
    { type: 'fence.breached', stationId: 'GPS-1', payload: { fenceId: 'ZONE-A', sealId: 'ES-78', confidence: 'low', lat: 22.5, lon: 113.9 } },
  ];
}
