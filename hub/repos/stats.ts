import { fromUnits, unitsAt, type Decimal } from '../../shared/decimal.ts';
import { lock, one, run, type Sql, type SqlParam } from '../storage/sql.ts';
import type { CaseQuery, CaseRecord, CaseRepo } from './cases.ts';

/**
 * The statistics read model (统计监测): customs cases rolled up per China-time day of declaration × supervision mode
 * × direction × e-commerce enterprise × status, with their count and declared value. A report over a year reads a few
 * thousand rollup rows instead of scanning a million cases.
 *
 * How it stays exact: every case's last contribution is kept (`stats_case`: its bucket, value and case version). A
 * case written again leaves its old bucket and joins its new one in one transaction, so a parcel moving from held to
 * released moves between buckets instead of being counted twice. Applying the same or an older case version again
 * changes nothing (idempotent; two writers finishing out of order cannot roll a case back). Values are kept in fen
 * (integers, BigInt in code and read back as text): adding and taking away floating yuan would drift, and a
 * decimal(19,5) value reaches 10^16 fen, past a double's exact integers.
 *
 * How it is fed: `trackCaseStats(cases, stats)` wraps the case repository, so every case write (engine decisions,
 * officer actions, gate passages — whoever calls `update`) records the result; `catchUp()` at start re-reads the cases
 * written recently (the window covers a crash between a case write and its rollup write) or, on first start, all of
 * them, page by page through the cases' `updated_ms` index.
 */

export interface StatsBucket {
  /** China-time day the case was created (YYYY-MM-DD). */
  day: string;
  tradeMode: string | null;
  direction: 'import' | 'export';
  ebcCode: string | null;
  status: string;
}

