import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bulkInsertSyntheticItems, GTINS, LOTS, syntheticItem } from '../hub/repos/trace-fixtures.ts';
import { openTraceRepo } from '../hub/repos/trace.ts';
import { TraceService } from '../hub/services/trace.ts';
import { seededRandom } from '../hub/storage/fixtures.ts';
import { run } from '../hub/storage/sql.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * Traceability at 1,000,000 parcels: the recall query (`TraceService.byProduct`: a page of 100 links for one GTIN + lot,
 * with totals, per-lot summary and inbound entry lists) and the parcel query (`byParcel`), on SQLite and PostgreSQL.
 * Reference, same run, same table: the raw indexed SELECT of that page (and of a parcel's rows) on a plain connection.
 * Then the worst case: one lot shipped in 100,000 parcels, where the totals count every one of them.
 */
const N = Number(process.env.BENCH_TRACE_ROWS ?? 1_000_000);
const QUERIES = 1000;
const HOT = 100_000;
const HOT_GTIN = '09999999999994';
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const PAGE = 100;

const RAW_PAGE = 'SELECT order_no, gtin, lot, parcel_key, buyer_id_masked, buyer_name_masked, qty, source, at_ms FROM trace_item WHERE gtin = ? AND lot = ? ORDER BY parcel_key, order_no LIMIT ?';
const RAW_PARCEL = 'SELECT order_no, gtin, lot, parcel_key, qty FROM trace_item WHERE parcel_key = ?';

async function time(samples: number, fn: (i: number) => Promise<unknown> | unknown): Promise<{ p50: number; p99: number; max: number }> {
  for (let i = 0; i < 50; i++) await fn(i); // warm caches and statement caches
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return latencySummary(ms);
}

const show = (s: { p50: number; p99: number }) => `p50 ${fmt(s.p50, 2)} / p99 ${fmt(s.p99, 2)} ms`;

/** The (GTIN, lot) pairs and parcels the queries ask for: random, the same every run. */
function targets(): { pairs: { gtin: string; lot: string }[]; parcels: string[] } {
  const rnd = seededRandom(42);
  const pairs = Array.from({ length: QUERIES }, () => ({ gtin: String(10_000_000_000_000 + Math.floor(rnd() * GTINS)), lot: `L${Math.floor(rnd() * LOTS)}` }));
  const parcels = Array.from({ length: QUERIES }, () => syntheticItem(Math.floor(rnd() * N)).parcelKey);
  return { pairs, parcels };
}

async function measure(label: string, storage: Storage, raw: { page(gtin: string, lot: string): Promise<unknown> | unknown; parcel(key: string): Promise<unknown> | unknown }): Promise<void> {
  const repo = openTraceRepo(storage.sql);
  await repo.migrate();
  let t = performance.now();
  await bulkInsertSyntheticItems(storage.sql, N);
  line(`${label}: bulk load ${fmt(N)} links`, `${fmt((performance.now() - t) / 1000, 1)} s`);
  // Planner statistics, as autovacuum would have gathered them after a load this size in production.
  if (storage.sql.dialect === 'postgres') await storage.sql.all('ANALYZE trace_item');
  const service = new TraceService({ repo });
  const { pairs, parcels } = targets();

  const rawPage = await time(QUERIES, (i) => raw.page(pairs[i % QUERIES]!.gtin, pairs[i % QUERIES]!.lot));
  const product = await time(QUERIES, (i) => service.byProduct({ gtin: pairs[i % QUERIES]!.gtin, lot: pairs[i % QUERIES]!.lot, limit: PAGE }));
  line(`${label}: raw indexed SELECT, a lot's page (reference)`, show(rawPage));
  line(`${label}: byProduct(gtin, lot), ${N / (GTINS * LOTS)}-parcel lot`, show(product), `p99 ${fmt(product.p99 / rawPage.p99, 1)}× raw`);
  const rawParcel = await time(QUERIES, (i) => raw.parcel(parcels[i % QUERIES]!));
  const parcel = await time(QUERIES, (i) => service.byParcel(parcels[i % QUERIES]!));
  line(`${label}: raw indexed SELECT, one parcel (reference)`, show(rawParcel));
  line(`${label}: byParcel (links + inbound per lot)`, show(parcel), `p99 ${fmt(parcel.p99 / rawParcel.p99, 1)}× raw`);

  // Worst case: one lot in 100,000 parcels (a bestseller's lot). The page is still an index walk; the totals are not.
  t = performance.now();
  await storage.sql.tx(function* () {
    for (let i = 0; i < HOT; i++) {
      yield* run("INSERT INTO trace_item (order_no, gtin, lot, parcel_key, buyer_key, buyer_id_masked, buyer_name_masked, qty, source, at_ms) VALUES (?, ?, 'HOT', ?, ?, '110***', '张*', 1, 'pick', 0)", [`HO${i}`, HOT_GTIN, `HP${String(i).padStart(6, '0')}`, String(i % 50_000)]);
    }
  });
  const hotRaw = await time(50, () => raw.page(HOT_GTIN, 'HOT'));
  const hot = await time(50, () => service.byProduct({ gtin: HOT_GTIN, lot: 'HOT', limit: PAGE }));
  line(`${label}: raw page, ${fmt(HOT)}-parcel lot (reference)`, show(hotRaw));
  line(`${label}: byProduct, ${fmt(HOT)}-parcel lot (totals: all)`, show(hot), `p99 ${fmt(hot.p99 / hotRaw.p99, 1)}× raw`);
}

export async function benchTrace(): Promise<void> {
  console.log(`\n## Traceability at ${fmt(N)} parcels (page of ${PAGE}, ${fmt(QUERIES)} queries, random lots)`);
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-trace-'));
  try {
    const { openSqliteStorage } = await import('../hub/storage/sqlite.ts');
    const file = join(dir, 'hub.sqlite');
    const sqlite = openSqliteStorage({ file });
    await sqlite.migrate();
    await openTraceRepo(sqlite.sql).migrate(); // the tables must exist before the reference connection prepares on them
    const rdb = new Database(file, { readonly: true });
    const page = rdb.prepare(RAW_PAGE);
    const parcel = rdb.prepare(RAW_PARCEL);
    await measure('SQLite', sqlite, { page: (g, l) => page.all(g, l, PAGE), parcel: (k) => parcel.all(k) });
    rdb.close();
    await sqlite.close();

    const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    if (!(await probe.connect().then(() => true, () => false))) {
      line('PostgreSQL', 'skipped', `not reachable at ${PG_URL}`);
      return;
    }
    const schema = `bench_trace_${process.pid}`;
    const { openPostgresStorage } = await import('../hub/storage/postgres.ts');
    const pgStorage = await openPostgresStorage({ url: PG_URL, schema });
    await pgStorage.migrate();
    await probe.query(`SET search_path TO ${schema}`);
    const pgPage = RAW_PAGE.replace('gtin = ?', 'gtin = $1').replace('lot = ?', 'lot = $2').replace('LIMIT ?', 'LIMIT $3');
    const pgParcel = RAW_PARCEL.replace('?', '$1');
    try {
      await measure('PostgreSQL', pgStorage, {
        page: (g, l) => probe.query({ name: 'trace-page', text: pgPage, values: [g, l, PAGE] }),
        parcel: (k) => probe.query({ name: 'trace-parcel', text: pgParcel, values: [k] }),
      });
    } finally {
      await pgStorage.close();
      await probe.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await probe.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
