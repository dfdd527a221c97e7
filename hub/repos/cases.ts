import { z } from 'zod';
import type { ListState } from '../customs/receipt-status.ts';
import { decimalFromNumber, parseDecimal, sub, sum, type Decimal } from '../../shared/decimal.ts';
import { remaskReason } from '../customs/remask-reasons.ts';
import { all, lock, one, run, type Migration, type Sql, type SqlBody, type SqlParam } from '../storage/sql.ts';

/**
 * Customs cases: one per parcel, the hub's record of where the parcel stands with customs — the engine's latest
 * decision (matching + risk + receipts), the officer's actions on top of it, and what the buyer's annual total needs.
 * The pure transitions live in hub/customs/cases.ts; this is the repository (SQLite and PostgreSQL through the SQL port).
 */
/**
 * `awaiting_release`: nothing stops the parcel on the zone's side, but customs has not released its list (399 审结
 * concluded, or an inspection passed): it waits for the 800. `cancelled`: customs accepted the list's cancellation
 * (CEB624/606 399).
 */
export const CaseStatus = z.enum(['pending', 'awaiting_release', 'released', 'held', 'inspection', 'seized', 'returned', 'destroyed', 'cancelled']);
export type CaseStatus = z.infer<typeof CaseStatus>;
/** A case in one of these states is settled: nothing changes it any more. */
export const FINAL_STATUSES: ReadonlySet<CaseStatus> = new Set(['seized', 'returned', 'destroyed', 'cancelled']);

/** An inspection result, as a finding on the case: what, who, where, when (and the list receipt it answered). */
export const InspectionFinding = z.object({
  result: z.enum(['pass', 'seize', 'return', 'destroy']),
  by: z.string(),
  where: z.string().nullable(),
  atMs: z.number(),
  reason: z.string(),
  /** The list's latest receipt time when the finding was recorded: a 500 stamped later is a new inspection order. */
  afterReceipt: z.string().nullable(),
});
export type InspectionFinding = z.infer<typeof InspectionFinding>;

/** An officer's note on the case: changes nothing, kept for whoever decides next. */
export const CaseNote = z.object({ by: z.string(), atMs: z.number(), text: z.string() });
export type CaseNote = z.infer<typeof CaseNote>;

/**
 * A release by an officer under `customs.releaseAuthority: officer` (the zone's bench is customs' system of record):
 * who, why, when; `alarmedMs` once the missing 800 was alarmed.
 */
export const OfficerRelease = z.object({ by: z.string(), reason: z.string(), atMs: z.number(), alarmedMs: z.number().nullable() });
export type OfficerRelease = z.infer<typeof OfficerRelease>;

/**
 * Why a case is where it is: the rule, its English text (API clients, old readers) and, since issue 17, the code with
 * parameters screens render in the reader's language (shared/reason-codes.ts). Reasons stored without a code are
 * shown as their text.
 */
export const CaseReason = z.object({ rule: z.string(), message: z.string(), code: z.string().optional(), params: z.record(z.string(), z.unknown()).optional() });
export type CaseReason = z.infer<typeof CaseReason>;

/**
 * What an edge inspection bench found (an `officer.action` from a bench the hub is configured with): kept on the case
 * for the officer who decides, never a decision itself. `operator` is who pressed the button at the console, as the
 * gateway claims; `officer` is named only when the bench token checked out at the hub (shared/bench-token.ts).
 */
export const BenchFinding = z.object({
  eventId: z.string(),
  atMs: z.number(),
  gatewayId: z.string(),
  stationId: z.string(),
  finding: z.enum(['release', 'hold', 'inspect', 'pass', 'seize', 'return', 'destroy']),
  reason: z.string(),
  operator: z.string(),
  officer: z.string().nullable(),
  officerVerified: z.boolean(),
  /** Why the bench token did not check out (absent when verified or when none was sent). */
  tokenProblem: z.string().optional(),
});
export type BenchFinding = z.infer<typeof BenchFinding>;
/** The case keeps its latest findings only: an officer reads a handful, and a flood from one bench cannot grow a row. */
export const MAX_BENCH_FINDINGS = 20;

