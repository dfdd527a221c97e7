import { BondgateError } from '../../shared/errors.ts';
import { applyParcelEvent, compareForFold, foldParcel, initialSnapshot, type ParcelSnapshot, type ParcelState } from '../../shared/parcel-state.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { GatewayStatus, Hello } from '../../shared/sync-protocol.ts';
import type { FoldInput, GatewayRecord, IngestEntry, JournalAlert, ParcelRecord, StoredEvent } from './storage.ts';

/** Pieces both SQL stores share: row mapping, cursors, and the per-batch parcel fold (pure). */

export function encodeCursor(updatedMs: number, parcelKey: string): string {
  return Buffer.from(JSON.stringify([updatedMs, parcelKey])).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through to the error below
  }
  throw new BondgateError('VALIDATION_FAILED', 'cursor is not one this API issued', [{ field: 'query.cursor', message: 'invalid cursor' }]);
}

export interface ParcelRow {
  parcel_key: string;
  state: string;
  last_hlc: string;
  event_count: number | string;
  last_station_id: string;
  last_gateway_id: string;
  last_wall_ms: number | string;
  gross_weight_kg: number | string | null;
  xray_verdict: string | null;
  anomalies: string | string[];
  first_wall_ms: number | string;
  updated_ms: number | string;
}

export function parcelFromRow(r: ParcelRow): ParcelRecord {
  return {
    parcelKey: r.parcel_key,
    state: r.state as ParcelState,
    lastHlc: r.last_hlc,
    eventCount: Number(r.event_count),
    lastStationId: r.last_station_id,
    lastGatewayId: r.last_gateway_id,
    lastWallMs: Number(r.last_wall_ms),
    grossWeightKg: r.gross_weight_kg === null ? null : Number(r.gross_weight_kg),
    xrayVerdict: r.xray_verdict as ParcelRecord['xrayVerdict'],
    anomalies: typeof r.anomalies === 'string' ? (JSON.parse(r.anomalies) as string[]) : r.anomalies,
    firstWallMs: Number(r.first_wall_ms),
    updatedMs: Number(r.updated_ms),
  };
}

export interface EventRow {
  gateway_id: string;
  seq: number | string;
  event_id: string;
  type: string;
  parcel_key: string | null;
  station_id: string | null;
  wall_ms: number | string;
  hlc: string;
  received_ms: number | string;
  status: string;
  body: string | Record<string, unknown>;
}

export function eventFromRow(r: EventRow): StoredEvent {
  return {
    gatewayId: r.gateway_id,
    seq: Number(r.seq),
    id: r.event_id,
    type: r.type,
    parcelKey: r.parcel_key,
    stationId: r.station_id,
    wallMs: Number(r.wall_ms),
    hlc: r.hlc,
    receivedMs: Number(r.received_ms),
    status: r.status as StoredEvent['status'],
    body: typeof r.body === 'string' ? (JSON.parse(r.body) as Record<string, unknown>) : r.body,
  };
}

export interface GatewayRow {
  id: string;
  password_hash: string | null;
  public_key_pem: string | null;
  acked_seq: number | string;
  head_hash: string;
  last_seen_ms: number | string | null;
  last_hello: string | Hello | null;
  last_status: string | GatewayStatus | null;
  clock_offset_ms: number | string | null;
  alert_count: number | string;
  created_ms: number | string;
}

const json = <T>(v: string | T | null): T | null => (v === null ? null : typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function gatewayFromRow(r: GatewayRow): GatewayRecord {
  return {
    id: r.id,
    passwordHash: r.password_hash,
    publicKeyPem: r.public_key_pem,
    ackedSeq: Number(r.acked_seq),
    headHash: r.head_hash,
    lastSeenMs: r.last_seen_ms === null ? null : Number(r.last_seen_ms),
    lastHello: json<Hello>(r.last_hello),
    lastStatus: json<GatewayStatus>(r.last_status),
    clockOffsetMs: r.clock_offset_ms === null ? null : Number(r.clock_offset_ms),
    alertCount: Number(r.alert_count),
    createdMs: Number(r.created_ms),
  };
}

/** Alerts for entries that were stored but are not trustworthy. */
export function entryAlerts(gatewayId: string, inserted: IngestEntry[], atMs: number): JournalAlert[] {
  const out: JournalAlert[] = [];
  for (const e of inserted) {
    if (e.status === 'hash_mismatch') out.push({ gatewayId, seq: e.seq, kind: 'hash_mismatch', detail: e.problem ?? 'hash does not match the entry content', atMs });
    else if (e.status === 'invalid') out.push({ gatewayId, seq: e.seq, kind: 'invalid_entry', detail: e.problem ?? 'entry failed validation', atMs });
  }
  return out;
}

/** A parcel's share of a fold call: its events in fold order and the latest receive time among them. */
export interface ParcelFoldGroup {
  events: EdgeEvent[];
  receivedMs: number;
}

/** Fold inputs grouped by parcel (keys sorted: the order every store locks rows in), each group in fold order. */
export function groupForFold(inputs: readonly FoldInput[]): Map<string, ParcelFoldGroup> {
  const by = new Map<string, ParcelFoldGroup>();
  // One event once per call, however often it was handed over (a redelivery queued beside its first delivery).
  const seen = new Set<string>();
  for (const { event, receivedMs } of inputs) {
    const key = event.parcelKey;
    if (!key) continue;
    const id = `${event.gatewayId}\u0000${event.seq}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const g = by.get(key);
    if (!g) by.set(key, { events: [event], receivedMs });
    else {
      g.events.push(event);
      if (receivedMs > g.receivedMs) g.receivedMs = receivedMs;
    }
  }
  for (const g of by.values()) g.events.sort(compareForFold);
  return new Map([...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The stored entries a fold takes: valid, hash-checked events of a parcel. */
export function foldInputs(entries: readonly IngestEntry[], receivedMs: number): FoldInput[] {
  const out: FoldInput[] = [];
  for (const e of entries) if (e.status === 'ok' && e.event && e.parcelKey) out.push({ event: e.event, receivedMs });
  return out;
}

/**
 * An event that sorts before the parcel's last folded event changes the fold order: the parcel must be refolded
 * from all its events. An equal HLC counts too: HLCs carry no node id, so two gateways can stamp the same value and
 * the tie is broken by gateway and seq (compareForFold), which the snapshot does not record.
 */
export function needsRefold(existing: ParcelRecord | undefined, events: EdgeEvent[]): boolean {
  return !!existing && events.length > 0 && events[0]!.time.hlc <= existing.lastHlc;
}

/**
 * Fold new events into a parcel; `allEvents` (every stored ok event of the parcel, these included) when needsRefold
 * said so. The row's updatedMs never goes back: a replay of old events must not make a parcel look untouched since.
 */
export function foldInto(existing: ParcelRecord | undefined, events: EdgeEvent[], allEvents: EdgeEvent[] | undefined, receivedMs: number): ParcelRecord {
  const first = events[0]!;
  const snap: ParcelSnapshot = allEvents ? foldParcel(allEvents) : events.reduce(applyParcelEvent, existing ?? initialSnapshot());
  let firstWall = allEvents ? Number.MAX_SAFE_INTEGER : (existing?.firstWallMs ?? Number.MAX_SAFE_INTEGER);
  for (const e of allEvents ?? events) if (e.time.wallMs < firstWall) firstWall = e.time.wallMs;
  return { ...snap, parcelKey: first.parcelKey!, firstWallMs: firstWall, updatedMs: Math.max(receivedMs, existing?.updatedMs ?? 0) };
}
