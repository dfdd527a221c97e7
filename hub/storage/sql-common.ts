import { BondgateError } from '../../shared/errors.ts';
import { applyParcelEvent, compareForFold, foldParcel, initialSnapshot, type ParcelSnapshot, type ParcelState } from '../../shared/parcel-state.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { GatewayStatus, Hello } from '../../shared/sync-protocol.ts';
import type { GatewayRecord, IngestEntry, JournalAlert, ParcelRecord, StoredEvent } from './storage.ts';

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

/**
 * The entries a batch actually stored, given the seqs the database reports as inserted: the first copy of each seq,
 * so an entry repeated inside one batch is counted (and folded) once.
 */
export function firstCopies(entries: readonly IngestEntry[], insertedSeqs: ReadonlySet<number>): IngestEntry[] {
  const pending = new Set(insertedSeqs);
  const out: IngestEntry[] = [];
  for (const e of entries) if (pending.delete(e.seq)) out.push(e);
  return out;
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

/** Newly inserted, trustworthy events grouped by parcel, each group in fold order. */
export function foldableByParcel(inserted: IngestEntry[]): Map<string, EdgeEvent[]> {
  const by = new Map<string, EdgeEvent[]>();
  for (const e of inserted) {
    if (e.status !== 'ok' || !e.event || !e.parcelKey) continue;
    const list = by.get(e.parcelKey);
    if (list) list.push(e.event);
    else by.set(e.parcelKey, [e.event]);
  }
  for (const list of by.values()) list.sort(compareForFold);
  return by;
}

/**
 * An event that sorts before the parcel's last folded event changes the fold order: the parcel must be refolded
 * from all its events. An equal HLC counts too: HLCs carry no node id, so two gateways can stamp the same value and
 * the tie is broken by gateway and seq (compareForFold), which the snapshot does not record.
 */
export function needsRefold(existing: ParcelRecord | undefined, events: EdgeEvent[]): boolean {
  return !!existing && events.length > 0 && events[0]!.time.hlc <= existing.lastHlc;
}

/** Fold new events into a parcel; `allEvents` (every stored ok event of the parcel) when needsRefold said so. */
export function foldInto(existing: ParcelRecord | undefined, events: EdgeEvent[], allEvents: EdgeEvent[] | undefined, receivedMs: number): ParcelRecord {
  const first = events[0]!;
  const snap: ParcelSnapshot = allEvents ? foldParcel(allEvents) : events.reduce(applyParcelEvent, existing ?? initialSnapshot());
  let firstWall = existing?.firstWallMs ?? Number.MAX_SAFE_INTEGER;
  for (const e of events) if (e.time.wallMs < firstWall) firstWall = e.time.wallMs;
  return { ...snap, parcelKey: first.parcelKey!, firstWallMs: firstWall, updatedMs: receivedMs };
}
