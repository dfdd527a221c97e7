import type { Logger } from 'pino';
import { all, lock, run, type Sql } from './sql.ts';
import type { Storage } from './storage.ts';

/**
 * The PostgreSQL `events` table is range-partitioned by the hub's receive time (`received_ms`), one partition per UTC
 * month. This module keeps partitions created ahead of time and drops those past the retention period.
 *
 * Why receive time and not the gateway's wall clock: the hub's clock is the one clock we trust (an edge may have run
 * unsynchronised for days, or replay a months-old backlog), so a partition bound on received_ms is never written into
 * after it falls behind the present, and "drop everything received before T" is a statement about what the hub knew.
 *
 * Why monthly and not daily, even at 10M+ events a day: the lookups the API makes do not carry a receive time — a
 * parcel's timeline (by parcel_key), a gateway's journal (by gateway_id, seq) — so they probe every partition's index.
 * With a retention of about four years, daily partitions would mean ~1,500 index descents per timeline query (and as
 * many relations to plan and lock); monthly ones ~50. A month at 10M events/day is ~300M rows, which a B-tree holds
 * at depth 4–5; the cost of the coarser grain is only that retention frees space a month at a time.
 *
 * Uniqueness of (gateway_id, seq): a unique index on a partitioned table must contain the partition key, so the
 * database cannot enforce it across partitions. Each partition carries its own UNIQUE (gateway_id, seq) index (which
 * is also the index the journal reads use), and ingest keeps it across partitions: it holds the gateway's row lock for
 * the whole transaction and looks up which of the batch's seqs are already stored, in every partition, before copying
 * the new ones in (postgres.ts). Ingest is the only writer of events.
 *
 * Pure planning (`planPartitions`) is apart from the SQL that applies it, and is table-tested.
 */

export const DAY_MS = 86_400_000;
/** Rows written before this module existed live in one partition with no lower bound. */
export const LEGACY_PARTITION = 'events_legacy';

export interface PartitionInfo {
  name: string;
  /** Inclusive lower bound (ms), or null for MINVALUE. */
  fromMs: number | null;
  /** Exclusive upper bound (ms), or null for MAXVALUE. */
  toMs: number | null;
}

export interface PartitionPolicy {
  /** Keep events received within this many days; older whole months are dropped. */
  retentionDays: number;
  /** Months created after the current one. */
  aheadMonths: number;
}

/** The UTC month that holds `ms`: its bounds and the partition's name. */
export function monthOf(ms: number): { name: string; fromMs: number; toMs: number } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { name: `events_y${String(y).padStart(4, '0')}m${String(m + 1).padStart(2, '0')}`, fromMs: Date.UTC(y, m, 1), toMs: Date.UTC(y, m + 1, 1) };
}

const overlaps = (p: PartitionInfo, fromMs: number, toMs: number) => (p.fromMs === null || p.fromMs < toMs) && (p.toMs === null || p.toMs > fromMs);

/**
 * What to create and what may be dropped. A partition is a drop candidate only when its whole range is older than the
 * retention cut-off (so retention never removes an event younger than `retentionDays`); whether a candidate still holds
 * data that is needed is checked against the database before it goes (`PartitionMaintenance.run`).
 */
export function planPartitions(nowMs: number, existing: readonly PartitionInfo[], policy: PartitionPolicy): { create: { name: string; fromMs: number; toMs: number }[]; dropCandidates: PartitionInfo[] } {
  const create: { name: string; fromMs: number; toMs: number }[] = [];
  let month = monthOf(nowMs);
  for (let i = 0; i <= policy.aheadMonths; i++) {
    const { fromMs, toMs } = month;
    if (!existing.some((p) => overlaps(p, fromMs, toMs))) create.push(month);
    month = monthOf(month.toMs);
  }
  const cutoffMs = nowMs - policy.retentionDays * DAY_MS;
  const dropCandidates = existing.filter((p) => p.toMs !== null && p.toMs <= cutoffMs).sort((a, b) => a.toMs! - b.toMs!);
  return { create, dropCandidates };
}

/** `FOR VALUES FROM ('1798761600000') TO ('1801440000000')`, as pg_get_expr prints a partition bound. */
export function parseBound(name: string, bound: string): PartitionInfo | undefined {
  const m = /FROM \((.+?)\) TO \((.+?)\)/.exec(bound);
  if (!m) return undefined;
  const value = (s: string) => (/^'?-?\d+'?$/.test(s) ? Number(s.replaceAll("'", '')) : null);
  return { name, fromMs: value(m[1]!), toMs: value(m[2]!) };
}

export async function listPartitions(sql: Sql): Promise<PartitionInfo[]> {
  const rows = await sql.all<{ name: string; bound: string }>(
    "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events')",
  );
  return rows.map((r) => parseBound(r.name, r.bound)).filter((p): p is PartitionInfo => p !== undefined);
}

/** Serialises every hub's partition DDL; the lock is per schema (search_path), since `lock` hashes the key only. */
const DDL_LOCK = 'bondgate:events-partitions';
// Creating or detaching a partition takes an ACCESS EXCLUSIVE lock on `events`. Behind a long report query that would
// queue every ingest behind it; better to give up and try again at the next run (partitions are made months ahead).
const DDL_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'";

