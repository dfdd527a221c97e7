import { all, lock, run, type Sql, type SqlParam } from '../storage/sql.ts';

/**
 * The zone overview's read model (the 'zone-stats' projection, hub/services/zone-stats.ts): hourly counters, an hourly
 * dwell histogram and, per parcel, the few moments the counters were derived from. The overview reads a day of it in
 * a handful of index range scans, never the events table.
 *
 * - `zone_hourly (hour_ms, metric, station_id, n)`: parcels in / released / held / out for the whole zone
 *   (station_id '*'), parcels per inspection line ('line') and passages per gate ('gate'), per hour.
 * - `zone_dwell (hour_ms, bucket, n)`: parcels that went out in that hour, by dwell bucket (fixed log buckets).
 * - `zone_parcels`: per parcel, when it was first seen, first released, first held, first went out, first passed a line
 *   (and which). Each moment is counted once per parcel, which is what makes replays and redeliveries harmless.
 * - `zone_gate_passages`: gate passages by event id, for the same reason (a passage may carry no parcel key).
 */
export const ZONE_METRICS = ['in', 'released', 'held', 'out', 'line', 'gate'] as const;
export type ZoneMetric = (typeof ZONE_METRICS)[number];
/** station_id of the zone-wide counters. */
export const ZONE_WIDE = '*';

export interface ZoneParcel {
  parcelKey: string;
  firstMs: number;
  releasedMs: number | null;
  heldMs: number | null;
  outMs: number | null;
  lineMs: number | null;
  lineId: string | null;
}

export interface GatePassage {
  eventId: string;
  stationId: string;
  atMs: number;
}

export interface CounterDelta {
  hourMs: number;
  metric: ZoneMetric;
  stationId: string;
  n: number;
}

export interface DwellDelta {
  hourMs: number;
  bucket: number;
  n: number;
}

/** What one batch changes, decided from the stored rows by a pure function (the service's `foldStamps`). */
export interface ZoneBatchChange {
  parcels: ZoneParcel[];
  counters: CounterDelta[];
  dwell: DwellDelta[];
}

export interface ZoneStatsRepo {
  migrate(): Promise<void>;
  /**
   * One batch in one transaction under one lock (all writers of these counters take it, so two hubs never interleave
   * a read-decide-write on the same parcel, and counter rows are never locked in two orders): read the named parcels,
   * record the passages (those seen before are dropped), let `decide` compute the new rows and counter deltas, write.
   */
  applyBatch(parcelKeys: readonly string[], passages: readonly GatePassage[], decide: (current: ReadonlyMap<string, ZoneParcel>, newPassages: readonly GatePassage[]) => ZoneBatchChange): Promise<ZoneBatchChange>;
  /** Counter rows with fromMs ≤ hour_ms < toMs (a primary-key range scan: a day is at most a few hundred rows). */
  hourly(fromMs: number, toMs: number): Promise<CounterDelta[]>;
  /** The dwell histogram summed over the hours fromMs ≤ hour_ms < toMs. */
  dwell(fromMs: number, toMs: number): Promise<{ bucket: number; n: number }[]>;
}

const MIGRATIONS = [
  'CREATE TABLE zone_hourly (hour_ms BIGINT NOT NULL, metric TEXT NOT NULL, station_id TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (hour_ms, metric, station_id))',
  'CREATE TABLE zone_dwell (hour_ms BIGINT NOT NULL, bucket INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (hour_ms, bucket))',
  `CREATE TABLE zone_parcels (
     parcel_key TEXT PRIMARY KEY,
     first_ms BIGINT NOT NULL,
     released_ms BIGINT,
     held_ms BIGINT,
     out_ms BIGINT,
     line_ms BIGINT,
     line_id TEXT
   )`,
  'CREATE TABLE zone_gate_passages (event_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, at_ms BIGINT NOT NULL)',
];

type ParcelRow = { parcel_key: string; first_ms: number; released_ms: number | null; held_ms: number | null; out_ms: number | null; line_ms: number | null; line_id: string | null };
const num = (v: number | null) => (v === null ? null : Number(v));
const fromRow = (r: ParcelRow): ZoneParcel => ({ parcelKey: r.parcel_key, firstMs: Number(r.first_ms), releasedMs: num(r.released_ms), heldMs: num(r.held_ms), outMs: num(r.out_ms), lineMs: num(r.line_ms), lineId: r.line_id });

