import type { AuditEntry } from '../audit.ts';
import type { IdentifierKind, IdentifierSighting, KeyHit } from '../customs/identifiers.ts';
import { run, type Sql, type SqlParam } from '../storage/sql.ts';

/**
 * Parcel search's storage: the identifiers read model (SSCC, EPC, scanned codes, list and slip numbers seen tied to a
 * parcel at the edge, fed by the 'identifiers' projection so search never reads the 10M-row events table), and the
 * keyset lookups search runs on the tables that already name parcels (parcels, customs_cases, slip_parcels, audit).
 *
 * Every lookup returns distinct parcel keys after a cursor in UTF-8 byte order — SQLite's BINARY collation, and
 * COLLATE "C" on PostgreSQL (with indexes in that collation, added here) — so hub/customs/identifiers.ts can merge
 * them into one exact page whatever the database's default collation.
 */
export interface ParcelSummary {
  parcelKey: string;
  state: string;
  lastStationId: string;
  lastWallMs: number;
  updatedMs: number;
}

export interface IdentifierRepo {
  migrate(): Promise<void>;
  /** Upsert sightings (first and last time seen widen; the first gateway and station stay): idempotent under replay. */
  record(sightings: readonly IdentifierSighting[]): Promise<void>;
  /** Parcels (seen at the edge, or declared to customs) whose key starts with `prefix`. One list per table. */
  byKeyPrefix(prefix: string, after: string, limit: number): Promise<KeyHit[][]>;
  byOrderNo(orderNo: string, after: string, limit: number): Promise<KeyHit[]>;
  /** Parcels an identifier was seen with; one list for direct ties, one for ties through the order's case. */
  byIdentifier(values: readonly string[], after: string, limit: number): Promise<KeyHit[][]>;
  /** Parcels a release slip lists (issued at the hub). */
  bySlip(passportNo: string, after: string, limit: number): Promise<KeyHit[]>;
  summaries(parcelKeys: readonly string[]): Promise<ParcelSummary[]>;
  /** Release slips that list the parcel (newest binding state included: void slips too). */
  slipsOf(parcelKey: string, limit: number): Promise<{ passportNo: string; open: boolean }[]>;
  /** Audit entries about any of the subjects, seq > afterSeq, in seq order. */
  auditFor(subjects: readonly string[], afterSeq: number, limit: number): Promise<AuditEntry[]>;
}

const MIGRATIONS = [
  {
    sqlite: `CREATE TABLE parcel_identifiers (
       value TEXT NOT NULL, parcel_key TEXT NOT NULL, order_no TEXT NOT NULL, kind TEXT NOT NULL,
       gateway_id TEXT NOT NULL, station_id TEXT NOT NULL, first_ms BIGINT NOT NULL, last_ms BIGINT NOT NULL,
       PRIMARY KEY (value, parcel_key, order_no))`,
    // Byte order on the keys the lookups sort by, whatever the database's collation.
    postgres: `CREATE TABLE parcel_identifiers (
       value TEXT COLLATE "C" NOT NULL, parcel_key TEXT COLLATE "C" NOT NULL, order_no TEXT COLLATE "C" NOT NULL, kind TEXT NOT NULL,
       gateway_id TEXT NOT NULL, station_id TEXT NOT NULL, first_ms BIGINT NOT NULL, last_ms BIGINT NOT NULL,
       PRIMARY KEY (value, parcel_key, order_no))`,
  },
  // Prefix and keyset scans in byte order on the big tables (SQLite's primary keys already are).
  { sqlite: 'SELECT 1', postgres: 'CREATE INDEX search_parcels_key_c ON parcels (parcel_key COLLATE "C")' },
  { sqlite: 'SELECT 1', postgres: 'CREATE INDEX search_cases_key_c ON customs_cases (parcel_key COLLATE "C")' },
];

/** Its own module: the audit table is the store's, the index is search's (a parcel's history by subject). */
const AUDIT_SUBJECT = ['CREATE INDEX audit_subject ON audit (subject, seq)'];

/** Sorts after every other character in UTF-8 byte order: `[prefix, prefix + TOP)` is the prefix range. */
const TOP = '\u{10ffff}';
const CHUNK = 500;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

type AuditRow = { seq: number; at_ms: number; actor: string; action: string; subject: string; detail: string | Record<string, unknown>; prev_hash: string; hash: string };

