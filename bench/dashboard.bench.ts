import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openIdentifierRepo } from '../hub/repos/identifiers.ts';
import { openReleaseSlipRepo } from '../hub/repos/release-slips.ts';
import { SearchService } from '../hub/services/search.ts';
import { openCaseRepo } from '../hub/repos/cases.ts';
import { openZoneStatsRepo } from '../hub/repos/zone-stats.ts';
import { Projections } from '../hub/services/projections.ts';
import { HOUR_MS, ZoneStatsService } from '../hub/services/zone-stats.ts';
import { run, type Sql } from '../hub/storage/sql.ts';
import type { Storage } from '../hub/storage/storage.ts';
import { createLogger } from '../shared/log.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * The dashboard's endpoints at volume (issue 6 "Quality"): a store with 1,000,000 customs cases (10 % of them in the
 * officers' queue: a bad day) and 10,000,000 edge events, plus 30 days of the overview's hourly rollups. Each endpoint
 * is timed through its service beside a reference query in the same run on the same store.
 *
 * Other pages' endpoints join in: `seedDashboardStore` gives the seeded store, `timeIt` times a call and prints it
 * beside the reference; add a `measure…` step to `benchDashboard`.
 */
const CASES = Number(process.env.BENCH_DASHBOARD_CASES ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_DASHBOARD_EVENTS ?? 10_000_000);
const SAMPLES = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 300);
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** "Now" for the seeded data: every row is older. */
export const BENCH_NOW_MS = Date.UTC(2026, 10, 23, 6, 30);
const log = createLogger('bench', 'silent');

export interface Timing {
  p50: number;
  p99: number;
  max: number;
}

/** Time `fn` `samples` times after a warm-up, print p50/p99 (and the ratio to `reference` when given). */
export async function timeIt(label: string, fn: (i: number) => Promise<unknown> | unknown, opts: { samples?: number; reference?: Timing } = {}): Promise<Timing> {
  const samples = opts.samples ?? SAMPLES;
  for (let i = 0; i < Math.min(50, samples); i++) await fn(i);
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  const s = latencySummary(ms);
  line(label, `p50 ${fmt(s.p50, 2)} / p99 ${fmt(s.p99, 2)} ms`, opts.reference ? `p99 ${fmt(s.p99 / opts.reference.p99, 1)}× reference` : undefined);
  return s;
}

/** One SQL fragment per dialect. */
const dialects = (pgText: string, sqliteText: string) => ({ pg: pgText, sqlite: sqliteText });
const pick = (sql: Sql, t: { pg: string; sqlite: string }) => (sql.dialect === 'postgres' ? t.pg : t.sqlite);

/** i → parcel key, the same formula in both dialects. */
const KEY = dialects("'BP' || lpad(i::text, 8, '0')", "'BP' || printf('%08d', i)");
const STATUS = "CASE WHEN i % 100 < 90 THEN 'released' WHEN i % 100 < 95 THEN 'pending' WHEN i % 100 < 98 THEN 'held' ELSE 'inspection' END";

/** Rows [from, to] of `select` (a SELECT over a column i), inserted in one statement. */
function series(sql: Sql, from: number, to: number, insert: string, select: string): string {
  return sql.dialect === 'postgres'
    ? `${insert} ${select} FROM generate_series(${from}::bigint, ${to}::bigint) AS s(i)`
    : `${insert} WITH RECURSIVE s(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM s WHERE i < ${to}) ${select} FROM s`;
}

async function chunked(sql: Sql, n: number, step: number, statement: (from: number, to: number) => string): Promise<void> {
  for (let from = 0; from < n; from += step) {
    const text = statement(from, Math.min(n, from + step) - 1);
    await sql.tx(function* () {
      yield* run(text);
    });
  }
}

/**
 * Fill a migrated store: customs cases (90 % released, 5 % pending, 3 % held, 2 % in inspection; updated one second
 * apart), events (50 gateways, small bodies, through all the events indexes) and 30 days of overview rollups.
 */
