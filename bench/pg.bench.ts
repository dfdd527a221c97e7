import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { seededRandom } from '../hub/storage/fixtures.ts';
import { ensurePartitionFor, monthOf } from '../hub/storage/pg-maintenance.ts';
import { openPostgresStorage } from '../hub/storage/postgres.ts';
import type { IngestEntry, Storage } from '../hub/storage/storage.ts';
import { parcelProjection } from '../hub/services/parcel-projection.ts';
import { Projections } from '../hub/services/projections.ts';
import { foldInputs } from '../hub/storage/sql-common.ts';
import { pino } from 'pino';
import { makeJournal, toEntries } from './fixtures.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * PostgreSQL (`npm run bench -- pg`):
 * 1. Hub ingest (`storage.ingest`, the ack path: dedupe look-up, COPY into the partitioned events table, watermark)
 *    against a raw COPY of the same rows, same run, into a table with the same columns and indexes as one partition;
 *    the parcel fold after the ack (`storage.foldParcels`, the 'parcels' projection) keeping up and behind; and both
 *    together as a hub runs them, acked and folded.
 * 2. Query latency at BENCH_PG_EVENTS events (default 10,000,000, seeded with generate_series over three monthly
 *    partitions, 1,000 gateways, 5 events per parcel): the parcel timeline, the parcel list pages and a gateway's
 *    journal page, through the hub's storage, beside a raw primary-key lookup on a plain connection.
 */
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const N_INGEST = 200_000;
const BATCH = 1000;
const N_SEED = Number(process.env.BENCH_PG_EVENTS ?? 10_000_000);
const SEED_CHUNK = 1_000_000;
const GATEWAYS = 1000;
const EVENTS_PER_PARCEL = 5;
const SAMPLES = 2000;

const esc = (v: string | null) => (v === null ? '\\N' : v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));

async function timed(samples: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; max: number }> {
  for (let i = 0; i < Math.min(200, samples); i++) await fn(i); // warm the pool and the plan cache
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return latencySummary(out);
}
const show = (s: { p50: number; p99: number; max: number }) => `p50 ${fmt(s.p50, 2)} / p99 ${fmt(s.p99, 2)} ms`;

/** The reference: `list` COPYed straight into `table` (events' columns), batches of BATCH; rows/s. */
async function rawCopyRate(client: pg.Client, table: string, gatewayId: string, list: readonly IngestEntry[], receivedMs: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < list.length; i += BATCH) {
    let text = '';
    for (const e of list.slice(i, i + BATCH)) {
      text += `${gatewayId}\t${e.seq}\t${esc(e.id)}\t${esc(e.type)}\t${esc(e.parcelKey)}\t${esc(e.stationId)}\t${e.wallMs}\t${esc(e.hlc)}\t${receivedMs}\tok\t${e.prevHash}\t${e.hash}\t${esc(e.rawJson)}\n`;
    }
    await pipeline(Readable.from([Buffer.from(text)]), client.query(copyFrom(`COPY ${table} (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body) FROM STDIN`)));
  }
  return list.length / ((performance.now() - t0) / 1000);
}

/** Each journal its own parcels: a parcel another journal already folded would refold (its HLCs are not newer). */
const keyed = (prefix: string, list: IngestEntry[]): IngestEntry[] =>
  list.map((e) => ({ ...e, parcelKey: `${prefix}${e.parcelKey}`, event: { ...e.event!, parcelKey: `${prefix}${e.parcelKey}` } }));

