import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresSql } from './sql.ts';
import { GENESIS_HASH } from '../../shared/canonical.ts';
import type { FeedKind } from '../../shared/stations/feed.ts';
import { sealAudit } from '../audit.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { decodeCursor, encodeCursor, entryAlerts, eventFromRow, foldInto, groupForFold, gatewayFromRow, needsRefold, parcelFromRow, type EventRow, type GatewayRow, type ParcelRow } from './sql-common.ts';
import type { FoldInput, FoldResult, IngestEntry, IngestResult, JournalAlert, ParcelRecord, Role, Storage } from './storage.ts';
import { nextRunOf, runWatermarkAsync, type ChainRow } from './watermark.ts';
import { DAY_MS, ensurePartitionFor, listPartitions, planPartitions } from './pg-maintenance.ts';

/**
 * The hub store on PostgreSQL: what several hub processes share. Each ingest is one transaction that takes the
 * gateway's row lock first, so two hubs handed batches of the same gateway (shared-subscription redelivery)
 * serialise on it (and that lock is also what keeps (gateway_id, seq) unique across the monthly partitions of
 * `events`: pg-maintenance.ts). The parcel rows are folded after the ack, in a transaction of their own
 * (`foldParcels`, run by the 'parcels' projection), locked in key order so hubs folding events of the same parcels
 * never deadlock. New events and new parcels go in by COPY, everything else as arrays through UNNEST: one statement
 * per table per batch.
 */
type PgDocRow = { kind: string; key: string; order_no: string | null; subject_key: string | null; body: Record<string, unknown>; original_sha256: string | null; received_ms: string };
const pgDoc = (r: PgDocRow) => ({ kind: r.kind, key: r.key, orderNo: r.order_no, subjectKey: r.subject_key, body: r.body, originalSha256: r.original_sha256, receivedMs: Number(r.received_ms) });