const UPSERT_PARCEL = `INSERT INTO zone_parcels (parcel_key, first_ms, released_ms, held_ms, out_ms, line_ms, line_id) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (parcel_key) DO UPDATE SET first_ms = excluded.first_ms, released_ms = excluded.released_ms, held_ms = excluded.held_ms, out_ms = excluded.out_ms, line_ms = excluded.line_ms, line_id = excluded.line_id`;
const BUMP_HOURLY = 'INSERT INTO zone_hourly (hour_ms, metric, station_id, n) VALUES (?, ?, ?, ?) ON CONFLICT (hour_ms, metric, station_id) DO UPDATE SET n = zone_hourly.n + excluded.n';
const BUMP_DWELL = 'INSERT INTO zone_dwell (hour_ms, bucket, n) VALUES (?, ?, ?) ON CONFLICT (hour_ms, bucket) DO UPDATE SET n = zone_dwell.n + excluded.n';
const CHUNK = 500;

/** Sum deltas on the same row, drop the zeros, and sort (a stable write order). */
function merge<T extends { n: number }>(deltas: readonly T[], key: (d: T) => string): T[] {
  const m = new Map<string, T>();
  for (const d of deltas) {
    const k = key(d);
    const prev = m.get(k);
    m.set(k, prev ? { ...prev, n: prev.n + d.n } : { ...d });
  }
  return [...m.entries()]
    .filter(([, d]) => d.n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, d]) => d);
}

export function openZoneStatsRepo(sql: Sql): ZoneStatsRepo {
  return {
    migrate: () => sql.migrate('zone-stats', MIGRATIONS),
    applyBatch(parcelKeys, passages, decide) {
      const keys = [...new Set(parcelKeys)];
      return sql.tx(function* () {
        yield* lock('zone-stats');
        const current = new Map<string, ZoneParcel>();
        for (let i = 0; i < keys.length; i += CHUNK) {
          const chunk = keys.slice(i, i + CHUNK);
          const rows = yield* all<ParcelRow>(`SELECT parcel_key, first_ms, released_ms, held_ms, out_ms, line_ms, line_id FROM zone_parcels WHERE parcel_key IN (${chunk.map(() => '?').join(', ')})`, chunk);
          for (const r of rows) current.set(r.parcel_key, fromRow(r));
        }
        const fresh: GatePassage[] = [];
        for (const p of passages) {
          if ((yield* run('INSERT INTO zone_gate_passages (event_id, station_id, at_ms) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING', [p.eventId, p.stationId, p.atMs])) > 0) fresh.push(p);
        }
        const change = decide(current, fresh);
        for (const p of change.parcels) yield* run(UPSERT_PARCEL, [p.parcelKey, p.firstMs, p.releasedMs, p.heldMs, p.outMs, p.lineMs, p.lineId] satisfies SqlParam[]);
        const counters = merge(change.counters, (d) => `${String(d.hourMs).padStart(15, '0')}|${d.metric}|${d.stationId}`);
        for (const d of counters) yield* run(BUMP_HOURLY, [d.hourMs, d.metric, d.stationId, d.n]);
        const dwell = merge(change.dwell, (d) => `${String(d.hourMs).padStart(15, '0')}|${String(d.bucket).padStart(3, '0')}`);
        for (const d of dwell) yield* run(BUMP_DWELL, [d.hourMs, d.bucket, d.n]);
        return { parcels: change.parcels, counters, dwell };
      });
    },
    async hourly(fromMs, toMs) {
      const rows = await sql.all<{ hour_ms: number; metric: ZoneMetric; station_id: string; n: number }>('SELECT hour_ms, metric, station_id, n FROM zone_hourly WHERE hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms', [fromMs, toMs]);
      return rows.map((r) => ({ hourMs: Number(r.hour_ms), metric: r.metric, stationId: r.station_id, n: Number(r.n) }));
    },
    async dwell(fromMs, toMs) {
      const rows = await sql.all<{ bucket: number; n: number }>('SELECT bucket, SUM(n) AS n FROM zone_dwell WHERE hour_ms >= ? AND hour_ms < ? GROUP BY bucket ORDER BY bucket', [fromMs, toMs]);
      return rows.map((r) => ({ bucket: Number(r.bucket), n: Number(r.n) }));
    },
  };
}