export function openIdentifierRepo(sql: Sql): IdentifierRepo {
  const C = sql.dialect === 'postgres' ? ' COLLATE "C"' : '';
  const keys = async (text: string, params: SqlParam[]) => (await sql.all<{ parcel_key: string }>(text, params)).map((r) => r.parcel_key);
  return {
    async migrate() {
      await sql.migrate('identifiers', MIGRATIONS);
      await sql.migrate('audit_subject', AUDIT_SUBJECT);
    },

    async record(sightings) {
      // A reader reports the same tag many times a second: one upsert per (value, parcel, order) per batch.
      const rows = new Map<string, IdentifierSighting & { firstMs: number; lastMs: number }>();
      for (const s of sightings) {
        const k = `${s.value}\u0000${s.parcelKey}\u0000${s.orderNo}`;
        const r = rows.get(k);
        if (!r) rows.set(k, { ...s, firstMs: s.atMs, lastMs: s.atMs });
        else {
          r.firstMs = Math.min(r.firstMs, s.atMs);
          r.lastMs = Math.max(r.lastMs, s.atMs);
        }
      }
      if (rows.size === 0) return;
      await sql.tx(function* () {
        for (const s of rows.values()) {
          yield* run(
            `INSERT INTO parcel_identifiers (value, parcel_key, order_no, kind, gateway_id, station_id, first_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (value, parcel_key, order_no) DO UPDATE SET
               first_ms = CASE WHEN excluded.first_ms < parcel_identifiers.first_ms THEN excluded.first_ms ELSE parcel_identifiers.first_ms END,
               last_ms = CASE WHEN excluded.last_ms > parcel_identifiers.last_ms THEN excluded.last_ms ELSE parcel_identifiers.last_ms END`,
            [s.value, s.parcelKey, s.orderNo, s.kind, s.gatewayId, s.stationId, s.firstMs, s.lastMs],
          );
        }
      });
    },

    async byKeyPrefix(prefix, after, limit) {
      const hit = (k: string): KeyHit => ({ parcelKey: k, kind: k === prefix ? 'parcelKey' : 'parcelKeyPrefix', value: prefix });
      const range = (table: string) => `SELECT parcel_key FROM ${table} WHERE parcel_key${C} >= ? AND parcel_key${C} < ? AND parcel_key${C} > ? ORDER BY parcel_key${C} LIMIT ?`;
      const params = [prefix, `${prefix}${TOP}`, after, limit + 1];
      return [(await keys(range('parcels'), params)).map(hit), (await keys(range('customs_cases'), params)).map(hit)];
    },

    async byOrderNo(orderNo, after, limit) {
      const ks = await keys(`SELECT parcel_key FROM customs_cases WHERE order_no = ? AND parcel_key${C} > ? ORDER BY parcel_key${C} LIMIT ?`, [orderNo, after, limit + 1]);
      return ks.map((k) => ({ parcelKey: k, kind: 'orderNo', value: orderNo }));
    },

    async byIdentifier(values, after, limit) {
      const vs = values.slice(0, 8);
      type R = { parcel_key: string; kind: IdentifierKind; value: string };
      const direct = await sql.all<R>(
        `SELECT parcel_key, MIN(kind) AS kind, MIN(value) AS value FROM parcel_identifiers WHERE value IN (${marks(vs.length)}) AND parcel_key <> '' AND parcel_key > ? GROUP BY parcel_key ORDER BY parcel_key LIMIT ?`,
        [...vs, after, limit + 1],
      );
      // A carton picked for an order before the parcel had a waybill: the order's case names the parcel.
      const viaOrder = await sql.all<R>(
        `SELECT c.parcel_key AS parcel_key, MIN(i.kind) AS kind, MIN(i.value) AS value FROM parcel_identifiers i JOIN customs_cases c ON c.order_no = i.order_no
         WHERE i.value IN (${marks(vs.length)}) AND i.parcel_key = '' AND c.parcel_key${C} > ? GROUP BY c.parcel_key ORDER BY c.parcel_key${C} LIMIT ?`,
        [...vs, after, limit + 1],
      );
      const hits = (rows: R[]) => rows.map((r): KeyHit => ({ parcelKey: r.parcel_key, kind: r.kind, value: r.value }));
      return [hits(direct), hits(viaOrder)];
    },

    async bySlip(passportNo, after, limit) {
      const ks = await keys(`SELECT parcel_key FROM slip_parcels WHERE passport_no = ? AND parcel_key${C} > ? ORDER BY parcel_key${C} LIMIT ?`, [passportNo, after, limit + 1]);
      return ks.map((k) => ({ parcelKey: k, kind: 'slipNo', value: passportNo }));
    },

    async summaries(parcelKeys) {
      const out: ParcelSummary[] = [];
      for (let i = 0; i < parcelKeys.length; i += CHUNK) {
        const chunk = parcelKeys.slice(i, i + CHUNK);
        const rows = await sql.all<{ parcel_key: string; state: string; last_station_id: string; last_wall_ms: number; updated_ms: number }>(
          `SELECT parcel_key, state, last_station_id, last_wall_ms, updated_ms FROM parcels WHERE parcel_key IN (${marks(chunk.length)})`,
          chunk,
        );
        out.push(...rows.map((r) => ({ parcelKey: r.parcel_key, state: r.state, lastStationId: r.last_station_id, lastWallMs: Number(r.last_wall_ms), updatedMs: Number(r.updated_ms) })));
      }
      return out;
    },

    async slipsOf(parcelKey, limit) {
      const rows = await sql.all<{ passport_no: string; open: number }>('SELECT passport_no, open FROM slip_parcels WHERE parcel_key = ? ORDER BY passport_no LIMIT ?', [parcelKey, limit]);
      return rows.map((r) => ({ passportNo: r.passport_no, open: Number(r.open) === 1 }));
    },

    async auditFor(subjects, afterSeq, limit) {
      // One index range per subject (audit_subject), merged by seq: never a scan of the whole trail.
      const rows: AuditRow[] = [];
      for (const subject of subjects) rows.push(...(await sql.all<AuditRow>('SELECT * FROM audit WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?', [subject, afterSeq, limit])));
      return rows
        .map((r) => ({ seq: Number(r.seq), atMs: Number(r.at_ms), actor: r.actor, action: r.action, subject: r.subject, detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail, prevHash: r.prev_hash, hash: r.hash }))
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit);
    },
  };
}
