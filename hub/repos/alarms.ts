import { createHash } from 'node:crypto';
import type { CodedReason } from '../../shared/reason-codes.ts';
import { acknowledge, alarmReason, applySignal, effectiveDeviceStatus, RECENT_DROPS_KEPT, type AckOutcome, type Alarm, type AlarmSignal, type AlarmState } from '../customs/alarms.ts';
import type { JournalAlertKind } from '../storage/storage.ts';
import { lock, one, run, type Migration, type Sql, type SqlParam } from '../storage/sql.ts';

/**
 * The 'alarms' read model (hub/customs/alarms.ts decides) and the latest health of each device, both fed from edge
 * events by the 'alarms' projection, plus a cursor over the ingest store's journal alerts. Small tables: one row per
 * (gateway, kind, subject) and one per device, never one per event, so the gateways page never reads `events`.
 */
const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE alarms (id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, station_id TEXT, device_id TEXT,
     severity TEXT NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL, first_ms BIGINT NOT NULL, last_ms BIGINT NOT NULL, count BIGINT NOT NULL,
     last_seq BIGINT NOT NULL, acked_by TEXT, acked_ms BIGINT, ack_reason TEXT, cleared_ms BIGINT)`,
  // The page lists by state (active first) or by gateway, newest first, keyset-paginated on (last_ms, id).
  'CREATE INDEX alarms_state ON alarms (state, last_ms DESC, id DESC)',
  'CREATE INDEX alarms_gateway ON alarms (gateway_id, state, last_ms DESC, id DESC)',
  'CREATE INDEX alarms_recent ON alarms (last_ms DESC, id DESC)',
  `CREATE TABLE device_health (gateway_id TEXT NOT NULL, device_id TEXT NOT NULL, station_id TEXT NOT NULL, status TEXT NOT NULL, detail TEXT,
     seq BIGINT NOT NULL, wall_ms BIGINT NOT NULL, since_ms BIGINT NOT NULL, PRIMARY KEY (gateway_id, device_id))`,
  // How far the journal alerts (the ingest store's `alerts` table, ids ascending) have been folded into alarms.
  'CREATE TABLE alarm_sources (name TEXT PRIMARY KEY, position BIGINT NOT NULL)',
  // When each device last went down (JSON array of gateway wall ms, newest last, at most RECENT_DROPS_KEPT): a device
  // that drops and comes back every half minute must show as flapping, not as up (issue 17 item 9).
  `ALTER TABLE device_health ADD COLUMN recent_downs TEXT NOT NULL DEFAULT '[]'`,
  'ALTER TABLE alarms ADD COLUMN recoveries BIGINT NOT NULL DEFAULT 0',
  // The alarm's sentence as a code with parameters (JSON) and its raw technical detail apart (issue 17 item 5). NULL
  // reason: a row from before codes, read as its kind's sentence with its English detail as the technical detail.
  'ALTER TABLE alarms ADD COLUMN reason TEXT',
  'ALTER TABLE alarms ADD COLUMN technical TEXT',
];

export type DeviceStatus = 'up' | 'down' | 'degraded';
export interface DeviceHealth {
  gatewayId: string;
  deviceId: string;
  stationId: string;
  status: DeviceStatus;
  detail: string | null;
  /** When the device last reported, and since when it has been in this status (gateway wall clock). */
  lastMs: number;
  sinceMs: number;
  /** What the device reported last; `status` is what a person should see (degraded while it keeps dropping). */
  reported: DeviceStatus;
  /** How often it went down within the flapping window, and whether that makes it flapping. */
  drops: number;
  dropsWindowMs: number;
  flapping: boolean;
}

export interface AlarmQuery {
  state?: AlarmState[];
  gatewayId?: string;
  limit: number;
  cursor?: string;
}

export interface AlarmRepo {
  migrate(): Promise<void>;
  /** Apply one signal at the source position `seq` (idempotent: a replay at or below the alarm's last seq does nothing). */
  signal(gatewayId: string, signal: AlarmSignal, atMs: number, seq: number): Promise<Alarm | null>;
  /** Record a device's health report; an older seq than the one held changes nothing. */
  deviceHealth(h: { gatewayId: string; deviceId: string; stationId: string; status: DeviceStatus; detail: string | null; seq: number; atMs: number }): Promise<void>;
  /** `nowMs` judges the flapping window (the hub's clock; gateways' clocks are checked against it). */
  devices(gatewayId: string, nowMs?: number): Promise<DeviceHealth[]>;
  get(id: string): Promise<Alarm | undefined>;
  /** Newest (last seen) first. */
  list(q: AlarmQuery): Promise<{ items: Alarm[]; nextCursor: string | null }>;
  counts(gatewayId?: string): Promise<Record<AlarmState, number>>;
  ack(id: string, by: string, reason: string, atMs: number): Promise<AckOutcome | undefined>;
  /** Journal alerts the ingest store recorded after `afterId` (its `alerts` table, by id), oldest first. */
  journalAlertsAfter(afterId: number, limit: number): Promise<{ id: number; gatewayId: string; seq: number | null; kind: JournalAlertKind; detail: string; atMs: number }[]>;
  sourcePosition(name: string): Promise<number>;
  setSourcePosition(name: string, position: number): Promise<void>;
}

export const alarmId = (gatewayId: string, kind: string, subject: string) => createHash('sha256').update(`${gatewayId}\0${kind}\0${subject}`).digest('hex').slice(0, 20);

interface Row {
  id: string; gateway_id: string; kind: Alarm['kind']; subject: string; station_id: string | null; device_id: string | null; severity: Alarm['severity']; state: AlarmState;
  detail: string; first_ms: number; last_ms: number; count: number; last_seq: number; acked_by: string | null; acked_ms: number | null; ack_reason: string | null; cleared_ms: number | null; recoveries: number;
  reason: string | null; technical: string | null;
}
function parseReason(text: string | null): CodedReason | undefined {
  if (text === null) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && typeof (v as CodedReason).code === 'string' ? (v as CodedReason) : undefined;
  } catch {
    return undefined;
  }
}
const num = (v: number | null) => (v === null ? null : Number(v));
/** A row stored before codes (reason NULL) reads as its kind's sentence, its English detail as the technical detail. */
const fromRow = (r: Row): Alarm => {
  const reason = parseReason(r.reason);
  return {
    id: r.id, gatewayId: r.gateway_id, kind: r.kind, subject: r.subject, stationId: r.station_id, deviceId: r.device_id, severity: r.severity, state: r.state, detail: r.detail,
    reason: reason ?? alarmReason(r.kind, r.subject, r.station_id), technical: reason ? r.technical : (r.technical ?? (r.detail || null)),
    firstMs: Number(r.first_ms), lastMs: Number(r.last_ms), count: Number(r.count), lastSeq: Number(r.last_seq), ackedBy: r.acked_by, ackedMs: num(r.acked_ms), ackReason: r.ack_reason, clearedMs: num(r.cleared_ms), recoveries: Number(r.recoveries),
  };
};
const COLUMNS = 'id, gateway_id, kind, subject, station_id, device_id, severity, state, detail, first_ms, last_ms, count, last_seq, acked_by, acked_ms, ack_reason, cleared_ms, recoveries, reason, technical';
const UPSERT = `INSERT INTO alarms (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET station_id = excluded.station_id, device_id = excluded.device_id, severity = excluded.severity, state = excluded.state, detail = excluded.detail,
  first_ms = excluded.first_ms, last_ms = excluded.last_ms, count = excluded.count, last_seq = excluded.last_seq, acked_by = excluded.acked_by, acked_ms = excluded.acked_ms,
  ack_reason = excluded.ack_reason, cleared_ms = excluded.cleared_ms, recoveries = excluded.recoveries, reason = excluded.reason, technical = excluded.technical`;
const toParams = (a: Alarm): SqlParam[] => [a.id, a.gatewayId, a.kind, a.subject, a.stationId, a.deviceId, a.severity, a.state, a.detail, a.firstMs, a.lastMs, a.count, a.lastSeq, a.ackedBy, a.ackedMs, a.ackReason, a.clearedMs, a.recoveries, JSON.stringify(a.reason), a.technical];

const encodeCursor = (a: Alarm) => Buffer.from(JSON.stringify([a.lastMs, a.id])).toString('base64url');
function decodeCursor(c: string): [number, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString()) as unknown;
    return Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

function parseDowns(text: string): number[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
}

export function openAlarmRepo(sql: Sql): AlarmRepo {
  return {
    migrate: () => sql.migrate('alarms', MIGRATIONS),

    signal(gatewayId, signal, atMs, seq) {
      const id = alarmId(gatewayId, signal.kind, signal.subject);
      return sql.tx(function* () {
        yield* lock(`alarm:${id}`);
        const row = yield* one<Row>(`SELECT ${COLUMNS} FROM alarms WHERE id = ?`, [id]);
        const next = applySignal(row && fromRow(row), signal, atMs, seq, { id, gatewayId });
        if (next) yield* run(UPSERT, toParams(next));
        return next;
      });
    },

    deviceHealth(h) {
      return sql.tx(function* () {
        yield* lock(`device:${h.gatewayId}:${h.deviceId}`);
        const cur = yield* one<{ seq: number; status: string; since_ms: number; recent_downs: string }>(
          'SELECT seq, status, since_ms, recent_downs FROM device_health WHERE gateway_id = ? AND device_id = ?',
          [h.gatewayId, h.deviceId],
        );
        if (cur && h.seq <= Number(cur.seq)) return;
        const sinceMs = cur && cur.status === h.status ? Number(cur.since_ms) : h.atMs;
        let downs = cur ? parseDowns(cur.recent_downs) : [];
        if (h.status === 'down' && cur?.status !== 'down') downs = [...downs, h.atMs].slice(-RECENT_DROPS_KEPT);
        yield* run(
          `INSERT INTO device_health (gateway_id, device_id, station_id, status, detail, seq, wall_ms, since_ms, recent_downs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (gateway_id, device_id) DO UPDATE SET station_id = excluded.station_id, status = excluded.status, detail = excluded.detail, seq = excluded.seq, wall_ms = excluded.wall_ms,
           since_ms = excluded.since_ms, recent_downs = excluded.recent_downs`,
          [h.gatewayId, h.deviceId, h.stationId, h.status, h.detail, h.seq, h.atMs, sinceMs, JSON.stringify(downs)],
        );
      });
    },

    async devices(gatewayId, nowMs = Date.now()) {
      const rows = await sql.all<{ gateway_id: string; device_id: string; station_id: string; status: DeviceStatus; detail: string | null; wall_ms: number; since_ms: number; recent_downs: string }>(
        'SELECT gateway_id, device_id, station_id, status, detail, wall_ms, since_ms, recent_downs FROM device_health WHERE gateway_id = ? ORDER BY station_id, device_id LIMIT 1000',
        [gatewayId],
      );
      return rows.map((r) => {
        const seen = effectiveDeviceStatus(r.status, parseDowns(r.recent_downs), nowMs);
        return {
          gatewayId: r.gateway_id, deviceId: r.device_id, stationId: r.station_id, status: seen.status, reported: r.status, detail: r.detail,
          lastMs: Number(r.wall_ms), sinceMs: Number(r.since_ms), drops: seen.drops, dropsWindowMs: seen.windowMs, flapping: seen.flapping,
        };
      });
    },

    async get(id) {
      const row = (await sql.all<Row>(`SELECT ${COLUMNS} FROM alarms WHERE id = ?`, [id]))[0];
      return row && fromRow(row);
    },

    async list(q) {
      const where: string[] = [];
      const params: SqlParam[] = [];
      if (q.state?.length) {
        where.push(`state IN (${q.state.map(() => '?').join(', ')})`);
        params.push(...q.state);
      }
      if (q.gatewayId !== undefined) {
        where.push('gateway_id = ?');
        params.push(q.gatewayId);
      }
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (after) {
        where.push('(last_ms < ? OR (last_ms = ? AND id < ?))');
        params.push(after[0], after[0], after[1]);
      }
      const rows = await sql.all<Row>(`SELECT ${COLUMNS} FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_ms DESC, id DESC LIMIT ?`, [...params, q.limit + 1]);
      const items = rows.slice(0, q.limit).map(fromRow);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
    },

    async counts(gatewayId) {
      const rows = await sql.all<{ state: AlarmState; n: number }>(
        `SELECT state, COUNT(*) AS n FROM alarms ${gatewayId === undefined ? '' : 'WHERE gateway_id = ?'} GROUP BY state`,
        gatewayId === undefined ? [] : [gatewayId],
      );
      const out: Record<AlarmState, number> = { open: 0, acknowledged: 0, cleared: 0 };
      for (const r of rows) out[r.state] = Number(r.n);
      return out;
    },

    ack(id, by, reason, atMs) {
      return sql.tx(function* () {
        yield* lock(`alarm:${id}`);
        const row = yield* one<Row>(`SELECT ${COLUMNS} FROM alarms WHERE id = ?`, [id]);
        if (!row) return undefined;
        const outcome = acknowledge(fromRow(row), by, reason, atMs);
        if (outcome.ok) yield* run(UPSERT, toParams(outcome.alarm));
        return outcome;
      });
    },

    async journalAlertsAfter(afterId, limit) {
      // Read by primary key from the ingest store's own table: the only reader of it outside hub/storage.
      const rows = await sql.all<{ id: number; gateway_id: string; seq: number | null; kind: JournalAlertKind; detail: string; at_ms: number }>(
        'SELECT id, gateway_id, seq, kind, detail, at_ms FROM alerts WHERE id > ? ORDER BY id LIMIT ?',
        [afterId, limit],
      );
      return rows.map((r) => ({ id: Number(r.id), gatewayId: r.gateway_id, seq: num(r.seq), kind: r.kind, detail: r.detail, atMs: Number(r.at_ms) }));
    },

    async sourcePosition(name) {
      const row = (await sql.all<{ position: number }>('SELECT position FROM alarm_sources WHERE name = ?', [name]))[0];
      return row ? Number(row.position) : 0;
    },

    async setSourcePosition(name, position) {
      await sql.tx(function* () {
        yield* run(
          'INSERT INTO alarm_sources (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = CASE WHEN excluded.position > alarm_sources.position THEN excluded.position ELSE alarm_sources.position END',
          [name, position],
        );
      });
    },
  };
}