async function benchIngest(admin: pg.Client, schema: string): Promise<void> {
  console.log(`\n## PostgreSQL hub ingest (${fmt(N_INGEST)} events, batches of ${fmt(BATCH)})`);
  const entries = toEntries(makeJournal('BENCH-GW', N_INGEST));
  const receivedMs = Date.now();

  // Reference: the same rows COPYed into a table shaped like one events partition (same columns, same three indexes).
  await admin.query(`CREATE SCHEMA ${schema}_raw`);
  await admin.query(`CREATE TABLE ${schema}_raw.ev (gateway_id TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, parcel_key TEXT, station_id TEXT,
    wall_ms BIGINT NOT NULL, hlc TEXT NOT NULL, received_ms BIGINT NOT NULL, status TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, body JSONB NOT NULL, UNIQUE (gateway_id, seq));
    CREATE INDEX ON ${schema}_raw.ev (parcel_key, hlc) WHERE parcel_key IS NOT NULL; CREATE INDEX ON ${schema}_raw.ev (received_ms)`);
  const rawCopy = await rawCopyRate(admin, `${schema}_raw.ev`, 'BENCH-GW', entries, receivedMs);

  // Each measurement on a store of its own, so each writes into an empty events table as the raw COPY did.
  const stores: Storage[] = [];
  const fresh = async (name: string) => {
    const s = await openPostgresStorage({ url: PG_URL, schema: `${schema}_${name}` });
    await s.migrate();
    await new Projections({ sql: s.sql, projections: [], log: pino({ level: 'silent' }) }).migrate(); // its index on received_ms, as in production
    stores.push(s);
    return s;
  };
  const ingestAll = async (store: Storage, gw: string, list: IngestEntry[]) => {
    const t = performance.now();
    for (let i = 0; i < N_INGEST; i += BATCH) await store.ingest(gw, list.slice(i, i + BATCH), { receivedMs });
    return N_INGEST / ((performance.now() - t) / 1000);
  };
  const foldAll = async (store: Storage, list: IngestEntry[], chunk: number) => {
    const t = performance.now();
    for (let i = 0; i < N_INGEST; i += chunk) await store.foldParcels(foldInputs(list.slice(i, i + chunk), receivedMs));
    return N_INGEST / ((performance.now() - t) / 1000);
  };
  // The ack path (storage.ingest: dedupe look-up, COPY into the partitioned table, watermark, chain check).
  const a = await fresh('a');
  const hub = await ingestAll(a, 'BENCH-GW', entries);
  const redelivery = await ingestAll(a, 'BENCH-GW', entries); // everything again: the dedupe look-up alone
  const unkeyed = toEntries(makeJournal('BENCH-GW2', N_INGEST)).map((e) => ({ ...e, parcelKey: null }));
  const eventsOnly = await ingestAll(await fresh('b'), 'BENCH-GW2', unkeyed);
  // A line's real mix: each parcel seen five times (scan, weigh, X-ray, decision, gate), its events spread over the run.
  const mixed = keyed('M', toEntries(makeJournal('BENCH-GW3', N_INGEST, N_INGEST / 5)));
  const c = await fresh('c');
  const fiveEach = await ingestAll(c, 'BENCH-GW3', mixed);

  // The parcel rows, folded after the ack by the 'parcels' projection: as committed (batches of 1,000: keeping up),
  // and a backlog taken 20,000 events a call (behind).
  const foldNew = await foldAll(a, entries, BATCH);
  const foldLive = await foldAll(c, mixed, BATCH);
  const mixedBehind = keyed('B', toEntries(makeJournal('BENCH-GW4', N_INGEST, N_INGEST / 5)));
  const d = await fresh('d');
  await ingestAll(d, 'BENCH-GW4', mixedBehind);
  const foldBehind = await foldAll(d, mixedBehind, 20_000);

  // Sustained: what a hub does under this load — commit and ack each batch, hand it to the parcel projection, which
  // folds in the background and takes whatever queued meanwhile. Done when the last event is acked and folded.
  const sustained = keyed('S', toEntries(makeJournal('BENCH-GW5', N_INGEST, N_INGEST / 5)));
  const e = await fresh('e');
  const projections = new Projections({ sql: e.sql, projections: [parcelProjection(e)], log: pino({ level: 'silent' }), hubId: 'bench' });
  let maxLagMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < N_INGEST; i += BATCH) {
    const batch = sustained.slice(i, i + BATCH);
    await e.ingest('BENCH-GW5', batch, { receivedMs });
    projections.onEvents('BENCH-GW5', batch.map((x) => x.event!), Date.now());
    const oldest = projections.backlog()[0]!.oldestMs;
    if (oldest !== undefined) maxLagMs = Math.max(maxLagMs, Date.now() - oldest);
  }
  const ackedRate = N_INGEST / ((performance.now() - t0) / 1000);
  await projections.drained();
  const foldedRate = N_INGEST / ((performance.now() - t0) / 1000);
  const check = await e.getParcel(sustained[N_INGEST - 1]!.parcelKey!);
  if (check?.eventCount !== 5) throw new Error(`sustained run: last parcel folded ${check?.eventCount} events, not 5`);
  for (const s of stores) await s.close();
  for (const name of ['a', 'b', 'c', 'd', 'e']) await admin.query(`DROP SCHEMA IF EXISTS ${schema}_${name} CASCADE`);

  line('raw COPY, same rows, same indexes (reference)', `${fmt(rawCopy)} rows/s`);
  line('ack path: storage.ingest, events with no parcel', `${fmt(eventsOnly)} events/s`, `${fmt(eventsOnly / rawCopy, 2)}× raw COPY`);
  line('ack path: storage.ingest, each event a new parcel', `${fmt(hub)} events/s`, `${fmt(hub / rawCopy, 2)}× raw COPY`);
  line("ack path: storage.ingest, five events per parcel (a line's mix)", `${fmt(fiveEach)} events/s`, `${fmt(fiveEach / rawCopy, 2)}× raw COPY`);
  line('  the same batches redelivered (all duplicates)', `${fmt(redelivery)} events/s`);
  line('parcel fold, each event a new parcel, 1,000 a call', `${fmt(foldNew)} events/s`, `${fmt(foldNew / rawCopy, 2)}× raw COPY`);
  line('parcel fold, five per parcel, 1,000 a call (keeping up)', `${fmt(foldLive)} events/s`, `${fmt(foldLive / rawCopy, 2)}× raw COPY`);
  line('parcel fold, five per parcel, 20,000 a call (behind)', `${fmt(foldBehind)} events/s`, `${fmt(foldBehind / rawCopy, 2)}× raw COPY`);
  line('sustained, five per parcel: acked (fold running beside)', `${fmt(ackedRate)} events/s`, `${fmt(ackedRate / rawCopy, 2)}× raw COPY`);
  line('sustained, five per parcel: acked and folded', `${fmt(foldedRate)} events/s`, `${fmt(foldedRate / rawCopy, 2)}× raw COPY; fold lag max ${fmt(maxLagMs / 1000, 1)} s`);
}