export interface CaseRecord {
  parcelKey: string;
  orderNo: string;
  direction: 'import' | 'export';
  tradeMode: string | null;
  status: CaseStatus;
  /** 'auto' (the engine) or the officer's user name. */
  decidedBy: string;
  /** What the engine (matching + risk + receipts) said last, whatever the officer did. */
  engineDecision: 'released' | 'hold' | 'inspect' | 'pending';
  riskLevel: 'low' | 'medium' | 'high';
  rulesVersion: string;
  reasons: CaseReason[];
  matchComplete: boolean;
  matchConsistent: boolean;
  /** The list's latest customs returnStatus; null before any receipt. */
  customsStatus: number | null;
  /** An officer's hold sticks until an officer lifts it; the engine cannot release over it. */
  officerHold: boolean;
  inspectionResult: 'pass' | 'seize' | 'return' | 'destroy' | null;
  /** Findings recorded at edge benches, newest last (absent: none yet). */
  benchFindings?: BenchFinding[];
  /** What customs said about the list, from its receipts (hub/customs/receipt-status.ts); absent on cases stored before it. */
  listState?: ListState;
  /** Inspection results recorded by officers at the hub, oldest first. */
  findings?: InspectionFinding[];
  notes?: CaseNote[];
  /** Set when an officer released under `officer` authority; cleared when customs' 800 confirms it or the case moves on. */
  officerRelease?: OfficerRelease | null;
  /** SHA-256 of the normalised buyer ID number (the annual total's key; no PII stored here). */
  buyerKey: string | null;
  /** Masked buyer ID, for screens. */
  buyerIdMasked: string | null;
  /** The transaction's dutiable value, an exact decimal string (shared/decimal.ts). */
  valueCny: Decimal | null;
  /** Calendar year of the declaration (Asia/Shanghai), for the annual total. */
  year: number;
  ebcCode: string | null;
  declaredWeightKg: number | null;
  createdMs: number;
  updatedMs: number;
  /** Bumped on every write: optimistic concurrency for officer actions. */
  version: number;
  /**
   * Orders claiming this parcel when more than one does (issue 15 item 6; `orderNo` is the one the case had first):
   * while it stands the case is held and cannot be released. Absent or null: no conflict.
   */
  orderConflict?: OrderConflict | null;
  /** Orders an officer ruled out for this parcel: their documents no longer touch the case. */
  dismissedOrders?: string[];
}

export interface OrderConflict {
  orderNos: string[];
  raisedMs: number;
}

export interface CaseQuery {
  status?: CaseStatus[];
  riskLevel?: ('low' | 'medium' | 'high')[];
  orderNo?: string;
  /** Prefix match on the parcel key. */
  keyPrefix?: string;
  /** Cases with this reason rule (e.g. `risk:xray.suspect`). */
  rule?: string;
  ebcCode?: string;
  updatedFromMs?: number;
  updatedToMs?: number;
  limit: number;
  /** Opaque cursor from the previous page (newest first). */
  cursor?: string;
}

export interface CaseRepo {
  migrate(): Promise<void>;
  get(parcelKey: string): Promise<CaseRecord | undefined>;
  getMany(parcelKeys: readonly string[]): Promise<CaseRecord[]>;
  byOrder(orderNo: string): Promise<CaseRecord[]>;
  /** Newest first, keyset-paginated. */
  list(q: CaseQuery): Promise<{ items: CaseRecord[]; nextCursor: string | null }>;
  /**
   * Read-modify-write one case under a per-parcel lock: `change(current)` returns the next record, or null to leave it.
   * `version` and `updatedMs` are set here. Returns the stored record (the current one when nothing changed).
   */
  update(parcelKey: string, change: (current: CaseRecord | undefined) => CaseRecord | null, nowMs: number): Promise<CaseRecord | undefined>;
  /** The buyer's declared import value in a year, leaving out one parcel and cases whose goods did not go to the buyer. */
  /**
   * The buyer's imports this year that customs released (the list's receipt 800, or 899 after it), less what approved
   * returns took back (`setReturnedCny`), leaving out one parcel (the one being decided). Exact.
   */
  buyerYearTotal(buyerKey: string, year: number, exceptParcelKey: string): Promise<Decimal>;
  /** The value approved returns (625 → 626 approved) took back from this parcel's list; 0 when none. */
  setReturnedCny(parcelKey: string, returnedCny: number): Promise<void>;
  countByStatus(): Promise<Partial<Record<CaseStatus, number>>>;
  /** The officers' queue (pending, held, inspection): how many of each, and the case unchanged for longest. */
  queueSummary(): Promise<QueueSummary>;
}