export const STATS_GROUPS = ['mode', 'day', 'enterprise', 'status', 'direction'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

export interface StatsQuery {
  /** Inclusive China-time days, YYYY-MM-DD. */
  from: string;
  to: string;
  groupBy: StatsGroup;
  tradeModes?: readonly string[];
  direction?: 'import' | 'export';
  ebcCode?: string;
}

export interface StatsRow {
  /** The group's value (a mode, a day, an enterprise code, a status); null when the cases have none (e.g. no mode). */
  key: string | null;
  cases: number;
  /** Exact decimal string (the sum of the cases' values, in yuan to the fen). */
  valueCny: Decimal;
  /** Cases whose value is not known (an export whose currency has no rate for its month): not in `valueCny`. */
  unvalued: number;
  byStatus: Record<string, number>;
}

export interface StatsRepo {
  migrate(): Promise<void>;
  /** Record a case as written (idempotent; older versions than the one recorded are ignored). */
  record(c: CaseRecord): Promise<void>;
  /** Rows of the grouping, biggest first (days in date order), with the totals over all of them. */
  query(q: StatsQuery): Promise<StatsRow[]>;
  /** Re-record cases written since the last recorded one (minus a safety window), or all of them on first start. */
  catchUp(cases: CaseRepo, opts?: { windowMs?: number; pageSize?: number }): Promise<number>;
}

const MIGRATIONS = [
  // Key columns are NOT NULL ('' for "none") so the primary key and the upsert's conflict target see one bucket.
  `CREATE TABLE stats_daily (
     day TEXT NOT NULL,
     trade_mode TEXT NOT NULL,
     direction TEXT NOT NULL,
     ebc_code TEXT NOT NULL,
     status TEXT NOT NULL,
     cases BIGINT NOT NULL,
     value_fen BIGINT NOT NULL,
     PRIMARY KEY (day, trade_mode, direction, ebc_code, status)
   )`,
  `CREATE TABLE stats_case (
     parcel_key TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     updated_ms BIGINT NOT NULL,
     day TEXT NOT NULL,
     trade_mode TEXT NOT NULL,
     direction TEXT NOT NULL,
     ebc_code TEXT NOT NULL,
     status TEXT NOT NULL,
     value_fen BIGINT NOT NULL
   )`,
  // catchUp reads the latest recorded write.
  'CREATE INDEX stats_case_updated ON stats_case (updated_ms)',
  // Cases with no value (no exchange rate): counted apart, so a report says "no rate" instead of ¥0 (issue 16 item 9).
  'ALTER TABLE stats_case ADD COLUMN unvalued INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE stats_daily ADD COLUMN unvalued BIGINT NOT NULL DEFAULT 0',
  // Exports recorded before had no value at all: they are the unvalued ones.
  "UPDATE stats_case SET unvalued = 1 WHERE direction = 'export' AND value_fen = 0",
  `UPDATE stats_daily SET unvalued = (SELECT COUNT(*) FROM stats_case s WHERE s.unvalued = 1 AND s.day = stats_daily.day AND s.trade_mode = stats_daily.trade_mode
     AND s.direction = stats_daily.direction AND s.ebc_code = stats_daily.ebc_code AND s.status = stats_daily.status)`,
];

const CHINA_OFFSET_MS = 8 * 3600_000;
/** The China-time (UTC+8, no daylight saving) calendar day of an instant. */
export const chinaDay = (ms: number): string => new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
/** The first instant of a China-time day. */
export const chinaDayStartMs = (day: string): number => Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS;

export function bucketOf(c: CaseRecord): StatsBucket {
  return { day: chinaDay(c.createdMs), tradeMode: c.tradeMode, direction: c.direction, ebcCode: c.ebcCode, status: c.status };
}
/** A case's value in fen, rounded half up, as a BigInt: a decimal(19,5) value is up to 10^16 fen, past 2^53. */
const toFen = (cny: Decimal | null): bigint => (cny === null ? 0n : unitsAt(cny, 2));
/** BIGINT sums read as text (CAST in the SQL): both ports would otherwise give a double past 2^53. */
const fenOf = (v: string | number | bigint): bigint => BigInt(v);

type ContributionRow = { version: number; day: string; trade_mode: string; direction: string; ebc_code: string; status: string; value_fen: string; unvalued: number };

const BUCKET = 'day = ? AND trade_mode = ? AND direction = ? AND ebc_code = ? AND status = ?';
const GROUP_COLUMN: Record<StatsGroup, string> = { mode: 'trade_mode', day: 'day', enterprise: 'ebc_code', status: 'status', direction: 'direction' };

export function openStatsRepo(sql: Sql): StatsRepo {
  const repo: StatsRepo = {
    migrate: () => sql.migrate('stats', MIGRATIONS),
    record(c) {
      const b = bucketOf(c);
      const key = [b.day, b.tradeMode ?? '', b.direction, b.ebcCode ?? '', b.status];
      const valueFen = toFen(c.valueCny);
      const unvalued = c.valueCny === null ? 1 : 0;
      return sql.tx(function* () {
        yield* lock(`stats:${c.parcelKey}`);
        const prior = yield* one<ContributionRow>('SELECT version, day, trade_mode, direction, ebc_code, status, CAST(value_fen AS TEXT) AS value_fen, unvalued FROM stats_case WHERE parcel_key = ?', [c.parcelKey]);
        if (prior && Number(prior.version) >= c.version) return;
        const leave = prior ? [prior.day, prior.trade_mode, prior.direction, prior.ebc_code, prior.status] : undefined;
        const same = leave !== undefined && leave.join('\u0000') === key.join('\u0000');
        if (!same || fenOf(prior!.value_fen) !== valueFen || Number(prior!.unvalued) !== unvalued) {
          // Two cases crossing between the same two buckets in opposite directions would deadlock on PostgreSQL if each
          // took its rows in its own order: touch the bucket rows in key order.
          const steps: { key: string[]; op: 'leave' | 'join' }[] = [{ key, op: 'join' }];
          if (leave) steps.push({ key: leave, op: 'leave' });
          steps.sort((x, y) => (x.key.join('\u0000') < y.key.join('\u0000') ? -1 : x.key.join('\u0000') > y.key.join('\u0000') ? 1 : x.op === 'leave' ? -1 : 1));
          for (const step of steps) {
            if (step.op === 'leave') yield* run(`UPDATE stats_daily SET cases = cases - 1, value_fen = value_fen - ?, unvalued = unvalued - ? WHERE ${BUCKET}`, [fenOf(prior!.value_fen), Number(prior!.unvalued), ...step.key]);
            else {
              yield* run(
                'INSERT INTO stats_daily (day, trade_mode, direction, ebc_code, status, cases, value_fen, unvalued) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (day, trade_mode, direction, ebc_code, status) DO UPDATE SET cases = stats_daily.cases + 1, value_fen = stats_daily.value_fen + excluded.value_fen, unvalued = stats_daily.unvalued + excluded.unvalued',
                [...key, valueFen, unvalued],
              );
            }
          }
        }
        yield* run(
          `INSERT INTO stats_case (parcel_key, version, updated_ms, day, trade_mode, direction, ebc_code, status, value_fen, unvalued) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (parcel_key) DO UPDATE SET version = excluded.version, updated_ms = excluded.updated_ms, day = excluded.day, trade_mode = excluded.trade_mode,
             direction = excluded.direction, ebc_code = excluded.ebc_code, status = excluded.status, value_fen = excluded.value_fen, unvalued = excluded.unvalued`,
          [c.parcelKey, c.version, c.updatedMs, ...key, valueFen, unvalued],
        );
      });
    },
    async query(q) {
      const where = ['day >= ?', 'day <= ?'];
      const params: SqlParam[] = [q.from, q.to];
      if (q.tradeModes?.length) {
        where.push(`trade_mode IN (${q.tradeModes.map(() => '?').join(', ')})`);
        params.push(...q.tradeModes);
      }
      if (q.direction) {
        where.push('direction = ?');
        params.push(q.direction);
      }
      if (q.ebcCode) {
        where.push('ebc_code = ?');
        params.push(q.ebcCode);
      }
      const col = GROUP_COLUMN[q.groupBy];
      // The day range leads the primary key: the read touches only the rollup rows of those days.
      const rows = await sql.all<{ k: string; status: string; cases: number; value_fen: string; unvalued: number }>(
        `SELECT ${col} AS k, status, SUM(cases) AS cases, CAST(SUM(value_fen) AS TEXT) AS value_fen, SUM(unvalued) AS unvalued FROM stats_daily WHERE ${where.join(' AND ')} GROUP BY ${col}, status`,
        params,
      );
      const groups = new Map<string, StatsRow & { fen: bigint }>();
      for (const r of rows) {
        const n = Number(r.cases);
        if (n === 0) continue; // a bucket every case has left
        let g = groups.get(r.k);
        if (!g) groups.set(r.k, (g = { key: r.k === '' ? null : r.k, cases: 0, valueCny: '0', unvalued: 0, byStatus: {}, fen: 0n }));
        g.cases += n;
        g.unvalued += Number(r.unvalued);
        g.fen += fenOf(r.value_fen);
        g.byStatus[r.status] = (g.byStatus[r.status] ?? 0) + n;
      }
      const out = [...groups.values()].map(({ fen, ...g }) => ({ ...g, valueCny: fromUnits(fen, 2) }));
      if (q.groupBy === 'day') return out.sort((a, b) => (a.key! < b.key! ? -1 : 1));
      return out.sort((a, b) => b.cases - a.cases || String(a.key).localeCompare(String(b.key)));
    },
    async catchUp(cases, opts = {}) {
      const windowMs = opts.windowMs ?? 10 * 60_000;
      const pageSize = opts.pageSize ?? 1000;
      const latest = await sql.all<{ m: number | null }>('SELECT MAX(updated_ms) AS m FROM stats_case');
      const sinceMs = latest[0]?.m == null ? 0 : Number(latest[0].m) - windowMs;
      let n = 0;
      let cursor: string | undefined;
      for (;;) {
        const q: CaseQuery = { updatedFromMs: sinceMs, limit: pageSize, ...(cursor ? { cursor } : {}) };
        const page = await cases.list(q);
        for (const c of page.items) await repo.record(c);
        n += page.items.length;
        if (!page.nextCursor) return n;
        cursor = page.nextCursor;
      }
    },
  };
  return repo;
}

/**
 * The case repository with every write also recorded in the statistics. A failed rollup write is logged by the caller
 * of `onError` and repaired by the next `catchUp`: the case write itself has already committed and must not fail.
 */
export function trackCaseStats(cases: CaseRepo, stats: StatsRepo, onError: (e: unknown, parcelKey: string) => void = () => undefined): CaseRepo {
  return {
    ...cases,
    async update(parcelKey, change, nowMs) {
      const stored = await cases.update(parcelKey, change, nowMs);
      if (stored) await stats.record(stored).catch((e: unknown) => onError(e, parcelKey));
      return stored;
    },
  };
}