async function seed(admin: pg.Client, store: Storage, schema: string): Promise<void> {
  const t0 = performance.now();
  const now = Date.now();
  // Three months of receive time ending now, so three monthly partitions hold the rows.
  const fromMs = monthOf(monthOf(monthOf(now).fromMs - 1).fromMs - 1).fromMs;
  for (let m = fromMs; m < now; m = monthOf(m).toMs) await ensurePartitionFor(store.sql, m);
  const span = now - fromMs;
  const parcels = Math.ceil(N_SEED / EVENTS_PER_PARCEL);
  await admin.query(`SET search_path = ${schema}`);
  for (let lo = 0; lo < N_SEED; lo += SEED_CHUNK) {
    const hi = Math.min(N_SEED, lo + SEED_CHUNK) - 1;
    // Event i: gateway i % 1000 (its seq i / 1000 + 1), parcel i % parcels (so a parcel's five events are spread in time),
    // received in order over the three months; a body of the size a real scan event has (~450 bytes).
    await admin.query(
      `INSERT INTO events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body)
       SELECT g, s, md5(i::text), 'parcel.scanned', k, 'LINE-' || (i % 20), t, lpad(t::text, 16, '0') || '-0000', t + 50, 'ok', md5((i - 1)::text) || md5(i::text), md5(i::text) || md5((i + 1)::text),
         ('{"type":"parcel.scanned","gatewayId":"' || g || '","seq":' || s || ',"parcelKey":"' || k || '","stationId":"LINE-' || (i % 20) || '","deviceId":"scanner-1","payload":{"code":"' || k || '","source":"scanner","symbology":"code128"},"time":{"wallMs":' || t || ',"bootId":"bench","uptimeMs":' || i || ',"clockSynced":true},"id":"' || md5(i::text) || '"}')::jsonb
       FROM (SELECT i, 'GW-' || lpad((i % ${GATEWAYS})::text, 4, '0') AS g, i / ${GATEWAYS} + 1 AS s, 'EA' || lpad((i % ${parcels})::text, 9, '0') || 'CN' AS k,
               ${fromMs}::bigint + (i::bigint * ${span}) / ${N_SEED} AS t
             FROM generate_series($1::bigint, $2::bigint) AS i) x`,
      [lo, hi],
    );
    process.stdout.write(`  seeded ${fmt(hi + 1)} events (${fmt((performance.now() - t0) / 1000, 0)} s)\r`);
  }
  await admin.query(
    `INSERT INTO parcels (parcel_key, state, last_hlc, event_count, last_station_id, last_gateway_id, last_wall_ms, gross_weight_kg, xray_verdict, anomalies, first_wall_ms, updated_ms)
     SELECT 'EA' || lpad(p::text, 9, '0') || 'CN', (ARRAY['in_zone','on_hold','released','exited'])[p % 4 + 1], '', ${EVENTS_PER_PARCEL}, 'LINE-' || (p % 20), 'GW-' || lpad((p % ${GATEWAYS})::text, 4, '0'),
       ${fromMs}::bigint + p, 1.5, NULL, '[]'::jsonb, ${fromMs}::bigint + p, ${fromMs}::bigint + (p::bigint * ${span}) / ${parcels}
     FROM generate_series(0, ${parcels - 1}) AS p`,
  );
  await admin.query(`INSERT INTO gateways (id, acked_seq, head_hash, created_ms) SELECT 'GW-' || lpad(g::text, 4, '0'), 0, '', 0 FROM generate_series(0, ${GATEWAYS - 1}) g`);
  await admin.query('VACUUM ANALYZE events');
  await admin.query('VACUUM ANALYZE parcels');
  const size = (await admin.query<{ s: string }>("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS s FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events')")).rows[0]!.s;
  console.log(`\n  seeded ${fmt(N_SEED)} events in 3 monthly partitions and ${fmt(parcels)} parcels in ${fmt((performance.now() - t0) / 1000, 0)} s; events with indexes: ${size}`);
}

