import pg from 'pg';
import { postgresSql } from './sql.ts';
import { GENESIS_HASH } from '../../shared/canonical.ts';
import type { FeedKind } from '../../shared/stations/feed.ts';
import { sealAudit } from '../audit.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { decodeCursor, encodeCursor, entryAlerts, eventFromRow, firstCopies, foldableByParcel, foldInto, gatewayFromRow, needsRefold, parcelFromRow, type EventRow, type GatewayRow, type ParcelRow } from './sql-common.ts';
import type { IngestEntry, IngestResult, JournalAlert, ParcelRecord, Role, Storage } from './storage.ts';
import { runWatermarkAsync, type ChainRow } from './watermark.ts';

/**
 * The hub store on PostgreSQL: what several hub processes share. Each ingest is one transaction that takes the
 * gateway's row lock first, so two hubs handed batches of the same gateway (shared-subscription redelivery)
 * serialise on it; parcel rows are locked in key order so hubs folding events of the same parcels never
 * deadlock. Batches go in as arrays through UNNEST: one statement per table per batch.
 */
type PgDocRow = { kind: string; key: string; order_no: string | null; subject_key: string | null; body: Record<string, unknown>; original: string | null; received_ms: string };
const pgDoc = (r: PgDocRow) => ({ kind: r.kind, key: r.key, orderNo: r.order_no, subjectKey: r.subject_key, body: r.body, original: r.original, receivedMs: Number(r.received_ms) });

const MIGRATIONS: string[] = [
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
];

const WATERMARK_SCAN = 20_000;
/** Any two hubs migrating at once take turns on this advisory lock. */
const MIGRATION_LOCK = 7_243_001;

// jsonb cannot hold U+0000; the entry's hash was verified on the text as received, so the stored copy may differ here only.
const jsonbSafe = (json: string) => (json.includes('\\u0000') ? json.replaceAll('\\u0000', '\\ufffd') : json);

