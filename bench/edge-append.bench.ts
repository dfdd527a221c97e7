import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeJournal } from '../edge/journal.ts';
import { systemTimeSource } from '../edge/time-source.ts';
import type { NewEvent } from '../shared/schemas/events.ts';
import { fmt, latencySummary, line } from './stats.ts';

/**
 * Durable edge append (WAL + synchronous=FULL, i.e. fsync per commit) beside a raw better-sqlite3 loop with the
 * same pragmas and a row of the same size, measured in the same run on the same disk.
 */
const ROW = JSON.stringify({ pad: 'x'.repeat(420) }); // an event row is ~450 bytes of JSON

function rawDb(dir: string) {
  const db = new Database(join(dir, `raw-${Math.random()}.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, class INTEGER, wall_ms INTEGER, body TEXT)');
  return db;
}

const scan = (k: number): NewEvent => ({ type: 'parcel.scanned', stationId: 'BENCH-LINE', deviceId: 'scanner-1', parcelKey: `EA${String(k).padStart(8, '0')}5CN`, payload: { code: `EA${String(k).padStart(8, '0')}5CN`, symbology: 'code128', source: 'scanner' } });

export async function benchEdgeAppend(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-append-'));
  const time = systemTimeSource('assume-synced');
  const out: Record<string, number> = {};
  try {
    // Reference 1: raw single-row fsync'd commits.
    const N1 = 2000;
    const raw = rawDb(dir);
    const ins = raw.prepare('INSERT INTO t (seq, class, wall_ms, body) VALUES (?, 0, ?, ?)');
    const rawLat: number[] = [];
    let t0 = performance.now();
    for (let i = 1; i <= N1; i++) {
      const s = performance.now();
      ins.run(i, Date.now(), ROW);
      rawLat.push(performance.now() - s);
    }
    const rawRate = N1 / ((performance.now() - t0) / 1000);
    const rawS = latencySummary(rawLat);

    // Journal, one event per commit (sequential appendSync): same fsync count as the raw loop.
    const j1 = new EdgeJournal({ file: join(dir, 'j1.sqlite'), gatewayId: 'BENCH', time, quotaBytes: 8e9 });
    const jLat: number[] = [];
    t0 = performance.now();
    for (let i = 1; i <= N1; i++) {
      const s = performance.now();
      j1.appendSync(scan(i));
      jLat.push(performance.now() - s);
    }
    const jRate = N1 / ((performance.now() - t0) / 1000);
    const jS = latencySummary(jLat);
    j1.close();

    // Reference 2: raw batched inserts (1000 rows per fsync'd transaction).
    const N2 = 200_000;
    const raw2 = rawDb(dir);
    const ins2 = raw2.prepare('INSERT INTO t (seq, class, wall_ms, body) VALUES (?, 0, ?, ?)');
    const tx = raw2.transaction((from: number) => {
      for (let i = from; i < from + 1000; i++) ins2.run(i, Date.now(), ROW);
    });
    t0 = performance.now();
    for (let i = 1; i <= N2; i += 1000) tx(i);
    const rawBatchRate = N2 / ((performance.now() - t0) / 1000);

    // Journal under load: 256 concurrent producers awaiting each append (group commit).
    const j2 = new EdgeJournal({ file: join(dir, 'j2.sqlite'), gatewayId: 'BENCH', time, quotaBytes: 8e9 });
    const producers = 256;
    const perProducer = 800;
    const loadLat: number[] = [];
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) {
          const s = performance.now();
          await j2.append(scan(p * perProducer + i));
          loadLat.push(performance.now() - s);
        }
      }),
    );
    const loadRate = (producers * perProducer) / ((performance.now() - t0) / 1000);
    const loadS = latencySummary(loadLat);
    const perCommit = j2.stats.appended / j2.stats.commits;
    j2.close();
    raw.close();
    raw2.close();

    console.log('\n## Edge journal append (WAL, synchronous=FULL)');
    line('raw better-sqlite3, 1 row per fsync commit', `${fmt(rawRate)} rows/s`, `p50 ${fmt(rawS.p50, 2)} ms  p99 ${fmt(rawS.p99, 2)} ms`);
    line('journal appendSync, 1 event per commit', `${fmt(jRate)} events/s`, `p50 ${fmt(jS.p50, 2)} ms  p99 ${fmt(jS.p99, 2)} ms  (p99 ${fmt(jS.p99 / rawS.p99, 2)}× raw)`);
    line('raw better-sqlite3, 1000 rows per fsync commit', `${fmt(rawBatchRate)} rows/s`);
    line(`journal append, ${producers} concurrent producers (group commit)`, `${fmt(loadRate)} events/s`, `${fmt(loadRate / rawBatchRate, 2)}× raw batched; p50 ${fmt(loadS.p50, 2)} ms  p99 ${fmt(loadS.p99, 2)} ms; ${fmt(perCommit, 0)} events/commit`);
    Object.assign(out, { rawRate, rawP99: rawS.p99, jRate, jP99: jS.p99, rawBatchRate, loadRate, loadP99: loadS.p99 });
  } finally {
    time.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
