import { z } from 'zod';
import { ReturnRequest } from '../customs/documents.ts';
import { ReturnMatch } from '../customs/returns.ts';
import { lock, one, run, type Migration, type Sql, type SqlParam } from '../storage/sql.ts';

/**
 * Returns (退货) the hub knows of, with how they matched what they return:
 * - import return requests (CEB625) by copNo, their match against the original list and customs' answer (CEB626);
 * - an index of import lists (copNo → orderNo, invtNo), because a 625 names its list by invtNo, which customs
 *   assigns after the list was stored (it may come only in a 622 receipt);
 * - export-side returns: parcels the overseas warehouse took back (`warehouse.transaction` op 'return'), by site and
 *   transactionId, matched against the export that sent them.
 */

/**
 * mismatch: the hub found problems (customs would refuse it); matched: consistent, no customs answer yet;
 * in_review / approved / rejected: customs' latest 626 receipt says so (customs' word wins over the hub's match).
 */
export const ReturnStatus = z.enum(['mismatch', 'matched', 'in_review', 'approved', 'rejected']);
export type ReturnStatus = z.infer<typeof ReturnStatus>;

export const CustomsAnswer = z.object({ returnStatus: z.number().int(), returnInfo: z.string(), returnTime: z.string() });
export type CustomsAnswer = z.infer<typeof CustomsAnswer>;

export const ReturnRecord = z.object({
  copNo: z.string(),
  orderNo: z.string(),
  invtNo: z.string(),
  /** copNo of the original list when the hub found it. */
  originalCopNo: z.string().nullable(),
  status: ReturnStatus,
  match: ReturnMatch,
  /** The request as declared (personal data included: mask before it leaves the hub). */
  request: ReturnRequest,
  customs: CustomsAnswer.nullable(),
  createdMs: z.number(),
  updatedMs: z.number(),
  /** Bumped on every change. */
  version: z.number().int(),
});
export type ReturnRecord = z.infer<typeof ReturnRecord>;
export type ReturnWrite = Omit<ReturnRecord, 'createdMs' | 'updatedMs' | 'version'>;

export const ExportReturnRecord = z.object({
  site: z.string(),
  transactionId: z.string(),
  seq: z.number().int(),
  orderNo: z.string().nullable(),
  sku: z.string().nullable(),
  qty: z.number(),
  condition: z.string().nullable(),
  locationId: z.string().nullable(),
  match: ReturnMatch,
  createdMs: z.number(),
  updatedMs: z.number(),
});
export type ExportReturnRecord = z.infer<typeof ExportReturnRecord>;

export interface ReturnQuery {
  status?: ReturnStatus[];
  orderNo?: string;
  limit: number;
}

export interface ReturnsRepo {
  migrate(): Promise<void>;
  get(copNo: string): Promise<ReturnRecord | undefined>;
  /** Newest first. */
  list(q: ReturnQuery): Promise<ReturnRecord[]>;
  /** Returns against one original list (by invtNo), any status. */
  byInvtNo(invtNo: string): Promise<ReturnRecord[]>;
  /** Returns whose original list is this copNo or names this invtNo. */
  referencing(ref: { copNo?: string; invtNo?: string }): Promise<string[]>;
  /** Store a return's state; unchanged (same status, match, customs answer, request) is not a change. */
  put(r: ReturnWrite, nowMs: number): Promise<{ record: ReturnRecord; changed: boolean }>;

  /** Remember an import list's numbers (invtNo null until known; a known one is never erased). */
  indexList(l: { copNo: string; orderNo: string | null; invtNo: string | null }): Promise<void>;
  listByInvtNo(invtNo: string): Promise<{ copNo: string; orderNo: string | null } | undefined>;

  /** Store an export-side return, unless an event at or above `seq` is already stored for it. */
  putExport(r: Omit<ExportReturnRecord, 'createdMs' | 'updatedMs'>, nowMs: number): Promise<{ applied: boolean }>;
  /** What other returns of this order brought back of a SKU (every one counts: the goods came back). */
  exportReturnedQty(orderNo: string, sku: string, except: { site: string; transactionId: string }): Promise<number>;
  getExport(site: string, transactionId: string): Promise<ExportReturnRecord | undefined>;
  /** Newest first. */
  listExport(q: { orderNo?: string; limit: number }): Promise<ExportReturnRecord[]>;
}