export async function openPostgresStorage(opts: { url: string; schema?: string; poolSize?: number }): Promise<Storage> {
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 8, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
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

  async function foldParcels(c: pg.PoolClient, inserted: IngestEntry[], receivedMs: number): Promise<void> {
    const byParcel = foldableByParcel(inserted);
    if (byParcel.size === 0) return;
    const keys = [...byParcel.keys()].sort();
    // Lock the parcels (creating placeholders first, so a new parcel is locked too), always in key order.
    await c.query(
      `INSERT INTO parcels (parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, anomalies, first_wall_ms, updated_ms)
       SELECT k, 'in_zone', '', 0, '', '', 0, '[]'::jsonb, $2, $3 FROM unnest($1::text[]) AS k ON CONFLICT (parcel_key) DO NOTHING`,
      [keys, Number.MAX_SAFE_INTEGER, receivedMs],
    );
    const rows = (await c.query<ParcelRow>('SELECT * FROM parcels WHERE parcel_key = ANY($1::text[]) ORDER BY parcel_key FOR UPDATE', [keys])).rows;
    const existing = new Map(rows.map((r) => [r.parcel_key, parcelFromRow(r)]));
    const out: ParcelRecord[] = [];
    for (const key of keys) {
      const events = byParcel.get(key)!;
      const prior = existing.get(key);
      const current = prior && prior.eventCount > 0 ? prior : undefined;
      let all: EdgeEvent[] | undefined;
      if (needsRefold(current, events)) {
        all = (await c.query<{ body: EdgeEvent }>("SELECT body FROM events WHERE parcel_key = $1 AND status = 'ok'", [key])).rows.map((r) => r.body);
      }
      out.push(foldInto(current, events, all, receivedMs));
    }
    await c.query(
      `UPDATE parcels p SET state = u.state, last_hlc = u.last_hlc, event_count = u.event_count, last_station_id = u.last_station_id,
         last_gateway_id = u.last_gateway_id, last_wall_ms = u.last_wall_ms, gross_weight_kg = u.gross_weight_kg, xray_verdict = u.xray_verdict,
         anomalies = u.anomalies::jsonb, first_wall_ms = u.first_wall_ms, updated_ms = u.updated_ms
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::bigint[], $8::float8[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
         AS u(parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, gross_weight_kg, xray_verdict, anomalies, first_wall_ms, updated_ms)
       WHERE p.parcel_key = u.parcel_key`,
      [
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
      ],
    );
  }

  const storage: Storage = {
    kind: 'postgres',
    sql: postgresSql(pool, pg.types),
    async migrate() {
      await tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)');
        const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        for (const [i, sql] of MIGRATIONS.entries()) {
          if (applied.has(i + 1)) continue;
          await c.query(sql);
          await c.query('INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)', [i + 1, Date.now()]);
        }
      });
    },
    async close() {
      await pool.end();
    },
    async ingest(gatewayId, entries, opts): Promise<IngestResult> {
      return tx(async (c) => {
        await ensureGateway(c, gatewayId, opts.receivedMs);
        const head = (await c.query<{ acked_seq: string; head_hash: string }>('SELECT acked_seq, head_hash FROM gateways WHERE id = $1 FOR UPDATE', [gatewayId])).rows[0]!;
        let inserted: IngestEntry[] = [];
        if (entries.length > 0) {
          const res = await c.query<{ seq: string }>(
            `INSERT INTO events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body)
             SELECT $1, u.seq, u.event_id, u.type, u.parcel_key, u.station_id, u.wall_ms, u.hlc, $2, u.status, u.prev_hash, u.hash, u.body::jsonb
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
               AS u(seq, event_id, type, parcel_key, station_id, wall_ms, hlc, status, prev_hash, hash, body)
             ON CONFLICT (gateway_id, seq) DO NOTHING RETURNING seq`,
            [
              gatewayId,
              opts.receivedMs,
              entries.map((e) => e.seq),
              entries.map((e) => e.id),
              entries.map((e) => e.type),
              entries.map((e) => e.parcelKey),
              entries.map((e) => e.stationId),
              entries.map((e) => e.wallMs),
              entries.map((e) => e.hlc),
              entries.map((e) => e.status),
              entries.map((e) => e.prevHash),
              entries.map((e) => e.hash),
              entries.map((e) => jsonbSafe(e.rawJson)),
            ],
          );
          inserted = firstCopies(entries, new Set(res.rows.map((r) => Number(r.seq))));
        }
        const wm = await runWatermarkAsync(
          { gatewayId, ackedSeq: Number(head.acked_seq), headHash: head.head_hash, ...(opts.gapFrom !== undefined ? { gapFrom: opts.gapFrom } : {}), nowMs: opts.receivedMs },
          readAbove(c, gatewayId),
          WATERMARK_SCAN,
        );
        const alerts = [...wm.alerts, ...entryAlerts(gatewayId, inserted, opts.receivedMs)];
        await insertAlerts(c, alerts);
        await c.query('UPDATE gateways SET acked_seq = $1, head_hash = $2, last_seen_ms = $3, alert_count = alert_count + $4 WHERE id = $5', [wm.ackedSeq, wm.headHash, opts.receivedMs, alerts.length, gatewayId]);
        await foldParcels(c, inserted, opts.receivedMs);
        return { ackedSeq: wm.ackedSeq, ranges: wm.ranges, inserted: inserted.length, duplicates: entries.length - inserted.length, alerts };
      });
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
      await pool.query('INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original, received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, key) DO UPDATE SET order_no = excluded.order_no, subject_key = excluded.subject_key, body = excluded.body, original = excluded.original, received_ms = excluded.received_ms', [d.kind, d.key, d.orderNo, d.subjectKey, JSON.stringify(d.body), d.original, d.receivedMs]);
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
      if (q.keyPrefix) where.push(`parcel_key LIKE ${arg(`${q.keyPrefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)}`);
      if (q.cursor) {
        const [u, k] = decodeCursor(q.cursor);
        where.push(`(updated_ms, parcel_key) < (${arg(u)}, ${arg(k)})`);
      }
      const rows = (await pool.query<ParcelRow>(`SELECT * FROM parcels WHERE ${where.join(' AND ')} ORDER BY updated_ms DESC, parcel_key DESC LIMIT ${arg(q.limit + 1)}`, args)).rows;
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
