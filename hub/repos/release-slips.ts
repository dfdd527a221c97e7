import { ReleaseSlip } from '../../shared/stations/feed.ts';
import { bindsParcels, formatPassportNo, voidRefusal, type IoType, type SlipBinding, type SlipStatus } from '../customs/release-slips.ts';
import { all, lock, one, run, type Sql, type SqlParam } from '../storage/sql.ts';

/**
 * Release slips issued at the hub (核放单, customs.md §4) and the parcels they bind. The rule "a parcel is on at most
 * one slip that still binds it" is checked under one issue lock and enforced by the database as well: a unique index
 * on slip_parcels(parcel_key) over the rows with open = 1 (a partial index, the same text on SQLite and PostgreSQL).
 * Gate passages are recorded by event id, so a redelivered or replayed `gate.passed` changes nothing twice.
 */
export interface SlipRecord {
  /** The slip exactly as the gate gets it in the station feed. */
  slip: ReleaseSlip;
  issuedBy: string;
  issuedMs: number;
  updatedMs: number;
  voidReason: string | null;
  voidedBy: string | null;
  version: number;
}

export interface PassageInput {
  eventId: string;
  passportNo: string;
  gatewayId: string;
  laneId: string;
  atMs: number;
}

export type PassageResult =
  /** First time this event is seen: `before` → `after` (equal when the passage moved nothing, e.g. a used slip). */
  | { kind: 'applied'; source: 'repo' | 'feed'; slip: ReleaseSlip; before: SlipStatus; after: SlipStatus }
  /** Seen before: what it did then; `slip` is the hub's record now when the hub issued it. */
  | { kind: 'replay'; slip: ReleaseSlip | undefined; before: SlipStatus; after: SlipStatus }
  /** Neither issued here nor in the feed. */
  | { kind: 'unknown' };

export interface SlipListQuery {
  status?: SlipStatus[];
  limit: number;
  cursor?: string;
}

/** A released parcel no open slip binds: what an officer may put on a new slip. */
export interface SlipCandidate {
  parcelKey: string;
  orderNo: string;
  direction: 'import' | 'export';
  tradeMode: string | null;
  declaredWeightKg: number | null;
  ebcCode: string | null;
  /** When the case last changed (its release, usually): the list is newest first on it. */
  updatedMs: number;
}

export interface SlipCandidateQuery {
  /** Prefix of the parcel key. */
  keyPrefix?: string;
  direction?: 'import' | 'export';
  limit: number;
  cursor?: string;
}

export interface ReleaseSlipRepo {
  migrate(): Promise<void>;
  /**
   * Released cases on no open slip, newest first, keyset-paginated. Reads the cases table (module 'cases') beside
   * slip_parcels: both live in the hub's one database, and the anti-join is what keeps a parcel off two slips' lists.
   */
  candidates(q: SlipCandidateQuery): Promise<{ items: SlipCandidate[]; nextCursor: string | null }>;
  /** The next number for (district, direction, year); never handed out twice, even when the issue then fails. */
  allocatePassportNo(district: string, ioType: IoType, year: number): Promise<string>;
  /** Bindings (slips not void/deleted) of these parcels, for the pre-check. */
  bindings(parcelKeys: readonly string[]): Promise<Map<string, SlipBinding>>;
  /** Store a slip and bind its goods, unless one of them is bound already: then nothing is written and each conflict is named. */
  issue(slip: ReleaseSlip, issuedBy: string, nowMs: number): Promise<{ ok: true; record: SlipRecord } | { ok: false; conflicts: SlipBinding[] }>;
  get(passportNo: string): Promise<SlipRecord | undefined>;
  list(q: SlipListQuery): Promise<{ items: SlipRecord[]; nextCursor: string | null }>;
  /**
   * Read-modify-write a slip's status under its lock: `change` returns the next status, or a reason string to refuse.
   * Parcels are released when the new status no longer binds them.
   */
  /**
   * Take one parcel off a slip that has not passed any gate (its list was cancelled): the goods and weights shrink, the
   * binding is freed; a slip left with no goods is void. `undefined`: no such slip; a string: why not.
   */
  removeParcel(passportNo: string, parcelKey: string, weightKg: number | null, reason: string, by: string, nowMs: number): Promise<{ ok: true; record: SlipRecord } | { ok: false; reason: string } | undefined>;
  setStatus(passportNo: string, change: (current: SlipRecord) => { status: SlipStatus; voidReason?: string; voidedBy?: string } | string, nowMs: number): Promise<{ ok: true; record: SlipRecord } | { ok: false; reason: string } | undefined>;
  /**
   * Apply one gate passage once (by event id): `next` gives the status after it (null: no change). A slip the hub did
   * not issue is taken from `feedSlip` (slips put into the feed by hand) and only the passage is recorded.
   */
  passage(p: PassageInput, feedSlip: ReleaseSlip | undefined, next: (slip: ReleaseSlip) => SlipStatus | null): Promise<PassageResult>;
}

