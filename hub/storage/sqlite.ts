import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GENESIS_HASH } from '../../shared/canonical.ts';
import { preparePrivateSqliteFile, PRIVATE_DIR_MODE } from '../../shared/private-files.ts';
import type { FeedKind } from '../../shared/stations/feed.ts';
import { sealAudit } from '../audit.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { decodeCursor, encodeCursor, entryAlerts, eventFromRow, foldInto, groupForFold, gatewayFromRow, needsRefold, parcelFromRow, type EventRow, type GatewayRow, type ParcelRow } from './sql-common.ts';
import type { FoldInput, FoldResult, GatewayRecord, IngestEntry, IngestResult, JournalAlert, ParcelRecord, Role, Storage } from './storage.ts';
import { sqliteSql } from './sql.ts';
import { nextRunOf, runWatermark, type ChainRow, type ReadRequest } from './watermark.ts';

/**
 * The hub store on SQLite (the zero-setup default). better-sqlite3 is synchronous, so each ingest is one
 * short write transaction; SQLite's single writer serialises gateways, which is what one hub process needs.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     gateway_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     event_id TEXT NOT NULL,
     type TEXT NOT NULL,
     parcel_key TEXT,
     station_id TEXT,
     wall_ms INTEGER NOT NULL,
     hlc TEXT NOT NULL,
     received_ms INTEGER NOT NULL,
     status TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL,
     body TEXT NOT NULL,
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
     last_wall_ms INTEGER NOT NULL,
     gross_weight_kg REAL,
     xray_verdict TEXT,
     anomalies TEXT NOT NULL,
     first_wall_ms INTEGER NOT NULL,
     updated_ms INTEGER NOT NULL
   );
   CREATE INDEX parcels_updated ON parcels (updated_ms DESC, parcel_key DESC);
   CREATE INDEX parcels_state ON parcels (state, updated_ms DESC, parcel_key DESC);
   CREATE INDEX parcels_station ON parcels (last_station_id, updated_ms DESC, parcel_key DESC);
   CREATE TABLE gateways (
     id TEXT PRIMARY KEY,
     password_hash TEXT,
     public_key_pem TEXT,
     acked_seq INTEGER NOT NULL DEFAULT 0,
     head_hash TEXT NOT NULL,
     last_seen_ms INTEGER,
     last_hello TEXT,
     last_status TEXT,
     clock_offset_ms INTEGER,
     alert_count INTEGER NOT NULL DEFAULT 0,
     created_ms INTEGER NOT NULL
   );
   CREATE TABLE alerts (id INTEGER PRIMARY KEY, gateway_id TEXT NOT NULL, seq INTEGER, kind TEXT NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL);
   CREATE INDEX alerts_gateway ON alerts (gateway_id, id DESC);
   CREATE TABLE checkpoints (gateway_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, wall_ms INTEGER NOT NULL, signature TEXT NOT NULL, verified INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (gateway_id, seq));
   CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, display_name TEXT NOT NULL, created_ms INTEGER NOT NULL);
   CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, role TEXT NOT NULL, expires_ms INTEGER NOT NULL);`,
  `CREATE TABLE station_feed (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT, version INTEGER NOT NULL, PRIMARY KEY (kind, key));
   CREATE UNIQUE INDEX station_feed_version ON station_feed (version);`,
  `CREATE TABLE audit (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`,
  `CREATE TABLE customs_documents (kind TEXT NOT NULL, key TEXT NOT NULL, order_no TEXT, subject_key TEXT, body TEXT NOT NULL, original TEXT, received_ms INTEGER NOT NULL, PRIMARY KEY (kind, key));
   CREATE INDEX customs_documents_order ON customs_documents (order_no);
   CREATE INDEX customs_documents_subject ON customs_documents (subject_key);`,
  // Originals stored once by the SHA-256 of their bytes (a CEB311 with 100 orders was written 100 times). Existing
  // originals move over: bg_sha256_hex is registered on the connection (openSqliteStorage); a TEXT original's bytes
  // are its UTF-8, which is how it was received (the text parsers took UTF-8 only).
  `CREATE TABLE document_originals (sha256 TEXT PRIMARY KEY, xml BLOB NOT NULL, received_ms INTEGER NOT NULL);
   ALTER TABLE customs_documents ADD COLUMN original_sha256 TEXT;
   INSERT OR IGNORE INTO document_originals (sha256, xml, received_ms)
     SELECT bg_sha256_hex(original), CAST(original AS BLOB), MIN(received_ms) FROM customs_documents WHERE original IS NOT NULL GROUP BY original;
   UPDATE customs_documents SET original_sha256 = bg_sha256_hex(original) WHERE original IS NOT NULL;
   ALTER TABLE customs_documents DROP COLUMN original;`,
];
/** For tests of the migrations themselves. */
export const SQLITE_MIGRATIONS: readonly string[] = MIGRATIONS;