const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE return_requests (cop_no TEXT PRIMARY KEY, order_no TEXT NOT NULL, invt_no TEXT NOT NULL, original_cop_no TEXT, status TEXT NOT NULL,
     match_ok INTEGER NOT NULL, match TEXT NOT NULL, request TEXT NOT NULL, customs TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, version INTEGER NOT NULL)`,
  'CREATE INDEX return_requests_order ON return_requests (order_no)',
  'CREATE INDEX return_requests_invt ON return_requests (invt_no)',
  'CREATE INDEX return_requests_original ON return_requests (original_cop_no)',
  'CREATE INDEX return_requests_updated ON return_requests (updated_ms)',
  'CREATE TABLE return_lists (cop_no TEXT PRIMARY KEY, order_no TEXT, invt_no TEXT)',
  'CREATE INDEX return_lists_invt ON return_lists (invt_no)',
  `CREATE TABLE export_returns (site TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, order_no TEXT, sku TEXT, qty DOUBLE PRECISION NOT NULL,
     item_condition TEXT, location_id TEXT, match_ok INTEGER NOT NULL, match TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
     PRIMARY KEY (site, transaction_id))`,
  'CREATE INDEX export_returns_order ON export_returns (order_no, sku)',
];

interface ReturnRow {
  cop_no: string; order_no: string; invt_no: string; original_cop_no: string | null; status: ReturnStatus; match: string; request: string; customs: string | null;
  created_ms: number; updated_ms: number; version: number;
}
interface ExportRow {
  site: string; transaction_id: string; seq: number; order_no: string | null; sku: string | null; qty: number; item_condition: string | null; location_id: string | null;
  match: string; created_ms: number; updated_ms: number;
}

const COLUMNS = 'cop_no, order_no, invt_no, original_cop_no, status, match, request, customs, created_ms, updated_ms, version';
const EXPORT_COLUMNS = 'site, transaction_id, seq, order_no, sku, qty, item_condition, location_id, match, created_ms, updated_ms';

function fromRow(r: ReturnRow): ReturnRecord {
  return {
    copNo: r.cop_no,
    orderNo: r.order_no,
    invtNo: r.invt_no,
    originalCopNo: r.original_cop_no,
    status: r.status,
    match: ReturnMatch.parse(JSON.parse(r.match)),
    request: ReturnRequest.parse(JSON.parse(r.request)),
    customs: r.customs === null ? null : CustomsAnswer.parse(JSON.parse(r.customs)),
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
    version: Number(r.version),
  };
}

function fromExportRow(r: ExportRow): ExportReturnRecord {
  return {
    site: r.site, transactionId: r.transaction_id, seq: Number(r.seq), orderNo: r.order_no, sku: r.sku, qty: Number(r.qty), condition: r.item_condition, locationId: r.location_id,
    match: ReturnMatch.parse(JSON.parse(r.match)), createdMs: Number(r.created_ms), updatedMs: Number(r.updated_ms),
  };
}

/** What makes a stored return different (timestamps and version aside). */
const substance = (r: ReturnWrite | ReturnRecord) => JSON.stringify([r.orderNo, r.invtNo, r.originalCopNo, r.status, r.match, r.request, r.customs]);

export function openReturnsRepo(sql: Sql): ReturnsRepo {
  return {
    migrate: () => sql.migrate('returns', MIGRATIONS),

    async get(copNo) {
      const r = (await sql.all<ReturnRow>(`SELECT ${COLUMNS} FROM return_requests WHERE cop_no = ?`, [copNo]))[0];
      return r && fromRow(r);
    },

    async list(q) {
      const parts: string[] = [];
      const params: SqlParam[] = [];
      if (q.status?.length) { parts.push(`status IN (${q.status.map(() => '?').join(', ')})`); params.push(...q.status); }
      if (q.orderNo !== undefined) { parts.push('order_no = ?'); params.push(q.orderNo); }
      const rows = await sql.all<ReturnRow>(`SELECT ${COLUMNS} FROM return_requests ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY updated_ms DESC, cop_no LIMIT ?`, [...params, q.limit]);
      return rows.map(fromRow);
    },

    async byInvtNo(invtNo) {
      return (await sql.all<ReturnRow>(`SELECT ${COLUMNS} FROM return_requests WHERE invt_no = ? ORDER BY cop_no`, [invtNo])).map(fromRow);
    },

    async referencing(ref) {
      const rows = await sql.all<{ cop_no: string }>('SELECT cop_no FROM return_requests WHERE original_cop_no = ? OR invt_no = ? ORDER BY cop_no', [ref.copNo ?? null, ref.invtNo ?? null]);
      return rows.map((r) => r.cop_no);
    },

    put(w, nowMs) {
      return sql.tx(function* () {
        yield* lock(`return:${w.copNo}`);
        const cur = yield* one<ReturnRow>(`SELECT ${COLUMNS} FROM return_requests WHERE cop_no = ?`, [w.copNo]);
        const before = cur && fromRow(cur);
        if (before && substance(before) === substance(w)) return { record: before, changed: false };
        const record: ReturnRecord = { ...w, createdMs: before?.createdMs ?? nowMs, updatedMs: nowMs, version: (before?.version ?? 0) + 1 };
        yield* run(
          `INSERT INTO return_requests (cop_no, order_no, invt_no, original_cop_no, status, match_ok, match, request, customs, created_ms, updated_ms, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (cop_no) DO UPDATE SET order_no = excluded.order_no, invt_no = excluded.invt_no, original_cop_no = excluded.original_cop_no, status = excluded.status,
             match_ok = excluded.match_ok, match = excluded.match, request = excluded.request, customs = excluded.customs, updated_ms = excluded.updated_ms, version = excluded.version`,
          [record.copNo, record.orderNo, record.invtNo, record.originalCopNo, record.status, record.match.ok ? 1 : 0, JSON.stringify(record.match), JSON.stringify(record.request),
            record.customs === null ? null : JSON.stringify(record.customs), record.createdMs, record.updatedMs, record.version],
        );
        return { record, changed: true };
      });
    },

    indexList(l) {
      return sql.tx(function* () {
        yield* run(
          `INSERT INTO return_lists (cop_no, order_no, invt_no) VALUES (?, ?, ?)
           ON CONFLICT (cop_no) DO UPDATE SET order_no = COALESCE(excluded.order_no, return_lists.order_no), invt_no = COALESCE(excluded.invt_no, return_lists.invt_no)`,
          [l.copNo, l.orderNo, l.invtNo],
        );
      });
    },

    async listByInvtNo(invtNo) {
      const r = (await sql.all<{ cop_no: string; order_no: string | null }>('SELECT cop_no, order_no FROM return_lists WHERE invt_no = ? ORDER BY cop_no LIMIT 1', [invtNo]))[0];
      return r && { copNo: r.cop_no, orderNo: r.order_no };
    },

    putExport(r, nowMs) {
      return sql.tx(function* () {
        yield* lock(`export-return:${r.site}:${r.transactionId}`);
        const cur = yield* one<{ seq: number; created_ms: number }>('SELECT seq, created_ms FROM export_returns WHERE site = ? AND transaction_id = ?', [r.site, r.transactionId]);
        if (cur && r.seq <= Number(cur.seq)) return { applied: false };
        yield* run(
          `INSERT INTO export_returns (${EXPORT_COLUMNS}, match_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (site, transaction_id) DO UPDATE SET seq = excluded.seq, order_no = excluded.order_no, sku = excluded.sku, qty = excluded.qty, item_condition = excluded.item_condition,
             location_id = excluded.location_id, match = excluded.match, match_ok = excluded.match_ok, updated_ms = excluded.updated_ms`,
          [r.site, r.transactionId, r.seq, r.orderNo, r.sku, r.qty, r.condition, r.locationId, JSON.stringify(r.match), cur ? Number(cur.created_ms) : nowMs, nowMs, r.match.ok ? 1 : 0],
        );
        return { applied: true };
      });
    },

    async exportReturnedQty(orderNo, sku, except) {
      const rows = await sql.all<{ qty: number | null }>(
        'SELECT SUM(qty) AS qty FROM export_returns WHERE order_no = ? AND sku = ? AND NOT (site = ? AND transaction_id = ?)',
        [orderNo, sku, except.site, except.transactionId],
      );
      return Number(rows[0]?.qty ?? 0);
    },

    async getExport(site, transactionId) {
      const r = (await sql.all<ExportRow>(`SELECT ${EXPORT_COLUMNS} FROM export_returns WHERE site = ? AND transaction_id = ?`, [site, transactionId]))[0];
      return r && fromExportRow(r);
    },

    async listExport(q) {
      const rows = await sql.all<ExportRow>(
        `SELECT ${EXPORT_COLUMNS} FROM export_returns ${q.orderNo !== undefined ? 'WHERE order_no = ?' : ''} ORDER BY updated_ms DESC, site, transaction_id LIMIT ?`,
        q.orderNo !== undefined ? [q.orderNo, q.limit] : [q.limit],
      );
      return rows.map(fromExportRow);
    },
  };
}