/** Exported for the upgrade test, which builds a store as it was before a given step. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE events (
     id BIGSERIAL PRIMARY KEY,
     gateway_id TEXT NOT NULL,
     seq BIGINT NOT NULL,
     event_id TEXT NOT NULL,
     type TEXT NOT NULL,
     parcel_key TEXT,
     station_id TEXT,
     wall_ms BIGINT NOT NULL,
     hlc TEXT NOT NULL,
     received_ms BIGINT NOT NULL,
     status TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL,
     body JSONB NOT NULL,
     UNIQUE (gateway_id, seq)
   );
   CREATE INDEX events_parcel ON events (parcel_key, hlc) WHERE parcel_key IS NOT NULL;
   CREATE TABLE parcels (
     parcel_key TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     last_hlc TEXT NOT NULL,
     event_count INTEGER NOT NULL,
     last_station_id TEXT NOT NULL,
     last_gateway_id TEXT NOT NULL,
     last_wall_ms BIGINT NOT NULL,
     gross_weight_kg DOUBLE PRECISION,
     xray_verdict TEXT,
     anomalies JSONB NOT NULL,
     first_wall_ms BIGINT NOT NULL,
     updated_ms BIGINT NOT NULL
   );
   CREATE INDEX parcels_updated ON parcels (updated_ms DESC, parcel_key DESC);
   CREATE INDEX parcels_state ON parcels (state, updated_ms DESC, parcel_key DESC);
   CREATE INDEX parcels_station ON parcels (last_station_id, updated_ms DESC, parcel_key DESC);
   CREATE INDEX parcels_key_prefix ON parcels (parcel_key text_pattern_ops);
   CREATE TABLE gateways (
     id TEXT PRIMARY KEY,
     password_hash TEXT,
     public_key_pem TEXT,
     acked_seq BIGINT NOT NULL DEFAULT 0,
     head_hash TEXT NOT NULL,
     last_seen_ms BIGINT,
     last_hello JSONB,
     last_status JSONB,
     clock_offset_ms BIGINT,
     alert_count INTEGER NOT NULL DEFAULT 0,
     created_ms BIGINT NOT NULL
   );
   CREATE TABLE alerts (id BIGSERIAL PRIMARY KEY, gateway_id TEXT NOT NULL, seq BIGINT, kind TEXT NOT NULL, detail TEXT NOT NULL, at_ms BIGINT NOT NULL);
   CREATE INDEX alerts_gateway ON alerts (gateway_id, id DESC);
   CREATE TABLE checkpoints (gateway_id TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, wall_ms BIGINT NOT NULL, signature TEXT NOT NULL, verified BOOLEAN NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (gateway_id, seq));
   CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, display_name TEXT NOT NULL, created_ms BIGINT NOT NULL);
   CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, role TEXT NOT NULL, expires_ms BIGINT NOT NULL);`,
  `CREATE TABLE station_feed (kind TEXT NOT NULL, key TEXT NOT NULL, value JSONB, version BIGINT NOT NULL, PRIMARY KEY (kind, key));
   CREATE UNIQUE INDEX station_feed_version ON station_feed (version);
   CREATE SEQUENCE station_feed_seq;`,
  `CREATE TABLE audit (seq BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, detail JSONB NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`,
  `CREATE TABLE customs_documents (kind TEXT NOT NULL, key TEXT NOT NULL, order_no TEXT, subject_key TEXT, body JSONB NOT NULL, original TEXT, received_ms BIGINT NOT NULL, PRIMARY KEY (kind, key));
   CREATE INDEX customs_documents_order ON customs_documents (order_no);
   CREATE INDEX customs_documents_subject ON customs_documents (subject_key);`,
  // Events partitioned by receive month (why, and how (gateway_id, seq) stays unique: pg-maintenance.ts). A store that
  // already holds events keeps them: the old table becomes the partition for everything up to the end of the current
  // month (or of its newest row's month), so nothing is copied; its indexes are renamed so the parent's indexes of the
  // same definition adopt them instead of building new ones. One-off cost on a big store: a scan for the newest row and
  // one to check the partition bound, under an exclusive lock (plan the upgrade for a quiet hour).
  // events_received is created by the projections module (hub/services/projections.ts); keep it if it is there.
  `DO $$
   DECLARE
     had_received BOOLEAN := to_regclass('events_received') IS NOT NULL;
     upper_ms BIGINT;
   BEGIN
     ALTER TABLE events RENAME TO events_legacy;
     ALTER TABLE events_legacy RENAME CONSTRAINT events_gateway_id_seq_key TO events_legacy_gateway_seq;
     ALTER INDEX events_parcel RENAME TO events_legacy_parcel;
     IF had_received THEN ALTER INDEX events_received RENAME TO events_legacy_received; END IF;
     -- The surrogate id was never read; a partitioned table could not keep it unique anyway.
     ALTER TABLE events_legacy DROP CONSTRAINT events_pkey;
     ALTER TABLE events_legacy DROP COLUMN id;
     CREATE TABLE events (
       gateway_id TEXT NOT NULL,
       seq BIGINT NOT NULL,
       event_id TEXT NOT NULL,
       type TEXT NOT NULL,
       parcel_key TEXT,
       station_id TEXT,
       wall_ms BIGINT NOT NULL,
       hlc TEXT NOT NULL,
       received_ms BIGINT NOT NULL,
       status TEXT NOT NULL,
       prev_hash TEXT NOT NULL,
       hash TEXT NOT NULL,
       body JSONB NOT NULL
     ) PARTITION BY RANGE (received_ms);
     CREATE INDEX events_parcel ON events (parcel_key, hlc) WHERE parcel_key IS NOT NULL;
     IF had_received THEN CREATE INDEX events_received ON events (received_ms); END IF;
     IF EXISTS (SELECT 1 FROM events_legacy) THEN
       SELECT greatest(max(received_ms), (extract(epoch FROM clock_timestamp()) * 1000)::bigint) INTO upper_ms FROM events_legacy;
       upper_ms := (extract(epoch FROM date_trunc('month', to_timestamp(upper_ms / 1000.0) AT TIME ZONE 'UTC') + interval '1 month') * 1000)::bigint;
       EXECUTE format('ALTER TABLE events ATTACH PARTITION events_legacy FOR VALUES FROM (MINVALUE) TO (%s)', upper_ms);
     ELSE
       DROP TABLE events_legacy;
     END IF;
   END $$;`,
  // One B-tree fewer for every parcel write (the fold rewrites a row per event, and each of its indexes costs ~11% of
  // the fold, bench/RESULTS.md): under the "C" collation the primary key itself serves `parcel_key LIKE 'EA12%'`, so
  // the text_pattern_ops copy of it goes. Keys are ASCII (waybill numbers, SSCCs, EPCs), so no order a user sees
  // changes. One-off cost: the key's indexes are rebuilt under an exclusive lock (seconds per million parcels).
  `ALTER TABLE parcels ALTER COLUMN parcel_key TYPE TEXT COLLATE "C";
   DROP INDEX IF EXISTS parcels_key_prefix;`,
  // Originals stored once by the SHA-256 of their bytes (a CEB311 with 100 orders was written 100 times). Existing
  // originals move over; a TEXT original's bytes are its UTF-8, which is how it was received.
  `CREATE TABLE document_originals (sha256 TEXT PRIMARY KEY, xml BYTEA NOT NULL, received_ms BIGINT NOT NULL);
   ALTER TABLE customs_documents ADD COLUMN original_sha256 TEXT;
   INSERT INTO document_originals (sha256, xml, received_ms)
     SELECT encode(sha256(convert_to(original, 'UTF8')), 'hex'), convert_to(original, 'UTF8'), MIN(received_ms) FROM customs_documents WHERE original IS NOT NULL GROUP BY original
     ON CONFLICT (sha256) DO NOTHING;
   UPDATE customs_documents SET original_sha256 = encode(sha256(convert_to(original, 'UTF8')), 'hex') WHERE original IS NOT NULL;
   ALTER TABLE customs_documents DROP COLUMN original;`,
];
/** For tests of the migrations themselves. */
export const POSTGRES_MIGRATIONS: readonly string[] = MIGRATIONS;

