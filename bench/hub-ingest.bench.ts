import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createHubMetrics } from '../hub/metrics.ts';
import { DecodePool } from '../hub/services/decode-pool.ts';
import { IngestService } from '../hub/services/ingest.ts';
import { openSqliteStorage } from '../hub/storage/sqlite.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { encodeBatch, PROTOCOL_VERSION } from '../shared/sync-protocol.ts';
import { topics } from '../shared/topics.ts';
import { makeJournal, toEntries } from './fixtures.ts';
import { foldInputs } from '../hub/storage/sql-common.ts';
import { fmt, line } from './stats.ts';

/**
 * Hub ingest: storage.ingest (the ack's transaction: idempotent insert, watermark, chain check) on SQLite and
 * PostgreSQL, the parcel fold after it (storage.foldParcels, the 'parcels' projection) on SQLite, and the full path
 * through the ingest service (decode, validate, hash check, store).
 * References, same run, same rows: a raw insert loop into a table of the same shape.
 */
const N = 200_000;
const BATCH = 1000;
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function timeIngest(storage: Storage, gw: string, entries: ReturnType<typeof toEntries>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < entries.length; i += BATCH) await storage.ingest(gw, entries.slice(i, i + BATCH), { receivedMs: Date.now() });
  return entries.length / ((performance.now() - t0) / 1000);
}

export async function benchHubIngest(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-ingest-'));
  console.log(`\n## Hub ingest (${fmt(N)} events, batches of ${BATCH}, 1 event per parcel)`);
  try {
    const raw = makeJournal('BENCH-GW', N);
    const entries = toEntries(raw);
    const bodies = raw.map((r) => JSON.stringify(r));

    // Reference: raw better-sqlite3 insert of the same rows into a table of the same shape (unique gateway+seq).
    const rdb = new Database(join(dir, 'raw.sqlite'));
    rdb.pragma('journal_mode = WAL');
    rdb.pragma('synchronous = FULL');
    rdb.exec('CREATE TABLE ev (id INTEGER PRIMARY KEY, gateway_id TEXT, seq INTEGER, parcel_key TEXT, hlc TEXT, body TEXT, UNIQUE (gateway_id, seq))');
    const rins = rdb.prepare('INSERT OR IGNORE INTO ev (gateway_id, seq, parcel_key, hlc, body) VALUES (?, ?, ?, ?, ?)');
    const rtx = rdb.transaction((from: number) => {
      for (let i = from; i < Math.min(from + BATCH, N); i++) rins.run('BENCH-GW', entries[i]!.seq, entries[i]!.parcelKey, entries[i]!.hlc, bodies[i]);
    });
    let t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) rtx(i);
    const rawSqlite = N / ((performance.now() - t0) / 1000);
    rdb.close();

    const sqlite = openSqliteStorage({ file: join(dir, 'hub.sqlite') });
    await sqlite.migrate();
    const sqliteRate = await timeIngest(sqlite, 'BENCH-GW', entries);
    t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) await sqlite.foldParcels(foldInputs(entries.slice(i, i + BATCH), Date.now()));
    const foldRate = N / ((performance.now() - t0) / 1000);
    line('raw better-sqlite3 insert, same rows (reference)', `${fmt(rawSqlite)} rows/s`);
    line('hub storage.ingest on SQLite (the ack)', `${fmt(sqliteRate)} events/s`, `${fmt(sqliteRate / rawSqlite, 2)}× raw`);
    line('parcel fold after it on SQLite (storage.foldParcels)', `${fmt(foldRate)} events/s`, `${fmt(foldRate / rawSqlite, 2)}× raw`);

    // The full path: MQTT payload bytes → decode → zod → hash check → store → ack; on the main thread, then with a decode worker.
    const payloads: Buffer[] = [];
    for (let i = 0; i < N; i += BATCH) {
      payloads.push(encodeBatch({ v: PROTOCOL_VERSION, gatewayId: 'BENCH-GW' as never, backlog: { count: 0, oldestWallMs: null }, sentAtMs: Date.now() }, bodies.slice(i, i + BATCH)));
    }
    const fullPath = async (file: string, pool?: DecodePool) => {
      const st = openSqliteStorage({ file: join(dir, file) });
      await st.migrate();
      const t = performance.now();
      await new Promise<void>((resolve) => {
        const svc = new IngestService({
          storage: st,
          log: pino({ level: 'silent' }),
          metrics: createHubMetrics(),
          ...(pool ? { prepare: pool.prepare } : {}),
          publishAck: (_gw, ack) => ack.ackedSeq === N && resolve(),
        });
        for (const p of payloads) svc.handle(topics.events('BENCH-GW'), p);
      });
      const rate = N / ((performance.now() - t) / 1000);
      await st.close();
      return rate;
    };
    const fullRate = await fullPath('hub2.sqlite');
    line('hub ingest service on SQLite (decode+validate+hash+store)', `${fmt(fullRate)} events/s`, `${fmt(fullRate / rawSqlite, 2)}× raw`);
    const pool = new DecodePool(1, pino({ level: 'silent' }));
    const pooledRate = await fullPath('hub3.sqlite', pool);
    await pool.close();
    line('  … with decoding in 1 worker thread', `${fmt(pooledRate)} events/s`, `${fmt(pooledRate / rawSqlite, 2)}× raw; ${fmt(pooledRate / fullRate, 2)}× main-thread`);
    await sqlite.close();

    // PostgreSQL, if reachable.
    const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    const pgUp = await probe.connect().then(() => true, () => false);
    if (!pgUp) {
      line('hub storage.ingest on PostgreSQL', 'skipped', `PostgreSQL not reachable at ${PG_URL}`);
      return;
    }
    const schema = `bench_${process.pid}`;
    await probe.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await probe.query(`CREATE TABLE ${schema}.ev (id BIGSERIAL PRIMARY KEY, gateway_id TEXT, seq BIGINT, parcel_key TEXT, hlc TEXT, body JSONB, UNIQUE (gateway_id, seq))`);
    t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const slice = entries.slice(i, i + BATCH);
      await probe.query(
        `INSERT INTO ${schema}.ev (gateway_id, seq, parcel_key, hlc, body) SELECT 'BENCH-GW', * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) ON CONFLICT DO NOTHING`,
        [slice.map((e) => e.seq), slice.map((e) => e.parcelKey), slice.map((e) => e.hlc), bodies.slice(i, i + BATCH)],
      );
    }
    const rawPg = N / ((performance.now() - t0) / 1000);
    const { openPostgresStorage } = await import('../hub/storage/postgres.ts');
    const pgStorage = await openPostgresStorage({ url: PG_URL, schema: `${schema}_hub` });
    await pgStorage.migrate();
    const pgRate = await timeIngest(pgStorage, 'BENCH-GW', entries);
    line('raw PostgreSQL UNNEST insert, same rows (reference)', `${fmt(rawPg)} rows/s`);
    line('hub storage.ingest on PostgreSQL', `${fmt(pgRate)} events/s`, `${fmt(pgRate / rawPg, 2)}× raw`);
    await pgStorage.close();
    await probe.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_hub CASCADE`);
    await probe.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