const MIGRATIONS = [
  `CREATE TABLE release_slips (
     passport_no TEXT PRIMARY KEY,
     io_type TEXT NOT NULL,
     status TEXT NOT NULL,
     slip TEXT NOT NULL,
     parcel_count INTEGER NOT NULL,
     issued_by TEXT NOT NULL,
     issued_ms BIGINT NOT NULL,
     updated_ms BIGINT NOT NULL,
     void_reason TEXT,
     voided_by TEXT,
     version INTEGER NOT NULL
   )`,
  'CREATE INDEX release_slips_issued ON release_slips (issued_ms DESC, passport_no DESC)',
  'CREATE INDEX release_slips_status ON release_slips (status, issued_ms DESC, passport_no DESC)',
  'CREATE TABLE slip_parcels (parcel_key TEXT NOT NULL, passport_no TEXT NOT NULL, open INTEGER NOT NULL, PRIMARY KEY (passport_no, parcel_key))',
  // One binding slip per parcel, whoever writes: the database refuses a second open row.
  'CREATE UNIQUE INDEX slip_parcels_one_open ON slip_parcels (parcel_key) WHERE open = 1',
  'CREATE INDEX slip_parcels_parcel ON slip_parcels (parcel_key)',
  'CREATE TABLE slip_serials (district TEXT NOT NULL, io_type TEXT NOT NULL, year INTEGER NOT NULL, last_serial BIGINT NOT NULL, PRIMARY KEY (district, io_type, year))',
  `CREATE TABLE slip_passages (
     event_id TEXT PRIMARY KEY,
     passport_no TEXT NOT NULL,
     gateway_id TEXT NOT NULL,
     lane_id TEXT NOT NULL,
     status_before TEXT NOT NULL,
     status_after TEXT NOT NULL,
     at_ms BIGINT NOT NULL
   )`,
  'CREATE INDEX slip_passages_slip ON slip_passages (passport_no, at_ms)',
];

type SlipRow = { passport_no: string; io_type: string; status: string; slip: string; parcel_count: number; issued_by: string; issued_ms: number; updated_ms: number; void_reason: string | null; voided_by: string | null; version: number };

const fromRow = (r: SlipRow): SlipRecord => ({
  // The column is the truth for the status: the JSON keeps the rest of what the gate gets.
  slip: { ...ReleaseSlip.parse(JSON.parse(r.slip)), status: r.status as SlipStatus },
  issuedBy: r.issued_by,
  issuedMs: Number(r.issued_ms),
  updatedMs: Number(r.updated_ms),
  voidReason: r.void_reason,
  voidedBy: r.voided_by,
  version: Number(r.version),
});

/** Parameters per statement stay far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;
const chunks = <T>(xs: readonly T[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));
const marks = (n: number, each = '?') => Array.from({ length: n }, () => each).join(', ');

const ISSUE_LOCK = 'release-slips:issue';
const slipLock = (no: string) => `release-slip:${no}`;

function* openBindings(parcelKeys: readonly string[]) {
  const out: SlipBinding[] = [];
  for (const chunk of chunks(parcelKeys)) {
    const rows = yield* all<{ parcel_key: string; passport_no: string; status: string }>(
      `SELECT p.parcel_key, p.passport_no, s.status FROM slip_parcels p JOIN release_slips s ON s.passport_no = p.passport_no WHERE p.open = 1 AND p.parcel_key IN (${marks(chunk.length)})`,
      chunk,
    );
    out.push(...rows.map((r) => ({ parcelKey: r.parcel_key, passportNo: r.passport_no, status: r.status as SlipStatus })));
  }
  return out;
}

/** A unique-index refusal, in either dialect's words. */
const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505' || /UNIQUE constraint failed/.test((e as Error).message ?? '');

const encodeCursor = (r: SlipRecord) => Buffer.from(JSON.stringify([r.issuedMs, r.slip.passportNo])).toString('base64url');
function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    return Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined; // a cursor from elsewhere reads from the top, as if none were given
  }
}