const WATERMARK_SCAN = 20_000;
/** Any two hubs migrating at once take turns on this advisory lock. */
const MIGRATION_LOCK = 7_243_001;

// jsonb cannot hold U+0000; the entry's hash was verified on the text as received, so the stored copy may differ here only.
const jsonbSafe = (json: string) => (json.includes('\\u0000') ? json.replaceAll('\\u0000', '\\ufffd') : json);

/** Connection pool settings (hub config `postgres`). */
export interface PgPoolOptions {
  /** Connections per hub process. Ingest holds one per batch in flight, the API one per request; PostgreSQL's own limit is shared by every hub. */
  poolSize?: number;
  /** A statement running longer is cancelled by the server (0 = no limit): a runaway query must not hold a connection and its locks. Migrations lift it. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity, so a DBA can tell which hub holds which connection. */
  applicationName?: string;
  /** Partitions made ahead of the current month at start-up (the maintenance task keeps making them after). */
  partitionsAhead?: number;
}

// COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyText = (v: string | null): string => (v === null ? '\\N' : COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v);
const COPY_PARCELS = 'COPY parcels (parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, gross_weight_kg, xray_verdict, anomalies, first_wall_ms, updated_ms) FROM STDIN';
const COPY_EVENTS = 'COPY events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body) FROM STDIN';
/** Another hub created a parcel this transaction meant to create (parcels_pkey): roll back and run the batch again. */
const UNIQUE_VIOLATION = '23505';
const NO_PARTITION = '23514';
/** Up to this many prefix matches, list them by the key index and sort (listParcels). */
const PREFIX_SORT_MAX = 5000; // check_violation: "no partition of relation "events" found for row"