function* createMonth(m: { name: string; fromMs: number; toMs: number }) {
  const taken = yield* all<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events') AND c.relname = ?",
    [m.name],
  );
  if (taken.length > 0) return false;
  // Names and bounds are made here from numbers, never from input: safe to splice.
  yield* run(`CREATE TABLE ${m.name} PARTITION OF events FOR VALUES FROM (${m.fromMs}) TO (${m.toMs})`);
  yield* run(`CREATE UNIQUE INDEX ${m.name}_gateway_seq ON ${m.name} (gateway_id, seq)`);
  return true;
}

/** Create the month partition that holds `receivedMs` if no partition covers it (ingest calls this when a row had nowhere to go). */
export async function ensurePartitionFor(sql: Sql, receivedMs: number): Promise<void> {
  const m = monthOf(receivedMs);
  await sql.tx(function* () {
    yield* lock(DDL_LOCK);
    yield* run(DDL_LOCK_TIMEOUT);
    // Already made by another hub, or covered in part by the legacy partition: nothing to do (a row that still has nowhere to go fails again).
    const parts = (yield* all<{ name: string; bound: string }>(
      "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('events')",
    ))
      .map((r) => parseBound(r.name, r.bound))
      .filter((p): p is PartitionInfo => p !== undefined);
    if (parts.some((p) => overlaps(p, m.fromMs, m.toMs))) return;
    yield* createMonth(m);
  });
}

export interface MaintenanceReport {
  created: string[];
  dropped: string[];
  /** Past retention but kept, with the reason. */
  kept: { name: string; reason: string }[];
}

/**
 * Creates partitions ahead and drops old ones. Run on start and hourly (`start()`); any hub may run it, they take turns
 * on an advisory lock. A partition past retention is kept while it still holds something needed:
 * - events above a gateway's acknowledged watermark (stored out of order, waiting for a gap to fill or be declared —
 *   the watermark reads them back and the hash chain is not yet checked through them);
 * - events a projection has not yet consumed (its cursor is older than the partition's end).
 */
export class PartitionMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly d: {
      sql: Sql;
      policy: PartitionPolicy;
      log?: Logger;
      /** When given, every dropped partition is written to the audit trail: it removes customs records. */
      storage?: Pick<Storage, 'appendAudit'>;
      now?: () => number;
    },
  ) {
    this.now = d.now ?? Date.now;
  }

  async run(): Promise<MaintenanceReport> {
    const report: MaintenanceReport = { created: [], dropped: [], kept: [] };
    if (this.d.sql.dialect !== 'postgres') return report; // SQLite keeps one table; its retention is the operator's.
    const nowMs = this.now();
    const plan = planPartitions(nowMs, await listPartitions(this.d.sql), this.d.policy);
    for (const m of plan.create) {
      const made = await this.d.sql.tx(function* () {
        yield* lock(DDL_LOCK);
        yield* run(DDL_LOCK_TIMEOUT);
        return yield* createMonth(m);
      });
      if (made) report.created.push(m.name);
    }
    const cursorsTable = (await this.d.sql.all<{ t: string | null }>("SELECT to_regclass('projection_cursors')::text AS t"))[0]?.t;
    for (const p of plan.dropCandidates) {
      const reason = await this.stillNeeded(p, cursorsTable !== null && cursorsTable !== undefined);
      if (reason) {
        report.kept.push({ name: p.name, reason });
        continue;
      }
      await this.d.sql.tx(function* () {
        yield* lock(DDL_LOCK);
        yield* run(DDL_LOCK_TIMEOUT);
        yield* run(`ALTER TABLE events DETACH PARTITION ${p.name}`);
        yield* run(`DROP TABLE ${p.name}`);
      });
      report.dropped.push(p.name);
      await this.d.storage?.appendAudit({ actor: 'system', action: 'events.partition.dropped', subject: p.name, detail: { fromMs: p.fromMs, toMs: p.toMs, retentionDays: this.d.policy.retentionDays } }, nowMs);
    }
    if (report.created.length + report.dropped.length + report.kept.length > 0) this.d.log?.info(report, 'event partitions maintained');
    for (const k of report.kept) this.d.log?.warn(k, 'event partition past retention kept');
    return report;
  }

  private async stillNeeded(p: PartitionInfo, hasCursors: boolean): Promise<string | undefined> {
    // One index probe per gateway on the partition's (gateway_id, seq) index.
    const unacked = await this.d.sql.all<{ id: string }>(`SELECT g.id FROM gateways g WHERE EXISTS (SELECT 1 FROM ${p.name} e WHERE e.gateway_id = g.id AND e.seq > g.acked_seq) LIMIT 1`);
    if (unacked.length > 0) return `holds events above the acknowledged watermark of gateway ${unacked[0]!.id}`;
    if (hasCursors && p.toMs !== null) {
      const behind = await this.d.sql.all<{ name: string }>('SELECT name FROM projection_cursors WHERE received_ms < ? LIMIT 1', [p.toMs]);
      if (behind.length > 0) return `projection ${behind[0]!.name} has not consumed it yet`;
    }
    return undefined;
  }

  /** Run now, then every `everyMs` (default hourly); failures are logged and retried at the next run. Call `stop()` on shutdown. */
  async start(everyMs = 3_600_000): Promise<MaintenanceReport | undefined> {
    // A failed run must not keep the hub from starting: migrate() made this month's partitions and ingest makes any
    // missing one on demand; retention can wait an hour.
    const first = await this.run().catch((e: Error) => void this.d.log?.error({ err: e.message }, 'event partition maintenance failed'));
    this.timer = setInterval(() => void this.run().catch((e: Error) => this.d.log?.error({ err: e.message }, 'event partition maintenance failed')), everyMs);
    this.timer.unref();
    return first;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
