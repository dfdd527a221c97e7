import type { EdgeEvent } from './schemas/events.ts';

/**
 * The parcel state machine, as seen from the zone's stations. Pure: (snapshot, event) → next snapshot.
 *
 * Events record what physically happened, so a transition the rules do not expect is never refused —
 * a parcel that left the zone while held did leave. It is applied and flagged as an anomaly, which is
 * exactly what a customs officer needs to see.
 */
export const PARCEL_STATES = ['in_zone', 'inspection', 'on_hold', 'released', 'seized', 'returned', 'destroyed', 'exited'] as const;
export type ParcelState = (typeof PARCEL_STATES)[number];

export interface ParcelSnapshot {
  state: ParcelState;
  /** HLC of the last event folded in: events are folded in HLC order (late arrivals trigger a refold). */
  lastHlc: string;
  eventCount: number;
  lastStationId: string;
  lastGatewayId: string;
  lastWallMs: number;
  grossWeightKg: number | null;
  xrayVerdict: 'clear' | 'suspect' | 'unreadable' | null;
  anomalies: string[];
}

/** Normalised tracking status a person understands (customs.md §8). */
export type TrackingStatus = 'in_transit' | 'on_hold' | 'released' | 'delivered_out' | 'return_to_sender' | 'closed';
const TRACKING: Record<ParcelState, TrackingStatus> = {
  in_zone: 'in_transit',
  inspection: 'on_hold',
  on_hold: 'on_hold',
  released: 'released',
  seized: 'closed',
  returned: 'return_to_sender',
  destroyed: 'closed',
  exited: 'delivered_out',
};
export function trackingStatus(state: ParcelState): TrackingStatus {
  return TRACKING[state];
}

const BLOCKED: ReadonlySet<ParcelState> = new Set(['inspection', 'on_hold', 'seized', 'destroyed']);

function target(state: ParcelState, event: EdgeEvent): { next: ParcelState; anomaly?: string } {
  switch (event.type) {
    case 'parcel.scanned':
    case 'parcel.weighed':
    case 'xray.verdict':
      // A station touching a parcel that had left means it came back in without a gate passage.
      return state === 'exited' ? { next: 'in_zone', anomaly: 'seen_after_exit' } : { next: state };
    case 'parcel.inspected':
    case 'parcel.diverted':
      if (state === 'exited') return { next: 'in_zone', anomaly: 'seen_after_exit' };
      if (event.payload.lane === 'inspection' || event.payload.lane === 'exception') {
        return { next: state === 'released' || state === 'in_zone' ? 'inspection' : state };
      }
      return BLOCKED.has(state) ? { next: state, anomaly: `diverted_to_release_while_${state}` } : { next: state };
    case 'parcel.held':
      if (state === 'exited') return { next: state, anomaly: 'held_after_exit' };
      // A hold is weaker than a seizure: it must not turn a seized parcel back into one that can be released.
      return { next: state === 'seized' || state === 'destroyed' ? state : 'on_hold' };
    case 'parcel.released':
      if (state === 'seized' || state === 'destroyed') return { next: state, anomaly: `released_while_${state}` };
      return { next: state === 'exited' ? 'exited' : 'released' };
    case 'officer.action':
      // A finding at an edge bench, not a customs decision (customs decides at the hub and its word reaches the
      // stations as the feed's decision): a pass changes nothing, and every other finding can only stop the parcel —
      // holding is within the zone's power, releasing and closing a case are not.
      switch (event.payload.action) {
        case 'release':
        case 'pass':
          return { next: state };
        case 'inspect':
          if (state === 'exited') return { next: state, anomaly: 'held_after_exit' };
          return { next: state === 'seized' || state === 'destroyed' ? state : 'inspection' };
        case 'hold':
        case 'seize':
        case 'return':
        case 'destroy':
          // As for parcel.held.
          if (state === 'exited') return { next: state, anomaly: 'held_after_exit' };
          return { next: state === 'seized' || state === 'destroyed' || state === 'returned' ? state : 'on_hold' };
      }
      break;
    case 'gate.passed':
      if (event.payload.direction === 'in') return { next: 'in_zone' };
      if (BLOCKED.has(state)) return { next: 'exited', anomaly: `exited_while_${state}` };
      if (state === 'in_zone' && !event.payload.manual) return { next: 'exited', anomaly: 'exited_without_release' };
      return { next: 'exited' };
    default:
      return { next: state };
  }
  return { next: state };
}

/** The line's PLC says reject where the older verdict event says suspect: both mean "look at this parcel". */
const xrayOf = (v: 'clear' | 'suspect' | 'reject' | 'unreadable'): ParcelSnapshot['xrayVerdict'] => (v === 'reject' ? 'suspect' : v);

export function initialSnapshot(): ParcelSnapshot {
  return { state: 'in_zone', lastHlc: '', eventCount: 0, lastStationId: '', lastGatewayId: '', lastWallMs: 0, grossWeightKg: null, xrayVerdict: null, anomalies: [] };
}

export function applyParcelEvent(snapshot: ParcelSnapshot, event: EdgeEvent): ParcelSnapshot {
  const { next, anomaly } = target(snapshot.state, event);
  return {
    state: next,
    lastHlc: event.time.hlc > snapshot.lastHlc ? event.time.hlc : snapshot.lastHlc,
    eventCount: snapshot.eventCount + 1,
    lastStationId: event.stationId,
    lastGatewayId: event.gatewayId,
    lastWallMs: event.time.wallMs,
    grossWeightKg: event.type === 'parcel.weighed' ? event.payload.grossWeightKg : event.type === 'parcel.inspected' && event.payload.grossWeightKg !== undefined ? event.payload.grossWeightKg : snapshot.grossWeightKg,
    xrayVerdict: event.type === 'xray.verdict' ? event.payload.verdict : event.type === 'parcel.inspected' && event.payload.xray ? xrayOf(event.payload.xray.verdict) : snapshot.xrayVerdict,
    anomalies: anomaly ? [...snapshot.anomalies, anomaly].slice(-20) : snapshot.anomalies,
  };
}

/** Order events the way the projection folds them: HLC, then gateway and seq to break ties deterministically. */
export function compareForFold(a: EdgeEvent, b: EdgeEvent): number {
  if (a.time.hlc !== b.time.hlc) return a.time.hlc < b.time.hlc ? -1 : 1;
  if (a.gatewayId !== b.gatewayId) return a.gatewayId < b.gatewayId ? -1 : 1;
  return a.seq - b.seq;
}

/** Fold a parcel's events from scratch, in fold order (used when an event arrives older than the snapshot). */
export function foldParcel(events: readonly EdgeEvent[]): ParcelSnapshot {
  return [...events].sort(compareForFold).reduce(applyParcelEvent, initialSnapshot());
}