export async function openPostgresStorage(opts: { url: string; schema?: string } & PgPoolOptions): Promise<Storage> {
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    application_name: opts.applicationName ?? 'bondgate-hub',
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits 'error' on the pool, which would otherwise crash the hub. The pool
  // has already discarded that client; the next query opens a fresh connection and reports any real failure.
  pool.on('error', () => undefined);
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  const readAbove = (c: pg.PoolClient | pg.Pool, gatewayId: string) => async (r: { ackedSeq: number; limit: number }) =>
    (await c.query<{ seq: string; prevHash: string; hash: string }>('SELECT seq, prev_hash AS "prevHash", hash FROM events WHERE gateway_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [gatewayId, r.ackedSeq, r.limit])).rows.map(
      (row): ChainRow => ({ seq: Number(row.seq), prevHash: row.prevHash, hash: row.hash }),
    );

  async function ensureGateway(c: pg.PoolClient | pg.Pool, id: string, atMs: number): Promise<void> {
    await c.query('INSERT INTO gateways (id, head_hash, created_ms) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, GENESIS_HASH, atMs]);
  }

  async function insertAlerts(c: pg.PoolClient, alerts: JournalAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await c.query(
      'INSERT INTO alerts (gateway_id, seq, kind, detail, at_ms) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])',
      [alerts.map((a) => a.gatewayId), alerts.map((a) => a.seq), alerts.map((a) => a.kind), alerts.map((a) => a.detail), alerts.map((a) => a.atMs)],
    );
  }

  /**
   * Fold events into their parcels, each parcel row written once. Parcels that have a row are locked (FOR UPDATE, in
   * key order) and updated; new parcels are COPYed in with their final state, also in key order. If another hub
   * created one of them since our read, the COPY fails on parcels_pkey and the whole transaction is run again
   * (`foldParcels`), when the read locks that row too. Two hubs folding the same parcels thus never deadlock (both
   * lock, then insert, in one key order), and the common case — no race — costs one write per parcel rather than a
   * placeholder insert followed by an update. Parcels that must refold read their events in one statement.
   */
  async function foldOnce(c: pg.PoolClient, inputs: readonly FoldInput[]): Promise<FoldResult> {
    const groups = groupForFold(inputs);
    if (groups.size === 0) return { parcels: 0, refolded: 0 };
    const keys = [...groups.keys()];
    const rows = (await c.query<ParcelRow>('SELECT * FROM parcels WHERE parcel_key = ANY($1::text[]) ORDER BY parcel_key FOR UPDATE', [keys])).rows;
    const existing = new Map(rows.map((r) => [r.parcel_key, parcelFromRow(r)]));
    // Rows left by the earlier placeholder scheme (event_count 0) count as none.
    const currentOf = (key: string) => {
      const prior = existing.get(key);
      return prior && prior.eventCount > 0 ? prior : undefined;
    };
    const refold = keys.filter((key) => needsRefold(currentOf(key), groups.get(key)!.events));
    const allOf = new Map<string, EdgeEvent[]>(refold.map((k) => [k, []]));
    if (refold.length > 0) {
      const bodies = await c.query<{ parcel_key: string; body: EdgeEvent }>("SELECT parcel_key, body FROM events WHERE parcel_key = ANY($1::text[]) AND status = 'ok'", [refold]);
      for (const r of bodies.rows) allOf.get(r.parcel_key)!.push(r.body);
    }
    const updates: ParcelRecord[] = [];
    const creates: ParcelRecord[] = [];
    for (const [key, g] of groups) (existing.has(key) ? updates : creates).push(foldInto(currentOf(key), g.events, allOf.get(key), g.receivedMs));
    const columns = (out: ParcelRecord[]) => [
      out.map((p) => p.parcelKey),
      out.map((p) => p.state),
      out.map((p) => p.lastHlc),
      out.map((p) => p.eventCount),
      out.map((p) => p.lastStationId),
      out.map((p) => p.lastGatewayId),
      out.map((p) => p.lastWallMs),
      out.map((p) => p.grossWeightKg),
      out.map((p) => p.xrayVerdict),
      out.map((p) => JSON.stringify(p.anomalies)),
      out.map((p) => p.firstWallMs),
      out.map((p) => p.updatedMs),
    ];
    const source = `unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::bigint[], $8::float8[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
         AS u(parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, gross_weight_kg, xray_verdict, anomalies, first_wall_ms, updated_ms)`;
    if (creates.length > 0) {
      // COPY, in key order: a parcel another hub created since our read makes it fail on the key (23505), and the
      // batch is run again (`ingest`), when the read sees and locks that row.
      let text = '';
      for (const p of creates) {
        text += `${copyText(p.parcelKey)}\t${copyText(p.state)}\t${copyText(p.lastHlc)}\t${p.eventCount}\t${copyText(p.lastStationId)}\t${copyText(p.lastGatewayId)}\t${p.lastWallMs}\t${p.grossWeightKg ?? '\\N'}\t${copyText(p.xrayVerdict)}\t${copyText(JSON.stringify(p.anomalies))}\t${p.firstWallMs}\t${p.updatedMs}\n`;
      }
      await pipeline(Readable.from([Buffer.from(text)]), c.query(copyFrom(COPY_PARCELS)));
    }
    if (updates.length > 0) {
      // The rows were just read and locked through the key index; the planner, costing the unnest at a guess, would
      // rather hash-join a sequential scan of the whole table (or merge-join it). Probing the key index per row is
      // 19–25 % faster for a 1,000-row fold at 40 thousand and at 2 million parcels (measured), and does not grow
      // with the table.
      await c.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
      await c.query(
        `UPDATE parcels p SET state = u.state, last_hlc = u.last_hlc, event_count = u.event_count, last_station_id = u.last_station_id,
           last_gateway_id = u.last_gateway_id, last_wall_ms = u.last_wall_ms, gross_weight_kg = u.gross_weight_kg, xray_verdict = u.xray_verdict,
           anomalies = u.anomalies::jsonb, first_wall_ms = u.first_wall_ms, updated_ms = u.updated_ms
         FROM ${source} WHERE p.parcel_key = u.parcel_key`,
        columns(updates),
      );
    }
    return { parcels: groups.size, refolded: refold.length };
  }

  /**
   * The batch's new entries, by seq, first copy only. Events has no unique index across partitions, so this is what
   * keeps (gateway_id, seq) unique: the caller holds the gateway's row lock, and every writer of a gateway's events
   * takes it first, so nothing can store one of these seqs between this look and the COPY. The look is a range scan
   * of each partition's (gateway_id, seq) index — one descent per partition per batch, not per event — and one row
   * more tells whether anything is stored above the batch (then the watermark must read back).
   */
  async function newEntries(c: pg.PoolClient, gatewayId: string, entries: IngestEntry[]): Promise<{ fresh: IngestEntry[]; storedAbove: boolean }> {
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of entries) {
      if (e.seq < lo) lo = e.seq;
      if (e.seq > hi) hi = e.seq;
    }
    const rows = (
      await c.query<{ seq: string; above: boolean }>(
        `SELECT seq, false AS above FROM events WHERE gateway_id = $1 AND seq BETWEEN $2 AND $3
         UNION ALL (SELECT seq, true FROM events WHERE gateway_id = $1 AND seq > $3 ORDER BY seq LIMIT 1)`,
        [gatewayId, lo, hi],
      )
    ).rows;
    const taken = new Set<number>();
    let storedAbove = false;
    for (const r of rows) {
      if (r.above) storedAbove = true;
      else taken.add(Number(r.seq));
    }
    const fresh: IngestEntry[] = [];
    for (const e of entries) {
      if (taken.has(e.seq)) continue;
      taken.add(e.seq); // a repeat inside the batch counts as a duplicate too
      fresh.push(e);
    }
    return { fresh, storedAbove };
  }

  async function copyEvents(c: pg.PoolClient, gatewayId: string, rows: IngestEntry[], receivedMs: number): Promise<void> {
    const gw = copyText(gatewayId);
    let text = '';
    for (const e of rows) {
      text += `${gw}\t${e.seq}\t${copyText(e.id)}\t${copyText(e.type)}\t${copyText(e.parcelKey)}\t${copyText(e.stationId)}\t${e.wallMs}\t${copyText(e.hlc)}\t${receivedMs}\t${e.status}\t${copyText(e.prevHash)}\t${copyText(e.hash)}\t${copyText(jsonbSafe(e.rawJson))}\n`;
    }
    const stream = c.query(copyFrom(COPY_EVENTS));
    await pipeline(Readable.from([Buffer.from(text)]), stream);
  }

  async function ingestOnce(gatewayId: string, entries: IngestEntry[], opts: { receivedMs: number; gapFrom?: number }): Promise<IngestResult> {
    return tx(async (c) => {
      await ensureGateway(c, gatewayId, opts.receivedMs);
      const head = (await c.query<{ acked_seq: string; head_hash: string }>('SELECT acked_seq, head_hash FROM gateways WHERE id = $1 FOR UPDATE', [gatewayId])).rows[0]!;
      const ackedSeq = Number(head.acked_seq);
      let inserted: IngestEntry[] = [];
      let storedAbove = true;
      if (entries.length > 0) {
        ({ fresh: inserted, storedAbove } = await newEntries(c, gatewayId, entries));
        if (inserted.length > 0) await copyEvents(c, gatewayId, inserted, opts.receivedMs);
      }
      // Usually the batch is the next run and nothing is stored above it: then its rows need not be read back.
      const run = opts.gapFrom === undefined && !storedAbove && inserted.length === entries.length ? nextRunOf(inserted, ackedSeq) : undefined;
      const known = run && run.length < WATERMARK_SCAN ? run : undefined;
      const wm = await runWatermarkAsync(
        { gatewayId, ackedSeq, headHash: head.head_hash, ...(opts.gapFrom !== undefined ? { gapFrom: opts.gapFrom } : {}), nowMs: opts.receivedMs },
        known ? async () => known : readAbove(c, gatewayId),
        WATERMARK_SCAN,
      );
      const alerts = [...wm.alerts, ...entryAlerts(gatewayId, inserted, opts.receivedMs)];
      await insertAlerts(c, alerts);
      await c.query('UPDATE gateways SET acked_seq = $1, head_hash = $2, last_seen_ms = $3, alert_count = alert_count + $4 WHERE id = $5', [wm.ackedSeq, wm.headHash, opts.receivedMs, alerts.length, gatewayId]);
      return { ackedSeq: wm.ackedSeq, ranges: wm.ranges, inserted: inserted.length, duplicates: entries.length - inserted.length, alerts };
    });
  }

  const storage: Storage = {
    kind: 'postgres',
    sql: postgresSql(pool, pg.types),
    async migrate() {
      await tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await c.query('SET LOCAL statement_timeout = 0'); // turning a big events table into a partition scans it once
        await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)');
        const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        for (const [i, sql] of MIGRATIONS.entries()) {
          if (applied.has(i + 1)) continue;
          await c.query(sql);
          await c.query('INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)', [i + 1, Date.now()]);
        }
      });
      // Partitions for this month and the next few, so the first ingest does not have to make one. Retention is not
      // applied here: dropping data belongs to the maintenance task, which checks what is still needed.
      const now = Date.now();
      const plan = planPartitions(now, await listPartitions(storage.sql), { retentionDays: Number.MAX_SAFE_INTEGER / DAY_MS, aheadMonths: opts.partitionsAhead ?? 2 });
      for (const m of plan.create) await ensurePartitionFor(storage.sql, m.fromMs);
    },
    async close() {
      await pool.end();
    },
    async ingest(gatewayId, entries, opts): Promise<IngestResult> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await ingestOnce(gatewayId, entries, opts);
        } catch (e) {
          // The maintenance task makes partitions months ahead; this covers a hub whose task has not run (or a clock jump).
          if (attempt >= 5 || (e as { code?: string }).code !== NO_PARTITION) throw e;
          await ensurePartitionFor(storage.sql, opts.receivedMs);
        }
      }
    },
    async foldParcels(inputs): Promise<FoldResult> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await tx((c) => foldOnce(c, inputs));
        } catch (e) {
          const err = e as { code?: string; constraint?: string };
          if (attempt >= 5 || err.code !== UNIQUE_VIOLATION || err.constraint !== 'parcels_pkey') throw e;
        }
      }
    },
    async ackState(gatewayId) {
      const head = (await pool.query<{ acked_seq: string; head_hash: string }>('SELECT acked_seq, head_hash FROM gateways WHERE id = $1', [gatewayId])).rows[0];
      if (!head) return { ackedSeq: 0, ranges: [] };
      const wm = await runWatermarkAsync({ gatewayId, ackedSeq: Number(head.acked_seq), headHash: head.head_hash, nowMs: Date.now() }, readAbove(pool, gatewayId), WATERMARK_SCAN);
      return { ackedSeq: wm.ackedSeq, ranges: wm.ranges };
    },
    async upsertGateway(g) {
      await pool.query('INSERT INTO gateways (id, password_hash, head_hash, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash', [g.id, g.passwordHash, GENESIS_HASH, Date.now()]);
    },
    async getGateway(id) {
      const r = (await pool.query<GatewayRow>('SELECT * FROM gateways WHERE id = $1', [id])).rows[0];
      return r ? gatewayFromRow(r) : undefined;
    },
    async listGateways() {
      return (await pool.query<GatewayRow>('SELECT * FROM gateways ORDER BY id')).rows.map(gatewayFromRow);
    },
    async setGatewayKey(id, pem) {
      await pool.query('UPDATE gateways SET public_key_pem = $1 WHERE id = $2', [pem, id]);
    },
    async recordHello(id, hello, atMs) {
      await ensureGateway(pool, id, atMs);
      await pool.query('UPDATE gateways SET last_hello = $1, last_seen_ms = $2 WHERE id = $3', [JSON.stringify(hello), atMs, id]);
    },
    async recordStatus(id, status, atMs, offset) {
      await ensureGateway(pool, id, atMs);
      await pool.query('UPDATE gateways SET last_status = $1, last_seen_ms = $2, clock_offset_ms = $3 WHERE id = $4', [JSON.stringify(status), atMs, offset, id]);
    },
    async addAlert(a) {
      await tx(async (c) => {
        await insertAlerts(c, [a]);
        await c.query('UPDATE gateways SET alert_count = alert_count + 1 WHERE id = $1', [a.gatewayId]);
      });
    },
    async listAlerts(gatewayId, limit) {
      const rows = (
        gatewayId === undefined
          ? await pool.query('SELECT * FROM alerts ORDER BY id DESC LIMIT $1', [limit])
          : await pool.query('SELECT * FROM alerts WHERE gateway_id = $1 ORDER BY id DESC LIMIT $2', [gatewayId, limit])
      ).rows as { gateway_id: string; seq: string | null; kind: JournalAlert['kind']; detail: string; at_ms: string }[];
      return rows.map((r) => ({ gatewayId: r.gateway_id, seq: r.seq === null ? null : Number(r.seq), kind: r.kind, detail: r.detail, atMs: Number(r.at_ms) }));
    },
    async entryHash(gatewayId, seq) {
      return (await pool.query<{ hash: string }>('SELECT hash FROM events WHERE gateway_id = $1 AND seq = $2', [gatewayId, seq])).rows[0]?.hash;
    },
    async recordCheckpoint(x) {
      await pool.query(
        `INSERT INTO checkpoints (gateway_id, seq, hash, wall_ms, signature, verified, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (gateway_id, seq) DO UPDATE SET hash = excluded.hash, wall_ms = excluded.wall_ms, signature = excluded.signature, verified = excluded.verified, at_ms = excluded.at_ms`,
        [x.gatewayId, x.seq, x.hash, x.wallMs, x.signature, x.verified, x.atMs],
      );
    },
    async putFeed(changes) {
      return tx(async (c) => {
        // One writer at a time: readers must never see version N+1 committed before N (they page by version).
        await c.query('LOCK TABLE station_feed IN EXCLUSIVE MODE');
        let v = 0;
        for (const ch of changes) {
          v = Number((await c.query<{ v: string }>("SELECT nextval('station_feed_seq') AS v")).rows[0]!.v);
          await c.query('INSERT INTO station_feed (kind, key, value, version) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, version = excluded.version', [ch.kind, ch.key, ch.value === null ? null : JSON.stringify(ch.value), v]);
        }
        if (changes.length === 0) v = Number((await c.query<{ v: string }>('SELECT COALESCE(MAX(version), 0) AS v FROM station_feed')).rows[0]!.v);
        return v;
      });
    },
    async feedSince(since, limit) {
      const rows = (await pool.query<{ kind: FeedKind; key: string; value: unknown; version: string }>('SELECT kind, key, value, version FROM station_feed WHERE version > $1 ORDER BY version LIMIT $2', [since, limit])).rows;
      const head = Number((await pool.query<{ v: string }>('SELECT COALESCE(MAX(version), 0) AS v FROM station_feed')).rows[0]!.v);
      return { changes: rows.map((r) => ({ version: Number(r.version), kind: r.kind, key: r.key, value: r.value ?? null })), headVersion: head };
    },
    async feedGet(kind, key) {
      return (await pool.query<{ value: unknown }>('SELECT value FROM station_feed WHERE kind = $1 AND key = $2', [kind, key])).rows[0]?.value ?? null;
    },
    async feedFloor() {
      return 0;
    },
    async putDocument(d) {
      await pool.query('INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original_sha256, received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, key) DO UPDATE SET order_no = excluded.order_no, subject_key = excluded.subject_key, body = excluded.body, original_sha256 = excluded.original_sha256, received_ms = excluded.received_ms', [d.kind, d.key, d.orderNo, d.subjectKey, JSON.stringify(d.body), d.originalSha256, d.receivedMs]);
    },
    async putOriginal(o) {
      await pool.query('INSERT INTO document_originals (sha256, xml, received_ms) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [o.sha256, Buffer.from(o.xml.buffer, o.xml.byteOffset, o.xml.byteLength), o.receivedMs]);
    },
    async getOriginal(sha256) {
      const r = (await pool.query<{ sha256: string; xml: Buffer; received_ms: string }>('SELECT sha256, xml, received_ms FROM document_originals WHERE sha256 = $1', [sha256])).rows[0];
      return r && { sha256: r.sha256, xml: new Uint8Array(r.xml), receivedMs: Number(r.received_ms) };
    },
    async documentsByOrder(orderNo) {
      return (await pool.query<PgDocRow>('SELECT * FROM customs_documents WHERE order_no = $1', [orderNo])).rows.map(pgDoc);
    },
    async receiptsFor(keys) {
      if (keys.length === 0) return [];
      return (await pool.query<PgDocRow>("SELECT * FROM customs_documents WHERE kind = 'receipt' AND subject_key = ANY($1)", [keys])).rows.map(pgDoc);
    },
    async appendAudit(input, atMs) {
      return tx(async (c) => {
        // One appender at a time: two hubs must not both chain onto the same head.
        await c.query('LOCK TABLE audit IN EXCLUSIVE MODE');
        const head = (await c.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')).rows[0];
        const e = sealAudit(head ? { seq: Number(head.seq), hash: head.hash } : undefined, input, atMs);
        await c.query('INSERT INTO audit (seq, at_ms, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [e.seq, e.atMs, e.actor, e.action, e.subject, JSON.stringify(e.detail), e.prevHash, e.hash]);
        return e;
      });
    },
    async auditHead() {
      const head = (await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')).rows[0];
      return head ? { seq: Number(head.seq), hash: head.hash } : undefined;
    },
    async auditRange(fromSeq, limit) {
      const rows = (await pool.query<{ seq: string; at_ms: string; actor: string; action: string; subject: string; detail: Record<string, unknown>; prev_hash: string; hash: string }>('SELECT * FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2', [fromSeq, limit])).rows;
      return rows.map((r) => ({ seq: Number(r.seq), atMs: Number(r.at_ms), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail, prevHash: r.prev_hash, hash: r.hash }));
    },
    async listParcels(q) {
      const where: string[] = ['event_count > 0'];
      const args: unknown[] = [];
      const arg = (v: unknown) => `$${args.push(v)}`;
      if (q.state) where.push(`state = ${arg(q.state)}`);
      if (q.stationId) where.push(`last_station_id = ${arg(q.stationId)}`);
      const pattern = q.keyPrefix ? `${q.keyPrefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
      if (pattern) where.push(`parcel_key LIKE ${arg(pattern)}`);
      if (q.cursor) {
        const [u, k] = decodeCursor(q.cursor);
        where.push(`(updated_ms, parcel_key) < (${arg(u)}, ${arg(k)})`);
      }
      let order = 'updated_ms DESC, parcel_key DESC';
      if (pattern) {
        // A prefix that matches few parcels is best read through the key index and sorted; the planner sometimes walks
        // the newest-first index instead and filters, which at 2M parcels took 175 ms when the matches were old (the
        // bench's p99). Counting up to a cap first is one short index range; `+ 0` keeps the planner off that walk.
        const few = (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM parcels WHERE parcel_key LIKE $1 LIMIT ${PREFIX_SORT_MAX}) s`, [pattern])).rows[0]!.n;
        if (Number(few) < PREFIX_SORT_MAX) order = '(updated_ms + 0) DESC, parcel_key DESC';
      }
      const rows = (await pool.query<ParcelRow>(`SELECT * FROM parcels WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${arg(q.limit + 1)}`, args)).rows;
      const items = rows.slice(0, q.limit).map(parcelFromRow);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.updatedMs, last.parcelKey) : null };
    },
    async getParcel(key) {
      const r = (await pool.query<ParcelRow>('SELECT * FROM parcels WHERE parcel_key = $1 AND event_count > 0', [key])).rows[0];
      return r ? parcelFromRow(r) : undefined;
    },
    async parcelEvents(key, limit) {
      return (await pool.query<EventRow>('SELECT * FROM events WHERE parcel_key = $1 ORDER BY hlc, gateway_id, seq LIMIT $2', [key, limit])).rows.map(eventFromRow);
    },
    async gatewayEvents(gatewayId, fromSeq, limit) {
      return (await pool.query<EventRow>('SELECT * FROM events WHERE gateway_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3', [gatewayId, fromSeq, limit])).rows.map(eventFromRow);
    },
    async countEvents(gatewayId) {
      const r = gatewayId === undefined ? await pool.query<{ n: string }>('SELECT count(*) AS n FROM events') : await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE gateway_id = $1', [gatewayId]);
      return Number(r.rows[0]!.n);
    },
    async createUser(u) {
      await pool.query('INSERT INTO users (username, password_hash, role, display_name, created_ms) VALUES ($1, $2, $3, $4, $5)', [u.username, u.passwordHash, u.role, u.displayName, u.createdMs]);
    },
    async getUser(username) {
      const r = (await pool.query<{ username: string; password_hash: string; role: string; display_name: string; created_ms: string }>('SELECT * FROM users WHERE username = $1', [username])).rows[0];
      return r ? { username: r.username, passwordHash: r.password_hash, role: r.role as Role, displayName: r.display_name, createdMs: Number(r.created_ms) } : undefined;
    },
    async countUsers() {
      return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n);
    },
    async createSession(x) {
      await pool.query('INSERT INTO sessions (token_hash, username, role, expires_ms) VALUES ($1, $2, $3, $4)', [x.tokenHash, x.username, x.role, x.expiresMs]);
    },
    async getSession(tokenHash, nowMs) {
      const r = (await pool.query<{ token_hash: string; username: string; role: string; expires_ms: string }>('SELECT * FROM sessions WHERE token_hash = $1 AND expires_ms > $2', [tokenHash, nowMs])).rows[0];
      return r ? { tokenHash: r.token_hash, username: r.username, role: r.role as Role, expiresMs: Number(r.expires_ms) } : undefined;
    },
    async deleteSession(tokenHash) {
      await pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
    },
  };
  return storage;
}
