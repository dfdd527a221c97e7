import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable, requireService } from '../../test/helpers/services.ts';
import { Projections } from '../services/projections.ts';
import { JournalBuilder, scan, weigh } from './fixtures.ts';
import { DAY_MS, monthOf, parseBound, PartitionMaintenance, planPartitions, type PartitionInfo } from './pg-maintenance.ts';
import { MIGRATIONS, openPostgresStorage } from './postgres.ts';
import { foldInputs } from './sql-common.ts';
import { run } from './sql.ts';
import type { Storage } from './storage.ts';

const utc = (y: number, m: number, d = 1) => Date.UTC(y, m - 1, d);
const month = (y: number, m: number): PartitionInfo => ({ name: monthOf(utc(y, m)).name, fromMs: utc(y, m), toMs: utc(y, m + 1) });

describe('event partition planning (pure)', () => {
  it('names months in UTC and rolls December into January', () => {
    expect(monthOf(utc(2030, 12, 31) + DAY_MS - 1)).toEqual({ name: 'events_y2030m12', fromMs: utc(2030, 12), toMs: utc(2031, 1) });
    // 2030-02-28T23:30 in UTC is already March in China: bounds are UTC, whatever the hub's zone.
    expect(monthOf(Date.UTC(2030, 1, 28, 23, 30)).name).toBe('events_y2030m02');
  });

  it('reads the bounds PostgreSQL prints, including MINVALUE', () => {
    expect(parseBound('events_y2030m01', "FOR VALUES FROM ('1893456000000') TO ('1896134400000')")).toEqual({ name: 'events_y2030m01', fromMs: 1893456000000, toMs: 1896134400000 });
    expect(parseBound('events_legacy', "FOR VALUES FROM (MINVALUE) TO ('1893456000000')")).toEqual({ name: 'events_legacy', fromMs: null, toMs: 1893456000000 });
    expect(parseBound('odd', 'DEFAULT')).toBeUndefined();
  });

  const policy = { retentionDays: 400, aheadMonths: 2 };
  const now = Date.UTC(2030, 5, 15, 12); // 15 June 2030
  it.each<[string, PartitionInfo[], string[], string[]]>([
    ['empty store: this month and two ahead', [], ['events_y2030m06', 'events_y2030m07', 'events_y2030m08'], []],
    ['only what is missing', [month(2030, 6), month(2030, 8)], ['events_y2030m07'], []],
    ['a legacy partition covering up to July: nothing before it', [{ name: 'events_legacy', fromMs: null, toMs: utc(2030, 7) }], ['events_y2030m07', 'events_y2030m08'], []],
    // Cut-off: 400 days before 15 June 2030 = 11 May 2029. April 2029 ends before it; May 2029 straddles it and stays.
    ['drops only months wholly past retention, oldest first', [month(2029, 5), month(2029, 4), month(2029, 3), month(2030, 6), month(2030, 7), month(2030, 8)], [], ['events_y2029m03', 'events_y2029m04']],
    ['a legacy partition goes once its newest possible row is past retention', [{ name: 'events_legacy', fromMs: null, toMs: utc(2029, 5) }], ['events_y2030m06', 'events_y2030m07', 'events_y2030m08'], ['events_legacy']],
  ])('%s', (_title, existing, create, drop) => {
    const plan = planPartitions(now, existing, policy);
    expect(plan.create.map((c) => c.name)).toEqual(create);
    expect(plan.dropCandidates.map((c) => c.name)).toEqual(drop);
  });

  it('keeps a month until the day its last millisecond is older than the retention period', () => {
    const may = [month(2029, 5)];
    const lastKeptDay = utc(2029, 6) + 400 * DAY_MS - 1;
    expect(planPartitions(lastKeptDay, may, policy).dropCandidates).toEqual([]);
    expect(planPartitions(lastKeptDay + 1, may, policy).dropCandidates.map((p) => p.name)).toEqual(['events_y2029m05']);
  });
});

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgUp = requireService('PostgreSQL', await postgresAvailable(url));