export async function seedDashboardStore(storage: Storage, n: { cases?: number; events?: number } = {}): Promise<void> {
  const sql = storage.sql;
  const cases = n.cases ?? CASES;
  const events = n.events ?? EVENTS;
  await openCaseRepo(sql).migrate();
  await openZoneStatsRepo(sql).migrate();
  await new Projections({ sql, projections: [], log }).migrate(); // the events_received index, as the hub has it
  const base = BENCH_NOW_MS - cases * 1000;
  let t = performance.now();
  await chunked(sql, cases, 200_000, (from, to) =>
    series(
      sql,
      from,
      to,
      'INSERT INTO customs_cases (parcel_key, order_no, direction, trade_mode, status, decided_by, engine_decision, risk_level, rules_version, reasons, match_complete, match_consistent, customs_status, officer_hold, inspection_result, buyer_key, buyer_id_masked, value_cny, year, ebc_code, declared_weight_kg, created_ms, updated_ms, version)',
      `SELECT ${pick(sql, KEY)}, 'BO' || i, 'import', '1210', ${STATUS}, 'auto', 'released', 'low', 'r1', '[]', 1, 1, 800, 0, NULL, NULL, NULL, 100, 2026, NULL, 1, ${base} + i * 1000, ${base} + i * 1000, 1`,
    ),
  );
  line(`${sql.dialect}: seed ${fmt(cases)} customs cases`, `${fmt((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  const eventBase = BENCH_NOW_MS - events * 10;
  await chunked(sql, events, 500_000, (from, to) =>
    series(
      sql,
      from,
      to,
      'INSERT INTO events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body)',
      `SELECT 'GW-' || (i % 50), i / 50 + 1, 'e' || i, 'parcel.scanned', ${pick(sql, dialects("'BP' || lpad((i % " + cases + ")::text, 8, '0')", "'BP' || printf('%08d', i % " + cases + ')'))}, 'LINE-1', ${eventBase} + i * 10, 'h', ${eventBase} + i * 10, 'ok', '', '', ${sql.dialect === 'postgres' ? "'{}'::jsonb" : "'{}'"}`,
    ),
  );
  line(`${sql.dialect}: seed ${fmt(events)} events`, `${fmt((performance.now() - t) / 1000, 1)} s`);
  // 30 days of rollups: four zone-wide flows, six lines, four gates per hour, twenty dwell buckets per hour.
  const hours = 30 * 24;
  const first = Math.floor(BENCH_NOW_MS / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  await sql.tx(function* () {
    for (let h = 0; h < hours; h++) {
      const hourMs = first + h * HOUR_MS;
      for (const [metric, station] of [['in', '*'], ['released', '*'], ['held', '*'], ['out', '*'], ...[1, 2, 3, 4, 5, 6].map((l) => ['line', `LINE-${l}`]), ...[1, 2, 3, 4].map((g) => ['gate', `GATE-${g}`])]) {
        yield* run('INSERT INTO zone_hourly (hour_ms, metric, station_id, n) VALUES (?, ?, ?, ?)', [hourMs, metric!, station!, 1000 + ((h * 7919) % 500)]);
      }
      for (let b = 5; b < 25; b++) yield* run('INSERT INTO zone_dwell (hour_ms, bucket, n) VALUES (?, ?, ?)', [hourMs, b, 50 + ((h + b) % 30)]);
    }
  });
  // Planner statistics, as autovacuum / a periodic ANALYZE would have them after loads this size.
  await sql.tx(function* () {
    yield* run('ANALYZE');
  });
}

async function measureOverview(storage: Storage): Promise<void> {
  const sql = storage.sql;
  const service = new ZoneStatsService({ repo: openZoneStatsRepo(sql), cases: openCaseRepo(sql), log, now: () => BENCH_NOW_MS });
  const pk = await timeIt(`${sql.dialect}: reference — case by primary key`, (i) => sql.all('SELECT * FROM customs_cases WHERE parcel_key = ?', [`BP${String((i * 7919) % CASES).padStart(8, '0')}`]));
  const count = await timeIt(`${sql.dialect}: reference — COUNT(*) pending cases (${fmt(CASES / 20)})`, () => sql.all("SELECT COUNT(*) AS n FROM customs_cases WHERE status = 'pending'"));
  const o = await service.overview(24);
  if (o.totals.in === 0 || o.queue.total !== (CASES / 100) * 10) throw new Error(`overview bench: unexpected figures ${JSON.stringify({ totals: o.totals, queue: o.queue.total })}`);
  await timeIt(`${sql.dialect}: GET /api/overview?hours=24 (service)`, () => service.overview(24), { reference: pk });
  await timeIt(`${sql.dialect}: … vs the pending COUNT(*) alone`, () => service.overview(24), { reference: count, samples: 50 });
  await timeIt(`${sql.dialect}: GET /api/overview?hours=168 (service)`, () => service.overview(168), { reference: pk, samples: 100 });
}

/** The other pages' first requests: the officers' queue, a parcel's timeline, a search. */
async function measurePages(storage: Storage): Promise<void> {
  const sql = storage.sql;
  const cases = openCaseRepo(sql);
  const identifiers = openIdentifierRepo(sql);
  await openReleaseSlipRepo(sql).migrate(); // search joins the slips' parcels
  await identifiers.migrate();
  const search = new SearchService({ storage, identifiers, cases });
  const key = (i: number) => `BP${String((i * 7919) % CASES).padStart(8, '0')}`;
  const pk = await timeIt(`${sql.dialect}: reference — case by primary key`, (i) => sql.all('SELECT * FROM customs_cases WHERE parcel_key = ?', [key(i)]));
  const queue = await cases.list({ status: ['pending', 'held', 'inspection'], limit: 50 });
  if (queue.items.length !== 50 || !queue.nextCursor) throw new Error('dashboard bench: the queue should have pages');
  await timeIt(`${sql.dialect}: queue, first page of 50 (GET /api/cases)`, () => cases.list({ status: ['pending', 'held', 'inspection'], limit: 50 }), { reference: pk });
  await timeIt(`${sql.dialect}: queue, a later page (cursor)`, () => cases.list({ status: ['pending', 'held', 'inspection'], limit: 50, cursor: queue.nextCursor! }), { reference: pk });
  // Each seeded parcel has ten events (10M events over 1M parcels).
  await timeIt(`${sql.dialect}: parcel timeline (events + case)`, async (i) => Promise.all([storage.parcelEvents(key(i), 1000), cases.get(key(i))]), { reference: pk });
  await timeIt(`${sql.dialect}: search by waybill no. (GET /api/search)`, (i) => search.search(key(i), 20), { reference: pk });
  await timeIt(`${sql.dialect}: search by waybill prefix`, (i) => search.search(key(i).slice(0, 7), 20), { reference: pk });
}

export async function benchDashboard(): Promise<void> {
  console.log(`\n## Dashboard endpoints at ${fmt(CASES)} cases and ${fmt(EVENTS)} events (${SAMPLES} samples)`);
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-dashboard-'));
  try {
    const { openSqliteStorage } = await import('../hub/storage/sqlite.ts');
    const sqliteStore = openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' });
    await sqliteStore.migrate();
    await seedDashboardStore(sqliteStore);
    await measureOverview(sqliteStore);
    await measurePages(sqliteStore);
    await sqliteStore.close();
    rmSync(dir, { recursive: true, force: true });

    const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    if (!(await probe.connect().then(() => true, () => false))) {
      line('PostgreSQL', 'skipped', `not reachable at ${PG_URL}`);
      return;
    }
    const schema = `bench_dashboard_${process.pid}`;
    const { openPostgresStorage } = await import('../hub/storage/postgres.ts');
    const pgStore = await openPostgresStorage({ url: PG_URL, schema });
    try {
      await pgStore.migrate();
      await seedDashboardStore(pgStore);
      await measureOverview(pgStore);
      await measurePages(pgStore);
    } finally {
      await pgStore.close();
      await probe.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await probe.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
