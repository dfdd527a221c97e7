import { GENESIS_HASH } from '../../shared/canonical.ts';
import { encodeHlc } from '../../shared/hlc.ts';
import { newEventId } from '../../shared/ids.ts';
import { checkEntry, sealEnvelope } from '../../shared/journal-chain.ts';
import { EdgeEvent, type NewEvent } from '../../shared/schemas/events.ts';
import type { IngestEntry } from './storage.ts';

export { seededRandom } from '../../shared/seeded-random.ts';

/**
 * Builds a gateway's hash-chained journal for store tests, and turns entries into what the ingest service
 * hands the store. `at` sets an event's HLC physical time so tests can make late arrivals.
 */
export class JournalBuilder {
  private seq = 0;
  private prev = GENESIS_HASH;
  constructor(readonly gatewayId: string, private clock = 1_790_000_000_000) {}

  next(e: NewEvent, at?: number): IngestEntry {
    this.seq += 1;
    const wallMs = at ?? (this.clock += 10);
    const sealed = sealEnvelope({
      id: newEventId(),
      gatewayId: this.gatewayId,
      seq: this.seq,
      type: e.type,
      stationId: e.stationId,
      deviceId: e.deviceId,
      parcelKey: e.parcelKey,
      time: { wallMs, hlc: encodeHlc({ l: wallMs, c: 0 }), bootId: 'boot', uptimeMs: wallMs % 1_000_000, clockSynced: true },
      payload: e.payload,
      prevHash: this.prev,
    });
    this.prev = sealed.hash;
    return toEntry(JSON.parse(sealed.json) as Record<string, unknown>);
  }

  many(n: number, make: (i: number) => NewEvent): IngestEntry[] {
    return Array.from({ length: n }, (_, i) => this.next(make(i)));
  }
}

export function toEntry(raw: Record<string, unknown>): IngestEntry {
  const event = EdgeEvent.parse(raw);
  const { ok, json } = checkEntry(raw);
  return {
    seq: event.seq,
    id: event.id,
    type: event.type,
    parcelKey: event.parcelKey ?? null,
    stationId: event.stationId,
    wallMs: event.time.wallMs,
    hlc: event.time.hlc,
    prevHash: event.prevHash,
    hash: event.hash,
    status: ok ? 'ok' : 'hash_mismatch',
    event,
    rawJson: json,
  };
}

export const scan = (parcelKey: string, stationId = 'LINE-1'): NewEvent => ({ type: 'parcel.scanned', stationId, parcelKey, payload: { code: parcelKey, source: 'scanner' } });
export const weigh = (parcelKey: string, kg: number): NewEvent => ({ type: 'parcel.weighed', stationId: 'LINE-1', parcelKey, payload: { grossWeightKg: kg, stable: true } });
export const hold = (parcelKey: string): NewEvent => ({ type: 'parcel.held', stationId: 'LINE-1', parcelKey, payload: { reason: 'weight off declared' } });
export const release = (parcelKey: string): NewEvent => ({ type: 'parcel.released', stationId: 'LINE-1', parcelKey, payload: { by: 'auto' } });
export const inspect = (parcelKey: string): NewEvent => ({ type: 'officer.action', stationId: 'DESK-1', parcelKey, payload: { officerId: 'officer-7', action: 'inspect', reason: 'x-ray suspect' } });
export const xray = (parcelKey: string, verdict: 'clear' | 'suspect'): NewEvent => ({ type: 'xray.verdict', stationId: 'XRAY-1', parcelKey, payload: { verdict } });
export const gateOut = (parcelKey: string): NewEvent => ({ type: 'gate.passed', stationId: 'GATE-1', parcelKey, payload: { laneId: 'L1', direction: 'out' } });