async function benchQueries(admin: pg.Client, schema: string): Promise<void> {
  console.log(`\n## PostgreSQL queries at ${fmt(N_SEED)} events (${fmt(SAMPLES)} random keys each, after 200 warm-up queries)`);
  const store = await openPostgresStorage({ url: PG_URL, schema });
  await store.migrate();
  await new Projections({ sql: store.sql, projections: [], log: pino({ level: 'silent' }) }).migrate();
  await seed(admin, store, schema);
  const parcels = Math.ceil(N_SEED / EVENTS_PER_PARCEL);
  const rnd = seededRandom(7);
  const keys = Array.from({ length: SAMPLES + 200 }, () => `EA${String(Math.floor(rnd() * parcels)).padStart(9, '0')}CN`);
  const gws = Array.from({ length: SAMPLES + 200 }, () => `GW-${String(Math.floor(rnd() * GATEWAYS)).padStart(4, '0')}`);
  const perGateway = Math.floor(N_SEED / GATEWAYS);

  const raw = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await raw.connect();
  const pk = await timed(SAMPLES, (i) => raw.query({ name: 'pk', text: 'SELECT * FROM parcels WHERE parcel_key = $1', values: [keys[i]] }));
  const timeline = await timed(SAMPLES, async (i) => {
    const ev = await store.parcelEvents(keys[i]!, 1000);
    if (ev.length !== EVENTS_PER_PARCEL) throw new Error(`timeline of ${keys[i]} has ${ev.length} events`);
  });
  const detail = await timed(SAMPLES, (i) => Promise.all([store.getParcel(keys[i]!), store.parcelEvents(keys[i]!, 1000)]));
  const list = await timed(SAMPLES, () => store.listParcels({ limit: 50 }));
  const states = ['in_zone', 'on_hold', 'released', 'exited'] as const;
  const byState = await timed(SAMPLES, (i) => store.listParcels({ limit: 50, state: states[i % 4]! }));
  const byStation = await timed(SAMPLES, (i) => store.listParcels({ limit: 50, stationId: `LINE-${i % 20}` }));
  const byPrefix = await timed(SAMPLES, (i) => store.listParcels({ limit: 50, keyPrefix: keys[i]!.slice(0, 8) }));
  const page2 = await timed(SAMPLES, async (i) => {
    const p1 = await store.listParcels({ limit: 50, state: states[i % 4]! });
    if (p1.nextCursor) await store.listParcels({ limit: 50, state: states[i % 4]!, cursor: p1.nextCursor });
  });
  const journal = await timed(SAMPLES, (i) => store.gatewayEvents(gws[i]!, 1 + Math.floor(rnd() * (perGateway - 100)), 100));
  await raw.end();

  // Ingest into the 10 M-event store, a line's mix: the ack path and the fold after it, beside a raw COPY of rows of
  // the same shape into the very partition they land in (its indexes already hold this month's share of the 10 M).
  const receivedMs = Date.now();
  const rawAt10M = await rawCopyRate(admin, `${schema}.${monthOf(receivedMs).name}`, 'BENCH-REF', keyed('R', toEntries(makeJournal('BENCH-REF', N_INGEST, N_INGEST / 5))), receivedMs);
  const mixed = keyed('H', toEntries(makeJournal('BENCH-10M', N_INGEST, N_INGEST / 5)));
  let t0 = performance.now();
  for (let i = 0; i < N_INGEST; i += BATCH) await store.ingest('BENCH-10M', mixed.slice(i, i + BATCH), { receivedMs });
  const ackAt10M = N_INGEST / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < N_INGEST; i += BATCH) await store.foldParcels(foldInputs(mixed.slice(i, i + BATCH), receivedMs));
  const foldAt10M = N_INGEST / ((performance.now() - t0) / 1000);
  await store.close();

  line('raw primary-key lookup, parcels (reference)', show(pk));
  line('parcel timeline: storage.parcelEvents', show(timeline), `${fmt(timeline.p99 / pk.p99, 1)}× raw at p99`);
  line('parcel page: getParcel + parcelEvents at once', show(detail));
  line('parcel list, newest first, 50', show(list));
  line('  … by state', show(byState));
  line('  … by station', show(byStation));
  line('  … by key prefix', show(byPrefix));
  line('  … by state, first page then the next (cursor)', show(page2));
  line("a gateway's journal page, 100 events (gatewayEvents)", show(journal));
  line('raw COPY into this month\'s partition at 10 M (reference)', `${fmt(rawAt10M)} rows/s`);
  line('ack path at 10 M events, five events per parcel', `${fmt(ackAt10M)} events/s`, `${fmt(ackAt10M / rawAt10M, 2)}× raw COPY`);
  line('parcel fold at 10 M events (2 M parcels), 1,000 a call', `${fmt(foldAt10M)} events/s`, `${fmt(foldAt10M / rawAt10M, 2)}× raw COPY`);
}

export async function benchPg(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  if (!(await admin.connect().then(() => true, () => false))) {
    line('PostgreSQL benchmarks', 'skipped', `PostgreSQL not reachable at ${PG_URL}`);
    return;
  }
  const schema = `bench_pg_${process.pid}`;
  try {
    if (!process.argv.includes('--queries-only')) await benchIngest(admin, schema);
    if (!process.argv.includes('--ingest-only')) await benchQueries(admin, schema);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_raw CASCADE; DROP SCHEMA IF EXISTS ${schema}_ingest CASCADE`);
    await admin.end();
  }
}