export function openReleaseSlipRepo(sql: Sql): ReleaseSlipRepo {
  const repo: ReleaseSlipRepo = {
    migrate: () => sql.migrate('release_slips', MIGRATIONS),

    allocatePassportNo(district, ioType, year) {
      return sql.tx(function* () {
        yield* lock(`release-slips:serial:${district}${ioType}${year}`);
        const row = yield* one<{ last_serial: number }>('SELECT last_serial FROM slip_serials WHERE district = ? AND io_type = ? AND year = ?', [district, ioType, year]);
        const serial = Number(row?.last_serial ?? 0) + 1;
        yield* run('INSERT INTO slip_serials (district, io_type, year, last_serial) VALUES (?, ?, ?, ?) ON CONFLICT (district, io_type, year) DO UPDATE SET last_serial = excluded.last_serial', [district, ioType, year, serial]);
        return formatPassportNo({ district, ioType, year, serial });
      });
    },

    async bindings(parcelKeys) {
      const rows = await sql.tx(() => openBindings(parcelKeys));
      return new Map(rows.map((b) => [b.parcelKey, b]));
    },

    async issue(slip, issuedBy, nowMs) {
      try {
        return await sql.tx(function* () {
          // One issue at a time: the check below and the inserts see no other issue half done.
          yield* lock(ISSUE_LOCK);
          const conflicts = yield* openBindings(slip.goods);
          if (conflicts.length > 0) return { ok: false as const, conflicts };
          yield* run(
            'INSERT INTO release_slips (passport_no, io_type, status, slip, parcel_count, issued_by, issued_ms, updated_ms, void_reason, voided_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1)',
            [slip.passportNo, slip.ioType, slip.status, JSON.stringify(slip), slip.goods.length, issuedBy, nowMs, nowMs],
          );
          const open = bindsParcels(slip.status, slip.ioType) ? 1 : 0;
          for (const chunk of chunks(slip.goods)) {
            yield* run(`INSERT INTO slip_parcels (parcel_key, passport_no, open) VALUES ${marks(chunk.length, '(?, ?, ?)')}`, chunk.flatMap((k): SqlParam[] => [k, slip.passportNo, open]));
          }
          return { ok: true as const, record: { slip, issuedBy, issuedMs: nowMs, updatedMs: nowMs, voidReason: null, voidedBy: null, version: 1 } };
        });
      } catch (e) {
        // Someone bound a parcel without the issue lock: the index refused it. Name what binds the parcels now.
        if (!isUniqueViolation(e)) throw e;
        const conflicts = [...(await repo.bindings(slip.goods)).values()];
        if (conflicts.length === 0) throw e; // the slip number itself was taken
        return { ok: false, conflicts };
      }
    },

    async candidates(q) {
      // Walks customs_cases_queue (status, updated_ms DESC, parcel_key DESC) from the cursor and probes the partial
      // unique index slip_parcels_one_open per row: no scan of either table, whatever their size. The cursor bound is
      // written as a range (updated_ms <= ?) plus a tie-break so both planners use it as the index start.
      const where = ["c.status = 'released'", 'p.parcel_key IS NULL'];
      const params: SqlParam[] = [];
      if (q.keyPrefix) {
        where.push('c.parcel_key >= ? AND c.parcel_key < ?');
        params.push(q.keyPrefix, `${q.keyPrefix}\uffff`);
      }
      if (q.direction) {
        where.push('c.direction = ?');
        params.push(q.direction);
      }
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (after) {
        where.push('c.updated_ms <= ? AND (c.updated_ms < ? OR c.parcel_key < ?)');
        params.push(after[0], after[0], after[1]);
      }
      type CandidateRow = { parcel_key: string; order_no: string; direction: string; trade_mode: string | null; declared_weight_kg: number | null; ebc_code: string | null; updated_ms: number };
      const rows = await sql.all<CandidateRow>(
        `SELECT c.parcel_key, c.order_no, c.direction, c.trade_mode, c.declared_weight_kg, c.ebc_code, c.updated_ms
           FROM customs_cases c LEFT JOIN slip_parcels p ON p.parcel_key = c.parcel_key AND p.open = 1
          WHERE ${where.join(' AND ')}
          ORDER BY c.updated_ms DESC, c.parcel_key DESC LIMIT ?`,
        [...params, q.limit + 1],
      );
      const items: SlipCandidate[] = rows.slice(0, q.limit).map((r) => ({
        parcelKey: r.parcel_key,
        orderNo: r.order_no,
        direction: r.direction as SlipCandidate['direction'],
        tradeMode: r.trade_mode,
        declaredWeightKg: r.declared_weight_kg === null ? null : Number(r.declared_weight_kg),
        ebcCode: r.ebc_code,
        updatedMs: Number(r.updated_ms),
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? Buffer.from(JSON.stringify([last.updatedMs, last.parcelKey])).toString('base64url') : null };
    },

    async get(passportNo) {
      const r = await sql.all<SlipRow>('SELECT * FROM release_slips WHERE passport_no = ?', [passportNo]);
      return r[0] && fromRow(r[0]);
    },

    async list(q) {
      const where: string[] = [];
      const params: SqlParam[] = [];
      if (q.status?.length) {
        where.push(`status IN (${marks(q.status.length)})`);
        params.push(...q.status);
      }
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (after) {
        where.push('(issued_ms < ? OR (issued_ms = ? AND passport_no < ?))');
        params.push(after[0], after[0], after[1]);
      }
      const rows = await sql.all<SlipRow>(`SELECT * FROM release_slips ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_ms DESC, passport_no DESC LIMIT ?`, [...params, q.limit + 1]);
      const items = rows.slice(0, q.limit).map(fromRow);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
    },

    setStatus(passportNo, change, nowMs) {
      return sql.tx(function* () {
        yield* lock(slipLock(passportNo));
        const row = yield* one<SlipRow>('SELECT * FROM release_slips WHERE passport_no = ?', [passportNo]);
        if (!row) return undefined;
        const current = fromRow(row);
        const next = change(current);
        if (typeof next === 'string') return { ok: false as const, reason: next };
        const record: SlipRecord = {
          ...current,
          slip: { ...current.slip, status: next.status },
          updatedMs: nowMs,
          version: current.version + 1,
          voidReason: next.voidReason ?? current.voidReason,
          voidedBy: next.voidedBy ?? current.voidedBy,
        };
        yield* writeStatus(record);
        return { ok: true as const, record };
      });
    },

    removeParcel(passportNo, parcelKey, weightKg, reason, by, nowMs) {
      return sql.tx(function* () {
        yield* lock(slipLock(passportNo));
        const row = yield* one<SlipRow>('SELECT * FROM release_slips WHERE passport_no = ?', [passportNo]);
        if (!row) return undefined;
        const current = fromRow(row);
        if (!current.slip.goods.includes(parcelKey)) return { ok: false as const, reason: `${parcelKey} is not on slip ${passportNo}` };
        const refusal = voidRefusal(current.slip.status);
        if (refusal) return { ok: false as const, reason: refusal };
        const goods = current.slip.goods.filter((k) => k !== parcelKey);
        const less = (kg: number | undefined) => (kg === undefined || weightKg === null ? kg : Math.round((kg - weightKg) * 1000) / 1000);
        const totalWtKg = less(current.slip.totalWtKg);
        const slip = { ...current.slip, goods, totalGrossWtKg: less(current.slip.totalGrossWtKg)!, ...(totalWtKg !== undefined ? { totalWtKg } : {}), ...(goods.length === 0 ? { status: 'void' as const } : {}) };
        const record: SlipRecord = { ...current, slip, updatedMs: nowMs, version: current.version + 1, ...(goods.length === 0 ? { voidReason: reason, voidedBy: by } : {}) };
        yield* run('UPDATE release_slips SET parcel_count = ? WHERE passport_no = ?', [goods.length, passportNo]);
        yield* run('UPDATE slip_parcels SET open = 0 WHERE passport_no = ? AND parcel_key = ?', [passportNo, parcelKey]);
        yield* writeStatus(record);
        return { ok: true as const, record };
      });
    },

    passage(p, feedSlip, next) {
      return sql.tx(function* () {
        yield* lock(slipLock(p.passportNo));
        const row = yield* one<SlipRow>('SELECT * FROM release_slips WHERE passport_no = ?', [p.passportNo]);
        const issued = row && fromRow(row);
        const seen = yield* one<{ status_before: string; status_after: string }>('SELECT status_before, status_after FROM slip_passages WHERE event_id = ?', [p.eventId]);
        if (seen) return { kind: 'replay' as const, slip: issued?.slip, before: seen.status_before as SlipStatus, after: seen.status_after as SlipStatus };
        const slip = issued?.slip ?? feedSlip;
        if (!slip) return { kind: 'unknown' as const };
        const after = next(slip) ?? slip.status;
        yield* run('INSERT INTO slip_passages (event_id, passport_no, gateway_id, lane_id, status_before, status_after, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)', [p.eventId, p.passportNo, p.gatewayId, p.laneId, slip.status, after, p.atMs]);
        if (issued && after !== slip.status) yield* writeStatus({ ...issued, slip: { ...issued.slip, status: after }, updatedMs: p.atMs, version: issued.version + 1 });
        return { kind: 'applied' as const, source: issued ? ('repo' as const) : ('feed' as const), slip: { ...slip, status: after }, before: slip.status, after };
      });
    },
  };
  return repo;
}

/** The status column, the JSON and the parcels' binding move together. */
function* writeStatus(r: SlipRecord) {
  yield* run('UPDATE release_slips SET status = ?, slip = ?, updated_ms = ?, void_reason = ?, voided_by = ?, version = ? WHERE passport_no = ?', [r.slip.status, JSON.stringify(r.slip), r.updatedMs, r.voidReason, r.voidedBy, r.version, r.slip.passportNo]);
  if (!bindsParcels(r.slip.status, r.slip.ioType)) yield* run('UPDATE slip_parcels SET open = 0 WHERE passport_no = ? AND open = 1', [r.slip.passportNo]);
}