describe.skipIf(!pgUp)('event partitions on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: url });
  const schemas: string[] = [];
  const stores: Storage[] = [];
  let connected = false;
  const fresh = async (): Promise<{ store: Storage; schema: string }> => {
    if (!connected) {
      await admin.connect();
      connected = true;
    }
    const schema = `t_part_${process.pid}_${schemas.length}_${Date.now() % 1e6}`;
    schemas.push(schema);
    const store = await openPostgresStorage({ url, schema });
    stores.push(store);
    return { store, schema };
  };
  const q = async <T extends pg.QueryResultRow>(schema: string, sql: string, values: unknown[] = []) => {
    await admin.query(`SET search_path = ${schema}`);
    return (await admin.query<T>(sql, values)).rows;
  };
  /** Which partition each stored seq of a gateway sits in. */
  const placement = async (schema: string, gw: string) =>
    Object.fromEntries((await q<{ seq: string; part: string }>(schema, 'SELECT seq, tableoid::regclass::text AS part FROM events WHERE gateway_id = $1 ORDER BY seq', [gw])).map((r) => [Number(r.seq), r.part]));
  afterAll(async () => {
    for (const s of stores) await s.close();
    if (connected) {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
    }
  });

  it('upgrades a store that already holds events: the old table becomes a partition, nothing is lost, old seqs stay unique', async () => {
    const { store, schema } = await fresh();
    // The store as it was before partitioning: steps 1–4, the projections' index, and a gateway's first five events.
    await q(schema, 'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)');
    for (const [i, step] of MIGRATIONS.slice(0, 4).entries()) {
      await q(schema, step);
      await q(schema, 'INSERT INTO schema_migrations VALUES ($1, 0)', [i + 1]);
    }
    await q(schema, 'CREATE INDEX events_received ON events (received_ms)');
    const j = new JournalBuilder('GW-OLD');
    const old = j.many(5, (i) => scan(`OLD-${i}`));
    const oldReceived = utc(2025, 3, 10);
    await q(
      schema,
      `INSERT INTO events (gateway_id, seq, event_id, type, parcel_key, station_id, wall_ms, hlc, received_ms, status, prev_hash, hash, body)
       SELECT 'GW-OLD', u.seq, u.id, u.type, u.pk, u.st, u.wall, u.hlc, $1, 'ok', u.prev, u.hash, u.body::jsonb
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[]) AS u(seq, id, type, pk, st, wall, hlc, prev, hash, body)`,
      [oldReceived, old.map((e) => e.seq), old.map((e) => e.id), old.map((e) => e.type), old.map((e) => e.parcelKey), old.map((e) => e.stationId), old.map((e) => e.wallMs), old.map((e) => e.hlc), old.map((e) => e.prevHash), old.map((e) => e.hash), old.map((e) => e.rawJson)],
    );
    await q(schema, "INSERT INTO gateways (id, acked_seq, head_hash, created_ms) VALUES ('GW-OLD', 5, $1, 0)", [old[4]!.hash]);

    await store.migrate();
    await store.migrate(); // idempotent

    const kind = await q<{ relkind: string }>(schema, "SELECT relkind FROM pg_class WHERE oid = to_regclass('events')");
    expect(kind[0]!.relkind).toBe('p');
    const parts = await q<{ name: string; bound: string }>(schema, "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events') AND c.relname = 'events_legacy'");
    // Up to the end of the current month (the newest old row is older than now).
    expect(parseBound(parts[0]!.name, parts[0]!.bound)).toEqual({ name: 'events_legacy', fromMs: null, toMs: monthOf(Date.now()).toMs });
    // The parent's indexes adopted the old ones (the projections' catch-up index included) rather than losing them.
    const idx = await q<{ name: string }>(schema, "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = to_regclass('events') ORDER BY 1");
    expect(idx.map((r) => r.name)).toEqual(['events_parcel', 'events_received']);
    expect(await store.countEvents('GW-OLD')).toBe(5);
    expect((await store.parcelEvents('OLD-3', 10)).map((e) => e.seq)).toEqual([4]);

    // A redelivery of the old run plus two new events, received two years later: the old seqs are in another partition, and still refused.
    const later = utc(2027, 2, 1);
    const r = await store.ingest('GW-OLD', [...old, ...j.many(2, (i) => scan(`NEW-${i}`))], { receivedMs: later });
    expect(r).toMatchObject({ inserted: 2, duplicates: 5, ackedSeq: 7, alerts: [] });
    expect(await placement(schema, 'GW-OLD')).toEqual({ 1: 'events_legacy', 2: 'events_legacy', 3: 'events_legacy', 4: 'events_legacy', 5: 'events_legacy', 6: 'events_y2027m02', 7: 'events_y2027m02' });
  });

  it('never stores a (gateway, seq) twice across partitions, even when concurrent redeliveries land in different months', async () => {
    const { store, schema } = await fresh();
    await store.migrate();
    const j = new JournalBuilder('GW-DUP');
    const batch = j.many(20, (i) => weigh(`DUP-${i % 4}`, 1 + i));
    expect(await store.ingest('GW-DUP', batch.slice(0, 5), { receivedMs: utc(2031, 1, 5) })).toMatchObject({ inserted: 5, ackedSeq: 5 });
    // Four hubs handed the same overlapping batches at once, each with its own receive time in a different month.
    const results = await Promise.all([2, 3, 4, 5].map((m) => store.ingest('GW-DUP', batch, { receivedMs: utc(2031, m, 5) })));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(15);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(4 * 20 - 15);
    expect(await store.countEvents('GW-DUP')).toBe(20);
    const where = await placement(schema, 'GW-DUP');
    expect(Object.keys(where).map(Number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(where[1]).toBe('events_y2031m01');
    // Each hub's parcel projection folds what it was handed, all at once: every event counts once, whoever folds it how often.
    await Promise.all([1, 2, 3, 4, 5].map((m) => store.foldParcels(foldInputs(m === 1 ? batch.slice(0, 5) : batch, utc(2031, m, 5)))));
    expect((await store.getParcel('DUP-0'))?.eventCount).toBe(5);
    // Inside one partition the database itself refuses a duplicate.
    await expect(q(schema, "INSERT INTO events SELECT * FROM events WHERE gateway_id = 'GW-DUP' AND seq = 1")).rejects.toThrow(/duplicate key/);
  });

  it('creates partitions ahead and drops, beyond retention only, those holding nothing still needed', async () => {
    const { store, schema } = await fresh();
    await store.migrate();
    // The projections module adds its catch-up index on the partitioned table and its cursor table.
    await new Projections({ sql: store.sql, projections: [], log: pino({ level: 'silent' }) }).migrate();
    const now = Date.UTC(2034, 5, 15); // 15 June 2034; 400 days' retention → cut-off 11 May 2033
    const maintenance = new PartitionMaintenance({ sql: store.sql, policy: { retentionDays: 400, aheadMonths: 2 }, storage: store, now: () => now });

    const a = new JournalBuilder('GW-A');
    await store.ingest('GW-A', a.many(3, (i) => scan(`A-${i}`)), { receivedMs: utc(2033, 1, 20) }); // acked: may go
    await store.ingest('GW-A', a.many(3, (i) => scan(`A2-${i}`)), { receivedMs: utc(2033, 5, 20) }); // straddles the cut-off: stays
    const b = new JournalBuilder('GW-B');
    const bEntries = b.many(3, (i) => scan(`B-${i}`));
    const stuck = await store.ingest('GW-B', [bEntries[2]!], { receivedMs: utc(2033, 2, 20) }); // seq 3 without 1–2: above the watermark
    expect(stuck.ackedSeq).toBe(0);
    await store.sql.tx(function* () {
      yield* run('INSERT INTO projection_cursors (name, received_ms) VALUES (?, ?)', ['slow', utc(2033, 3, 10)]);
    });
    const c = new JournalBuilder('GW-C');
    await store.ingest('GW-C', c.many(2, (i) => scan(`C-${i}`)), { receivedMs: utc(2033, 3, 20) }); // acked, but the 'slow' projection has not read it

    const first = await maintenance.run();
    expect(first.created).toEqual(['events_y2034m06', 'events_y2034m07', 'events_y2034m08']);
    // migrate() made this (real) month and two ahead: empty, and years past retention at this test's `now`.
    const madeAtStart = [0, 1, 2].reduce<{ name: string; toMs: number }[]>((acc) => [...acc, monthOf(acc.length ? acc[acc.length - 1]!.toMs : Date.now())], []).map((m) => m.name);
    expect(first.dropped).toEqual([...madeAtStart, 'events_y2033m01']);
    expect(first.kept).toEqual([
      { name: 'events_y2033m02', reason: 'holds events above the acknowledged watermark of gateway GW-B' },
      { name: 'events_y2033m03', reason: 'projection slow has not consumed it yet' },
    ]);
    expect(await store.countEvents('GW-A')).toBe(3);
    // New partitions have the unique and parent indexes, so they serve the same queries.
    const idx = (await q<{ def: string }>(schema, "SELECT indexdef AS def FROM pg_indexes WHERE tablename = 'events_y2034m07'")).sort((x, y) => (x.def < y.def ? -1 : 1));
    expect(idx.map((r) => r.def.replace(/ ON \S+/, ' ON p'))).toEqual([
      'CREATE INDEX events_y2034m07_parcel_key_hlc_idx ON p USING btree (parcel_key, hlc) WHERE (parcel_key IS NOT NULL)',
      'CREATE INDEX events_y2034m07_received_ms_idx ON p USING btree (received_ms)',
      'CREATE UNIQUE INDEX events_y2034m07_gateway_seq ON p USING btree (gateway_id, seq)',
    ]);

    // The gap fills and the projection catches up: both go at the next run, and each drop is in the audit trail.
    await store.ingest('GW-B', bEntries.slice(0, 2), { receivedMs: now });
    await store.sql.tx(function* () {
      yield* run('UPDATE projection_cursors SET received_ms = ?', [now]);
    });
    const second = await maintenance.run();
    expect(second).toEqual({ created: [], dropped: ['events_y2033m02', 'events_y2033m03'], kept: [] });
    expect(await store.countEvents()).toBe(3 + 2); // GW-A's May events and GW-B's refill
    const audit = await store.auditRange(1, 20);
    expect(audit.filter((e) => e.subject.startsWith('events_y2033')).map((e) => [e.action, e.subject])).toEqual([
      ['events.partition.dropped', 'events_y2033m01'],
      ['events.partition.dropped', 'events_y2033m02'],
      ['events.partition.dropped', 'events_y2033m03'],
    ]);
  });
});
