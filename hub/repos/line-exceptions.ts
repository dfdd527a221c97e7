import type { LineReason } from '../../shared/schemas/events.ts';
import { all, lock, one, run, type Sql } from '../storage/sql.ts';

/**
 * Line exceptions (issue 17 item 2): parcels the line diverted to the inspection or exception lane (or a station
 * refused), one row per parcel, until an officer handles it. Fed by the 'line-exceptions' projection; a diversion
 * after the handling opens it again. Whether the parcel has a declaration is read at query time from the cases.
 */
/**
 * One reason the line gave: a code with parameters (said in the reader's language by shared/reason-codes.ts), or —
 * from an event an older gateway journalled, or a row stored before codes — only its `message`, shown as written.
 */
export type LineExceptionReason = Partial<LineReason> & { message?: string };

export interface LineException {
  parcelKey: string;
  gatewayId: string;
  stationId: string;
  /** 'inspection' | 'exception' (a line lane) or 'refused' (a station refused the parcel's event). */
  lane: string;
  /** The reasons the station gave, as codes (shown through the reason renderer) or, when old, as text. */
  reasons: LineExceptionReason[];
  firstMs: number;
  lastMs: number;
  status: 'open' | 'handled';
  handledBy: string | null;
  handledMs: number | null;
  handledReason: string | null;
}

export interface LineExceptionSighting {
  parcelKey: string;
  gatewayId: string;
  stationId: string;
  lane: string;
  reasons: LineExceptionReason[];
  atMs: number;
}

export interface LineExceptionRepo {
  migrate(): Promise<void>;
  /** Record sightings: a new row, or the latest sighting on an existing one (reopened when later than its handling). */
  record(sightings: readonly LineExceptionSighting[]): Promise<void>;
  list(q: { status?: 'open' | 'handled'; limit: number }): Promise<LineException[]>;
  get(parcelKey: string): Promise<LineException | undefined>;
  /** Mark handled; undefined when there is no such row, 'already' when it is handled. */
  handle(parcelKey: string, by: string, reason: string, nowMs: number): Promise<LineException | 'already' | undefined>;
}

const MIGRATIONS = [
  `CREATE TABLE line_exceptions (
     parcel_key TEXT PRIMARY KEY,
     gateway_id TEXT NOT NULL,
     station_id TEXT NOT NULL,
     lane TEXT NOT NULL,
     reasons TEXT NOT NULL,
     first_ms BIGINT NOT NULL,
     last_ms BIGINT NOT NULL,
     status TEXT NOT NULL,
     handled_by TEXT,
     handled_ms BIGINT,
     handled_reason TEXT
   )`,
  'CREATE INDEX line_exceptions_status ON line_exceptions (status, last_ms)',
];

interface Row {
  parcel_key: string;
  gateway_id: string;
  station_id: string;
  lane: string;
  reasons: string;
  first_ms: number;
  last_ms: number;
  status: string;
  handled_by: string | null;
  handled_ms: number | null;
  handled_reason: string | null;
}
const toRecord = (r: Row): LineException => ({
  parcelKey: r.parcel_key,
  gatewayId: r.gateway_id,
  stationId: r.station_id,
  lane: r.lane,
  reasons: readReasons(r.reasons),
  firstMs: Number(r.first_ms),
  lastMs: Number(r.last_ms),
  status: r.status === 'handled' ? 'handled' : 'open',
  handledBy: r.handled_by,
  handledMs: r.handled_ms === null ? null : Number(r.handled_ms),
  handledReason: r.handled_reason,
});

/** Stored reasons: rows written before codes hold strings (text as the station wrote it). */
function readReasons(json: string): LineExceptionReason[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v)) return [];
  return v.map((x: unknown) => (typeof x === 'string' ? { message: x } : (x as LineExceptionReason)));
}

export function openLineExceptionRepo(sql: Sql): LineExceptionRepo {
  return {
    migrate: () => sql.migrate('line-exceptions', MIGRATIONS),
    record(sightings) {
      if (sightings.length === 0) return Promise.resolve();
      return sql.tx(function* () {
        for (const s of sightings) {
          yield* lock(`line-exception:${s.parcelKey}`);
          const cur = yield* one<Row>('SELECT * FROM line_exceptions WHERE parcel_key = ?', [s.parcelKey]);
          if (!cur) {
            yield* run('INSERT INTO line_exceptions (parcel_key, gateway_id, station_id, lane, reasons, first_ms, last_ms, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [s.parcelKey, s.gatewayId, s.stationId, s.lane, JSON.stringify(s.reasons), s.atMs, s.atMs, 'open']);
            continue;
          }
          // Replays and redeliveries carry no later sighting: nothing changes, a handled row stays handled.
          if (s.atMs <= Number(cur.last_ms)) continue;
          const reopen = cur.status === 'handled' && cur.handled_ms !== null && s.atMs > Number(cur.handled_ms);
          yield* run('UPDATE line_exceptions SET gateway_id = ?, station_id = ?, lane = ?, reasons = ?, last_ms = ?, status = ? WHERE parcel_key = ?', [s.gatewayId, s.stationId, s.lane, JSON.stringify(s.reasons), s.atMs, reopen ? 'open' : cur.status, s.parcelKey]);
        }
      });
    },
    async list(q) {
      const rows = q.status
        ? await sql.all<Row>('SELECT * FROM line_exceptions WHERE status = ? ORDER BY last_ms ASC, parcel_key ASC LIMIT ?', [q.status, q.limit])
        : await sql.all<Row>('SELECT * FROM line_exceptions ORDER BY last_ms ASC, parcel_key ASC LIMIT ?', [q.limit]);
      return rows.map(toRecord);
    },
    async get(parcelKey) {
      const [r] = await sql.all<Row>('SELECT * FROM line_exceptions WHERE parcel_key = ?', [parcelKey]);
      return r ? toRecord(r) : undefined;
    },
    handle(parcelKey, by, reason, nowMs) {
      return sql.tx(function* () {
        yield* lock(`line-exception:${parcelKey}`);
        const cur = yield* one<Row>('SELECT * FROM line_exceptions WHERE parcel_key = ?', [parcelKey]);
        if (!cur) return undefined;
        if (cur.status === 'handled') return 'already' as const;
        yield* run("UPDATE line_exceptions SET status = 'handled', handled_by = ?, handled_ms = ?, handled_reason = ? WHERE parcel_key = ?", [by, nowMs, reason, parcelKey]);
        const after = yield* all<Row>('SELECT * FROM line_exceptions WHERE parcel_key = ?', [parcelKey]);
        return toRecord(after[0]!);
      });
    },
  };
}