const WATERMARK_SCAN = 20_000;

type DocRow = { kind: string; key: string; order_no: string | null; subject_key: string | null; body: string; original_sha256: string | null; received_ms: number };
const docFromRow = (r: DocRow) => ({ kind: r.kind, key: r.key, orderNo: r.order_no, subjectKey: r.subject_key, body: JSON.parse(r.body) as Record<string, unknown>, originalSha256: r.original_sha256, receivedMs: r.received_ms });

export function openSqliteStorage(opts: { file: string; synchronous?: 'FULL' | 'NORMAL' }): Storage {
  mkdirSync(dirname(opts.file), { recursive: true, mode: PRIVATE_DIR_MODE });
  preparePrivateSqliteFile(opts.file); // password hashes, PII: owner-only (issue 13, item 10)
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  // The hub acks only after commit, and the edge may prune what was acked. NORMAL in WAL mode survives a process crash
  // but a power cut can lose the last commits (already acked); FULL syncs the WAL on every commit so it cannot.
  // Benchmarks and tests may pass NORMAL.
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  // Used by the migration that moves originals into document_originals (SQLite has no hash function of its own).
  db.function('bg_sha256_hex', { deterministic: true }, (v: unknown) => createHash('sha256').update(typeof v === 'string' ? v : Buffer.from(v as Uint8Array)).digest('hex'));
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)');

  // The SQL port shares this connection (and its statement cache) with the domain repositories.
  const port = sqliteSql(db);
  let s: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    ensureGateway: db.prepare('INSERT OR IGNORE INTO gateways (id, head_hash, created_ms) VALUES (?, ?, ?)'),
    gatewayHead: db.prepare('SELECT acked_seq, head_hash FROM gateways WHERE id = ?'),
    insertEvent: db.prepare(`INSERT OR IGNORE INTO events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body)
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    rowsAbove: db.prepare('SELECT seq, prev_hash AS prevHash, hash FROM events WHERE gateway_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
    anyAbove: db.prepare('SELECT 1 FROM events WHERE gateway_id = ? AND seq > ? LIMIT 1').pluck(),
    updateGatewayHead: db.prepare('UPDATE gateways SET acked_seq = ?, head_hash = ?, last_seen_ms = ?, alert_count = alert_count + ? WHERE id = ?'),
    insertAlert: db.prepare('INSERT INTO alerts (gateway_id, seq, kind, detail, at_ms) VALUES (?, ?, ?, ?, ?)'),
    bumpAlerts: db.prepare('UPDATE gateways SET alert_count = alert_count + 1 WHERE id = ?'),
    getParcel: db.prepare('SELECT * FROM parcels WHERE parcel_key = ?'),
    getParcels: db.prepare('SELECT * FROM parcels WHERE parcel_key IN (SELECT value FROM json_each(?))'),
    parcelsOkBodies: db.prepare("SELECT parcel_key, body FROM events WHERE parcel_key IN (SELECT value FROM json_each(?)) AND status = 'ok'"),
    upsertParcel: db.prepare(`INSERT INTO parcels (parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, gross_weight_kg, xray_verdict, anomalies, first_wall_ms, updated_ms)
                              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                              ON CONFLICT (parcel_key) DO UPDATE SET state = excluded.state, last_hlc = excluded.last_hlc, event_count = excluded.event_count,
                                last_station_id = excluded.last_station_id, last_gateway_id = excluded.last_gateway_id, last_wall_ms = excluded.last_wall_ms,
                                gross_weight_kg = excluded.gross_weight_kg, xray_verdict = excluded.xray_verdict, anomalies = excluded.anomalies,
                                first_wall_ms = excluded.first_wall_ms, updated_ms = excluded.updated_ms`),
    getGateway: db.prepare('SELECT * FROM gateways WHERE id = ?'),
  });
  const st = () => (s ??= prepare());

  const rowsAbove = (gatewayId: string) => (r: ReadRequest) => st().rowsAbove.all(gatewayId, r.ackedSeq, r.limit) as ChainRow[];

  function writeParcel(p: ParcelRecord): void {
    st().upsertParcel.run(p.parcelKey, p.state, p.lastHlc, p.eventCount, p.lastStationId, p.lastGatewayId, p.lastWallMs, p.grossWeightKg, p.xrayVerdict, JSON.stringify(p.anomalies), p.firstWallMs, p.updatedMs);
  }

  const ingestTx = (gatewayId: string, entries: IngestEntry[], opts: { receivedMs: number; gapFrom?: number }): IngestResult => {
    const q = st();
    q.ensureGateway.run(gatewayId, GENESIS_HASH, opts.receivedMs);
    const head = q.gatewayHead.get(gatewayId) as { acked_seq: number; head_hash: string };
    const inserted: IngestEntry[] = [];
    for (const e of entries) {
      const r = q.insertEvent.run(gatewayId, e.seq, e.id, e.type, e.parcelKey, e.stationId, e.wallMs, e.hlc, opts.receivedMs, e.status, e.prevHash, e.hash, e.rawJson);
      if (r.changes > 0) inserted.push(e);
    }
    // Usually the batch is the next run and nothing is stored above it: then its rows need not be read back.
    const run = opts.gapFrom === undefined && inserted.length === entries.length ? nextRunOf(inserted, head.acked_seq) : undefined;
    const known = run && run.length < WATERMARK_SCAN && !q.anyAbove.get(gatewayId, run[run.length - 1]!.seq) ? run : undefined;
    const wm = runWatermark(
      { gatewayId, ackedSeq: head.acked_seq, headHash: head.head_hash, ...(opts.gapFrom !== undefined ? { gapFrom: opts.gapFrom } : {}), nowMs: opts.receivedMs },
      known ? () => known : rowsAbove(gatewayId),
      WATERMARK_SCAN,
    );
    const alerts: JournalAlert[] = [...wm.alerts, ...entryAlerts(gatewayId, inserted, opts.receivedMs)];
    for (const a of alerts) q.insertAlert.run(a.gatewayId, a.seq, a.kind, a.detail, a.atMs);
    q.updateGatewayHead.run(wm.ackedSeq, wm.headHash, opts.receivedMs, alerts.length, gatewayId);

    return { ackedSeq: wm.ackedSeq, ranges: wm.ranges, inserted: inserted.length, duplicates: entries.length - inserted.length, alerts };
  };
  const ingest = db.transaction(ingestTx);

  const foldTx = (inputs: readonly FoldInput[]): FoldResult => {
    const q = st();
    const groups = groupForFold(inputs);
    if (groups.size === 0) return { parcels: 0, refolded: 0 };
    const stored = q.getParcels.all(JSON.stringify([...groups.keys()])) as ParcelRow[];
    const current = new Map(stored.map((r) => [r.parcel_key, parcelFromRow(r)]));
    // Every parcel that must refold reads its events in one statement, not one each (a replay refolds them all).
    const refold = [...groups].filter(([key, g]) => needsRefold(current.get(key), g.events)).map(([key]) => key);
    const allOf = new Map<string, EdgeEvent[]>(refold.map((k) => [k, []]));
    if (refold.length > 0) {
      for (const r of q.parcelsOkBodies.all(JSON.stringify(refold)) as { parcel_key: string; body: string }[]) allOf.get(r.parcel_key)!.push(JSON.parse(r.body) as EdgeEvent);
    }
    for (const [key, g] of groups) writeParcel(foldInto(current.get(key), g.events, allOf.get(key), g.receivedMs));
    return { parcels: groups.size, refolded: refold.length };
  };
  const fold = db.transaction(foldTx);

  const storage: Storage = {
    kind: 'sqlite',
    sql: port,
    async migrate() {
      // Read what is applied inside the write lock: a second hub process migrating the same file waits, then skips.
      db.transaction(() => {
        const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
        MIGRATIONS.forEach((sql, i) => {
          if (applied.has(i + 1)) return;
          db.exec(sql);
          db.prepare('INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)').run(i + 1, Date.now());
        });
      }).immediate();
      s = undefined;
    },
    async close() {
      db.close();
    },
    async ingest(gatewayId, entries, opts) {
      return ingest.immediate(gatewayId, entries, opts);
    },
    async foldParcels(inputs) {
      return fold.immediate(inputs);
    },
    async ackState(gatewayId) {
      const head = st().gatewayHead.get(gatewayId) as { acked_seq: number; head_hash: string } | undefined;
      if (!head) return { ackedSeq: 0, ranges: [] };
      const wm = runWatermark({ gatewayId, ackedSeq: head.acked_seq, headHash: head.head_hash, nowMs: Date.now() }, rowsAbove(gatewayId), WATERMARK_SCAN);
      return { ackedSeq: wm.ackedSeq, ranges: wm.ranges };
    },
    async upsertGateway(g) {
      db.prepare('INSERT INTO gateways (id, password_hash, head_hash, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash').run(g.id, g.passwordHash, GENESIS_HASH, Date.now());
    },
    async getGateway(id) {
      const r = st().getGateway.get(id) as GatewayRow | undefined;
      return r ? gatewayFromRow(r) : undefined;
    },
    async listGateways(): Promise<GatewayRecord[]> {
      return (db.prepare('SELECT * FROM gateways ORDER BY id').all() as GatewayRow[]).map(gatewayFromRow);
    },
    async setGatewayKey(id, pem) {
      db.prepare('UPDATE gateways SET public_key_pem = ? WHERE id = ?').run(pem, id);
    },
    async recordHello(id, hello, atMs) {
      st().ensureGateway.run(id, GENESIS_HASH, atMs);
      db.prepare('UPDATE gateways SET last_hello = ?, last_seen_ms = ? WHERE id = ?').run(JSON.stringify(hello), atMs, id);
    },
    async recordStatus(id, status, atMs, offset) {
      st().ensureGateway.run(id, GENESIS_HASH, atMs);
      db.prepare('UPDATE gateways SET last_status = ?, last_seen_ms = ?, clock_offset_ms = ? WHERE id = ?').run(JSON.stringify(status), atMs, offset, id);
    },
    async addAlert(a) {
      db.transaction(() => {
        st().insertAlert.run(a.gatewayId, a.seq, a.kind, a.detail, a.atMs);
        st().bumpAlerts.run(a.gatewayId);
      })();
    },
    async listAlerts(gatewayId, limit) {
      const rows = (gatewayId === undefined
        ? db.prepare('SELECT * FROM alerts ORDER BY id DESC LIMIT ?').all(limit)
        : db.prepare('SELECT * FROM alerts WHERE gateway_id = ? ORDER BY id DESC LIMIT ?').all(gatewayId, limit)) as { gateway_id: string; seq: number | null; kind: JournalAlert['kind']; detail: string; at_ms: number }[];
      return rows.map((r) => ({ gatewayId: r.gateway_id, seq: r.seq, kind: r.kind, detail: r.detail, atMs: r.at_ms }));
    },
    async entryHash(gatewayId, seq) {
      return db.prepare('SELECT hash FROM events WHERE gateway_id = ? AND seq = ?').pluck().get(gatewayId, seq) as string | undefined;
    },
    async recordCheckpoint(c) {
      db.prepare('INSERT OR REPLACE INTO checkpoints (gateway_id, seq, hash, wall_ms, signature, verified, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)').run(c.gatewayId, c.seq, c.hash, c.wallMs, c.signature, c.verified ? 1 : 0, c.atMs);
    },
    async putFeed(changes) {
      return db
        .transaction(() => {
          let v = (db.prepare('SELECT COALESCE(MAX(version), 0) FROM station_feed').pluck().get() as number) ?? 0;
          const put = db.prepare('INSERT INTO station_feed (kind, key, value, version) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, version = excluded.version');
          for (const c of changes) put.run(c.kind, c.key, c.value === null ? null : JSON.stringify(c.value), ++v);
          return v;
        })
        .immediate();
    },
    async feedSince(since, limit) {
      const rows = db.prepare('SELECT kind, key, value, version FROM station_feed WHERE version > ? ORDER BY version LIMIT ?').all(since, limit) as { kind: FeedKind; key: string; value: string | null; version: number }[];
      const head = (db.prepare('SELECT COALESCE(MAX(version), 0) FROM station_feed').pluck().get() as number) ?? 0;
      return { changes: rows.map((r) => ({ version: r.version, kind: r.kind, key: r.key, value: r.value === null ? null : (JSON.parse(r.value) as unknown) })), headVersion: head };
    },
    async feedGet(kind, key) {
      const v = db.prepare('SELECT value FROM station_feed WHERE kind = ? AND key = ?').pluck().get(kind, key) as string | null | undefined;
      return v ? (JSON.parse(v) as unknown) : null;
    },
    async feedFloor() {
      return 0;
    },
    async putDocument(d) {
      db.prepare('INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original_sha256, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET order_no = excluded.order_no, subject_key = excluded.subject_key, body = excluded.body, original_sha256 = excluded.original_sha256, received_ms = excluded.received_ms').run(d.kind, d.key, d.orderNo, d.subjectKey, JSON.stringify(d.body), d.originalSha256, d.receivedMs);
    },
    async putOriginal(o) {
      db.prepare('INSERT INTO document_originals (sha256, xml, received_ms) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(o.sha256, Buffer.from(o.xml.buffer, o.xml.byteOffset, o.xml.byteLength), o.receivedMs);
    },
    async getOriginal(sha256) {
      const r = db.prepare('SELECT sha256, xml, received_ms FROM document_originals WHERE sha256 = ?').get(sha256) as { sha256: string; xml: Buffer; received_ms: number } | undefined;
      return r && { sha256: r.sha256, xml: new Uint8Array(r.xml), receivedMs: r.received_ms };
    },
    async documentsByOrder(orderNo) {
      return (await port.all<DocRow>('SELECT * FROM customs_documents WHERE order_no = ?', [orderNo])).map(docFromRow);
    },
    async receiptsFor(keys) {
      if (keys.length === 0) return [];
      // `+kind`: only receipts have a subject key, and without the plus SQLite walks every receipt by the primary key's
      // `kind` prefix instead of probing the subject index — a scan that grows with every receipt ever received.
      return (await port.all<DocRow>(`SELECT * FROM customs_documents WHERE subject_key IN (${keys.map(() => '?').join(', ')}) AND +kind = 'receipt'`, keys)).map(docFromRow);
    },
    async appendAudit(input, atMs) {
      return db
        .transaction(() => {
          const head = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
          const e = sealAudit(head, input, atMs);
          db.prepare('INSERT INTO audit (seq, at_ms, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(e.seq, e.atMs, e.actor, e.action, e.subject, JSON.stringify(e.detail), e.prevHash, e.hash);
          return e;
        })
        .immediate();
    },
    async auditHead() {
      return db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    },
    async auditRange(fromSeq, limit) {
      const rows = db.prepare('SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?').all(fromSeq, limit) as { seq: number; at_ms: number; actor: string; action: string; subject: string; detail: string; prev_hash: string; hash: string }[];
      return rows.map((r) => ({ seq: r.seq, atMs: r.at_ms, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash }));
    },
    async listParcels(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.state) {
        where.push('state = ?');
        args.push(q.state);
      }
      if (q.stationId) {
        where.push('last_station_id = ?');
        args.push(q.stationId);
      }
      if (q.keyPrefix) {
        // Range on the primary key, so a prefix search uses the index (LIKE would not with this collation).
        where.push('parcel_key >= ? AND parcel_key < ?');
        // U+10FFFF sorts after every other character in the BINARY (UTF-8 byte) order; \uffff would not.
        args.push(q.keyPrefix, `${q.keyPrefix}\u{10ffff}`);
      }
      if (q.cursor) {
        const [u, k] = decodeCursor(q.cursor);
        where.push('(updated_ms, parcel_key) < (?, ?)');
        args.push(u, k);
      }
      const sql = `SELECT * FROM parcels ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_ms DESC, parcel_key DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...args, q.limit + 1) as ParcelRow[];
      const items = rows.slice(0, q.limit).map(parcelFromRow);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.updatedMs, last.parcelKey) : null };
    },
    async getParcel(key) {
      const r = st().getParcel.get(key) as ParcelRow | undefined;
      return r ? parcelFromRow(r) : undefined;
    },
    async parcelEvents(key, limit) {
      return (db.prepare('SELECT * FROM events WHERE parcel_key = ? ORDER BY hlc, gateway_id, seq LIMIT ?').all(key, limit) as EventRow[]).map(eventFromRow);
    },
    async gatewayEvents(gatewayId, fromSeq, limit) {
      return (db.prepare('SELECT * FROM events WHERE gateway_id = ? AND seq >= ? ORDER BY seq LIMIT ?').all(gatewayId, fromSeq, limit) as EventRow[]).map(eventFromRow);
    },
    async countEvents(gatewayId) {
      return (gatewayId === undefined ? db.prepare('SELECT count(*) FROM events').pluck().get() : db.prepare('SELECT count(*) FROM events WHERE gateway_id = ?').pluck().get(gatewayId)) as number;
    },
    async createUser(u) {
      db.prepare('INSERT INTO users (username, password_hash, role, display_name, created_ms) VALUES (?, ?, ?, ?, ?)').run(u.username, u.passwordHash, u.role, u.displayName, u.createdMs);
    },
    async getUser(username) {
      const r = db.prepare('SELECT * FROM users WHERE username = ?').get(username) as { username: string; password_hash: string; role: string; display_name: string; created_ms: number } | undefined;
      return r ? { username: r.username, passwordHash: r.password_hash, role: r.role as Role, displayName: r.display_name, createdMs: r.created_ms } : undefined;
    },
    async countUsers() {
      return db.prepare('SELECT count(*) FROM users').pluck().get() as number;
    },
    async createSession(x) {
      db.prepare('INSERT INTO sessions (token_hash, username, role, expires_ms) VALUES (?, ?, ?, ?)').run(x.tokenHash, x.username, x.role, x.expiresMs);
    },
    async getSession(tokenHash, nowMs) {
      const r = db.prepare('SELECT * FROM sessions WHERE token_hash = ? AND expires_ms > ?').get(tokenHash, nowMs) as { token_hash: string; username: string; role: string; expires_ms: number } | undefined;
      return r ? { tokenHash: r.token_hash, username: r.username, role: r.role as Role, expiresMs: r.expires_ms } : undefined;
    },
    async deleteSession(tokenHash) {
      db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
    },
  };
  return storage;
}