export const QUEUE_STATUSES = ['pending', 'held', 'inspection'] as const satisfies readonly CaseStatus[];
export interface QueueSummary {
  byStatus: Record<(typeof QUEUE_STATUSES)[number], number>;
  /** Waiting since its last change (updated_ms: the index's order; a receipt or an officer's action restarts it). */
  oldest: { parcelKey: string; status: (typeof QUEUE_STATUSES)[number]; sinceMs: number } | null;
}

/** Exported for the migration test (a store as an older hub left it). */
export const CASE_MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE customs_cases (
     parcel_key TEXT PRIMARY KEY,
     order_no TEXT NOT NULL,
     direction TEXT NOT NULL,
     trade_mode TEXT,
     status TEXT NOT NULL,
     decided_by TEXT NOT NULL,
     engine_decision TEXT NOT NULL,
     risk_level TEXT NOT NULL,
     rules_version TEXT NOT NULL,
     reasons TEXT NOT NULL,
     match_complete INTEGER NOT NULL,
     match_consistent INTEGER NOT NULL,
     customs_status INTEGER,
     officer_hold INTEGER NOT NULL,
     inspection_result TEXT,
     buyer_key TEXT,
     buyer_id_masked TEXT,
     value_cny DOUBLE PRECISION,
     year INTEGER NOT NULL,
     ebc_code TEXT,
     declared_weight_kg DOUBLE PRECISION,
     created_ms BIGINT NOT NULL,
     updated_ms BIGINT NOT NULL,
     version INTEGER NOT NULL
   )`,
  'CREATE INDEX customs_cases_queue ON customs_cases (status, updated_ms DESC, parcel_key DESC)',
  'CREATE INDEX customs_cases_updated ON customs_cases (updated_ms DESC, parcel_key DESC)',
  'CREATE INDEX customs_cases_order ON customs_cases (order_no)',
  'CREATE INDEX customs_cases_buyer ON customs_cases (buyer_key, year)',
  "ALTER TABLE customs_cases ADD COLUMN bench_findings TEXT NOT NULL DEFAULT '[]'",
  // Reasons stored before names and addresses were masked in them: re-masked once (hub/customs/remask-reasons.ts).
  { data: remaskStoredReasons },
  // The list's receipt state, inspection findings, notes and an officer's release (JSON: read and written whole with the case).
  "ALTER TABLE customs_cases ADD COLUMN case_facts TEXT NOT NULL DEFAULT '{}'",
  // Approved returns' value, out of the buyer's annual total (issue 16 item 7); written by the returns service only.
  'ALTER TABLE customs_cases ADD COLUMN returned_cny DOUBLE PRECISION NOT NULL DEFAULT 0',
  // Values exact (issue 15: decimal(19,5) has more digits than a double): NUMERIC on PostgreSQL; on SQLite a TEXT
  // column of canonical decimal strings (a REAL-affinity column would turn the text back into a double).
  {
    sqlite: `ALTER TABLE customs_cases ADD COLUMN value_cny_text TEXT;
      UPDATE customs_cases SET value_cny_text = CAST(value_cny AS TEXT) WHERE value_cny IS NOT NULL;
      ALTER TABLE customs_cases DROP COLUMN value_cny;
      ALTER TABLE customs_cases RENAME COLUMN value_cny_text TO value_cny`,
    postgres: 'ALTER TABLE customs_cases ALTER COLUMN value_cny TYPE NUMERIC USING value_cny::numeric',
  },
  // Order conflicts (issue 15 item 6): JSON, null when none; the orders an officer dismissed.
  'ALTER TABLE customs_cases ADD COLUMN order_conflict TEXT',
  "ALTER TABLE customs_cases ADD COLUMN dismissed_orders TEXT NOT NULL DEFAULT '[]'",
];

/** Every case's reasons through remaskReason, a page at a time; only rows that change are written. */
function* remaskStoredReasons(): SqlBody<void> {
  let after = '';
  for (;;) {
    const page = yield* all<{ parcel_key: string; reasons: string }>('SELECT parcel_key, reasons FROM customs_cases WHERE parcel_key > ? ORDER BY parcel_key LIMIT 1000', [after]);
    for (const row of page) {
      const reasons = JSON.parse(row.reasons) as CaseReason[];
      const masked = reasons.map(remaskReason);
      if (masked.some((r, i) => r !== reasons[i])) yield* run('UPDATE customs_cases SET reasons = ? WHERE parcel_key = ?', [JSON.stringify(masked), row.parcel_key]);
    }
    if (page.length < 1000) return;
    after = page[page.length - 1]!.parcel_key;
  }
}

type Row = {
  parcel_key: string;
  order_no: string;
  direction: string;
  trade_mode: string | null;
  status: string;
  decided_by: string;
  engine_decision: string;
  risk_level: string;
  rules_version: string;
  reasons: string;
  match_complete: number;
  match_consistent: number;
  customs_status: number | null;
  officer_hold: number;
  inspection_result: string | null;
  buyer_key: string | null;
  buyer_id_masked: string | null;
  value_cny: string | number | null;
  year: number;
  ebc_code: string | null;
  declared_weight_kg: number | null;
  created_ms: number;
  updated_ms: number;
  version: number;
  bench_findings: string;
  case_facts: string;
  order_conflict: string | null;
  dismissed_orders: string;
};

interface CaseFacts {
  listState?: ListState;
  findings?: InspectionFinding[];
  notes?: CaseNote[];
  officerRelease?: OfficerRelease | null;
}
const factsOf = (raw: string | undefined): CaseFacts => JSON.parse(raw ?? '{}') as CaseFacts;
const factsJson = (c: CaseRecord): string =>
  JSON.stringify({ ...(c.listState ? { listState: c.listState } : {}), findings: c.findings ?? [], notes: c.notes ?? [], officerRelease: c.officerRelease ?? null } satisfies CaseFacts);

const fromRow = (r: Row): CaseRecord => ({
  parcelKey: r.parcel_key,
  orderNo: r.order_no,
  direction: r.direction as CaseRecord['direction'],
  tradeMode: r.trade_mode,
  status: r.status as CaseStatus,
  decidedBy: r.decided_by,
  engineDecision: r.engine_decision as CaseRecord['engineDecision'],
  riskLevel: r.risk_level as CaseRecord['riskLevel'],
  rulesVersion: r.rules_version,
  reasons: JSON.parse(r.reasons) as CaseReason[],
  matchComplete: Number(r.match_complete) === 1,
  matchConsistent: Number(r.match_consistent) === 1,
  customsStatus: r.customs_status === null ? null : Number(r.customs_status),
  officerHold: Number(r.officer_hold) === 1,
  inspectionResult: r.inspection_result as CaseRecord['inspectionResult'],
  buyerKey: r.buyer_key,
  buyerIdMasked: r.buyer_id_masked,
  valueCny: r.value_cny === null ? null : canonicalValue(r.value_cny),
  year: Number(r.year),
  ebcCode: r.ebc_code,
  declaredWeightKg: r.declared_weight_kg === null ? null : Number(r.declared_weight_kg),
  createdMs: Number(r.created_ms),
  updatedMs: Number(r.updated_ms),
  version: Number(r.version),
  benchFindings: JSON.parse(r.bench_findings ?? '[]') as BenchFinding[],
  ...(() => {
    const f = factsOf(r.case_facts);
    return { ...(f.listState ? { listState: f.listState } : {}), findings: f.findings ?? [], notes: f.notes ?? [], officerRelease: f.officerRelease ?? null };
  })(),
  orderConflict: r.order_conflict ? (JSON.parse(r.order_conflict) as OrderConflict) : null,
  dismissedOrders: JSON.parse(r.dismissed_orders ?? '[]') as string[],
});

/** A stored value → canonical decimal: TEXT as stored, NUMERIC read as text; a legacy double through its shortest form. */
function canonicalValue(v: string | number): Decimal {
  const d = typeof v === 'number' ? decimalFromNumber(v) : parseDecimal(v);
  if (d === undefined) throw new RangeError(`customs_cases.value_cny holds ${JSON.stringify(v)}, not a decimal`);
  return d;
}

const COLUMNS = 'parcel_key, order_no, direction, trade_mode, status, decided_by, engine_decision, risk_level, rules_version, reasons, match_complete, match_consistent, customs_status, officer_hold, inspection_result, buyer_key, buyer_id_masked, value_cny, year, ebc_code, declared_weight_kg, created_ms, updated_ms, version, bench_findings, case_facts, order_conflict, dismissed_orders';
/** value_cny read as text: PostgreSQL's NUMERIC would otherwise come back through the port's Number parser (sql.ts). */
const VALUE_TEXT = 'CAST(value_cny AS TEXT)';
const SELECT_ALL = COLUMNS.split(', ').map((c) => (c === 'value_cny' ? `${VALUE_TEXT} AS value_cny` : c)).join(', ');
const UPSERT = `INSERT INTO customs_cases (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})
  ON CONFLICT (parcel_key) DO UPDATE SET ${COLUMNS.split(', ')
    .filter((c) => c !== 'parcel_key' && c !== 'created_ms')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const toParams = (c: CaseRecord): SqlParam[] => [
  c.parcelKey, c.orderNo, c.direction, c.tradeMode, c.status, c.decidedBy, c.engineDecision, c.riskLevel, c.rulesVersion, JSON.stringify(c.reasons),
  c.matchComplete ? 1 : 0, c.matchConsistent ? 1 : 0, c.customsStatus, c.officerHold ? 1 : 0, c.inspectionResult, c.buyerKey, c.buyerIdMasked,
  c.valueCny, c.year, c.ebcCode, c.declaredWeightKg, c.createdMs, c.updatedMs, c.version, JSON.stringify(c.benchFindings ?? []), factsJson(c),
  c.orderConflict ? JSON.stringify(c.orderConflict) : null, JSON.stringify(c.dismissedOrders ?? []),
];

/** Cases whose goods never reached the buyer do not count against the annual limit (a cancelled list was never a purchase cleared). */
const NOT_COUNTED = "('seized', 'returned', 'destroyed', 'cancelled')";
/** Customs released the list: 800, or 899 (closed) after it. Anything else is not (yet) the buyer's import. */
const RELEASED_LIST = '(800, 899)';

const encodeCursor = (c: CaseRecord) => Buffer.from(JSON.stringify([c.updatedMs, c.parcelKey])).toString('base64url');
function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    return Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

export function openCaseRepo(sql: Sql): CaseRepo {
  return {
    migrate: () => sql.migrate('cases', CASE_MIGRATIONS),
    async get(parcelKey) {
      const r = await sql.all<Row>(`SELECT ${SELECT_ALL} FROM customs_cases WHERE parcel_key = ?`, [parcelKey]);
      return r[0] && fromRow(r[0]);
    },
    async getMany(parcelKeys) {
      const out: CaseRecord[] = [];
      for (let i = 0; i < parcelKeys.length; i += 500) {
        const chunk = parcelKeys.slice(i, i + 500);
        out.push(...(await sql.all<Row>(`SELECT ${SELECT_ALL} FROM customs_cases WHERE parcel_key IN (${chunk.map(() => '?').join(', ')})`, chunk)).map(fromRow));
      }
      return out;
    },
    async byOrder(orderNo) {
      return (await sql.all<Row>(`SELECT ${SELECT_ALL} FROM customs_cases WHERE order_no = ? ORDER BY parcel_key`, [orderNo])).map(fromRow);
    },
    async list(q) {
      const where: string[] = [];
      const params: SqlParam[] = [];
      const inList = (column: string, values: readonly string[]) => {
        where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values);
      };
      if (q.status?.length) inList('status', q.status);
      if (q.riskLevel?.length) inList('risk_level', q.riskLevel);
      const add = (clause: string, ...values: SqlParam[]) => {
        where.push(clause);
        params.push(...values);
      };
      if (q.orderNo) add('order_no = ?', q.orderNo);
      if (q.ebcCode) add('ebc_code = ?', q.ebcCode);
      if (q.keyPrefix) add('parcel_key >= ? AND parcel_key < ?', q.keyPrefix, `${q.keyPrefix}\uffff`);
      // Reasons are a JSON array in a TEXT column: match the rule as it is serialised (LIKE wildcards in it are dropped).
      if (q.rule) add('reasons LIKE ?', `%"rule":${JSON.stringify(q.rule).replace(/[%_]/g, '')}%`);
      if (q.updatedFromMs !== undefined) add('updated_ms >= ?', q.updatedFromMs);
      if (q.updatedToMs !== undefined) add('updated_ms < ?', q.updatedToMs);
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (after) add('(updated_ms < ? OR (updated_ms = ? AND parcel_key < ?))', after[0], after[0], after[1]);
      const rows = await sql.all<Row>(`SELECT ${SELECT_ALL} FROM customs_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_ms DESC, parcel_key DESC LIMIT ?`, [...params, q.limit + 1]);
      const items = rows.slice(0, q.limit).map(fromRow);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
    },
    update(parcelKey, change, nowMs) {
      return sql.tx(function* () {
        yield* lock(`case:${parcelKey}`);
        const row = yield* one<Row>(`SELECT ${SELECT_ALL} FROM customs_cases WHERE parcel_key = ?`, [parcelKey]);
        const current = row && fromRow(row);
        const next = change(current);
        if (!next) return current;
        // As a read gives it back: no findings yet is an empty list.
        const stored: CaseRecord = { ...next, parcelKey, updatedMs: nowMs, version: (current?.version ?? 0) + 1, createdMs: current?.createdMs ?? nowMs, benchFindings: next.benchFindings ?? [], findings: next.findings ?? [], notes: next.notes ?? [], officerRelease: next.officerRelease ?? null, orderConflict: next.orderConflict ?? null, dismissedOrders: next.dismissedOrders ?? [] };
        yield* run(UPSERT, toParams(stored));
        return stored;
      });
    },
    async buyerYearTotal(buyerKey, year, exceptParcelKey) {
      // Summed here, exactly: SQLite's SUM of TEXT would be a double. A buyer's parcels in a year are few (the annual
      // limit keeps them so), and customs_cases_buyer covers the read. Only lists customs released count, less what
      // approved returns took back.
      const rows = await sql.all<{ v: string | number; r: number }>(
        `SELECT ${VALUE_TEXT} AS v, returned_cny AS r FROM customs_cases WHERE buyer_key = ? AND year = ? AND parcel_key <> ? AND direction = 'import' AND customs_status IN ${RELEASED_LIST} AND status NOT IN ${NOT_COUNTED} AND value_cny IS NOT NULL`,
        [buyerKey, year, exceptParcelKey],
      );
      return sum(rows.map((r) => sub(canonicalValue(r.v), decimalFromNumber(Number(r.r ?? 0)))));
    },
    async setReturnedCny(parcelKey, returnedCny) {
      await sql.tx(function* () {
        yield* run('UPDATE customs_cases SET returned_cny = ? WHERE parcel_key = ?', [Math.round(returnedCny * 100) / 100, parcelKey]);
      });
    },
    async countByStatus() {
      const rows = await sql.all<{ status: CaseStatus; n: number }>('SELECT status, COUNT(*) AS n FROM customs_cases GROUP BY status');
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async queueSummary() {
      // Per status, so each query is a range of customs_cases_queue (status, updated_ms DESC, …): the count reads only
      // that status's index entries and the oldest is the last entry of the range — never the million settled cases.
      // The statuses are independent: on PostgreSQL they run at once on three pooled connections.
      const per = await Promise.all(
        QUEUE_STATUSES.map(async (status) => {
          const [count] = await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM customs_cases WHERE status = ?', [status]);
          const n = Number(count?.n ?? 0);
          const [first] = n === 0 ? [] : await sql.all<{ parcel_key: string; updated_ms: number }>('SELECT parcel_key, updated_ms FROM customs_cases WHERE status = ? ORDER BY updated_ms ASC, parcel_key ASC LIMIT 1', [status]);
          return { status, n, first };
        }),
      );
      const byStatus = { pending: 0, held: 0, inspection: 0 };
      let oldest: QueueSummary['oldest'] = null;
      for (const { status, n, first } of per) {
        byStatus[status] = n;
        if (first && (!oldest || Number(first.updated_ms) < oldest.sinceMs)) oldest = { parcelKey: first.parcel_key, status, sinceMs: Number(first.updated_ms) };
      }
      return { byStatus, oldest };
    },
  };
}
