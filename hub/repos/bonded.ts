import { applyMoves, itemKey, newItem, type BookItem, type LedgerMove, type LedgerProblem } from '../bonded/ledger.ts';
import { applyListReceipt, listNo, withPassage } from '../bonded/lists.ts';
import { BondList, BondSlip, type BookItemFiling } from '../bonded/model.ts';
import { formatQty, parseQty } from '../bonded/qty.ts';
import type { BondReceipt, ListReceipt, SlipReceipt } from '../bonded/receipts.ts';
import { applySlipReceipt, gatePassage, type PassageOutcome } from '../bonded/slips.ts';
import type { ReconRow } from '../bonded/reconcile.ts';
import { all, lock, one, run, type Migration, type Sql, type SqlParam, type SqlReq } from '../storage/sql.ts';
import { enqueueMessage } from './eport-messages.ts';

/**
 * The bonded account book on the SQL port (SQLite and PostgreSQL, one text): items, the ledger of moves (each naming
 * its list and receipt), lists, slips, every receipt seen (the idempotency key is the message guid), gate passages by
 * event id, the messages built for the e-port outbox, and daily reconciliation rows. Quantities are TEXT decimals
 * (hub/bonded/qty.ts): exact on both databases. Every receipt is applied in one transaction with the pure cores.
 */
const MIGRATIONS: Migration[] = [
  `CREATE TABLE bonded_items (
     ems_no TEXT NOT NULL, gds_seqno INTEGER NOT NULL, gds_mtno TEXT NOT NULL, gdecd TEXT NOT NULL, gds_nm TEXT NOT NULL, dcl_unitcd TEXT NOT NULL,
     opening_qty TEXT NOT NULL, actl_inc_qty TEXT NOT NULL, actl_redc_qty TEXT NOT NULL, prevd_inc_qty TEXT NOT NULL, prevd_redc_qty TEXT NOT NULL,
     storage_limit_qty TEXT, updated_ms BIGINT NOT NULL, PRIMARY KEY (ems_no, gds_seqno))`,
  'CREATE UNIQUE INDEX bonded_items_mtno ON bonded_items (ems_no, gds_mtno)',
  `CREATE TABLE bonded_moves (
     receipt_id TEXT NOT NULL, line INTEGER NOT NULL, ems_no TEXT NOT NULL, gds_seqno INTEGER NOT NULL, kind TEXT NOT NULL, qty TEXT NOT NULL,
     list_no TEXT NOT NULL, receipt_type TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (receipt_id, line))`,
  'CREATE INDEX bonded_moves_item ON bonded_moves (ems_no, gds_seqno, at_ms)',
  'CREATE INDEX bonded_moves_list ON bonded_moves (list_no)',
  `CREATE TABLE bonded_lists (
     etps_inner_invt_no TEXT PRIMARY KEY, bond_invt_no TEXT, ems_no TEXT NOT NULL, kind TEXT NOT NULL, list_stat TEXT NOT NULL, vrfded_markcd TEXT NOT NULL,
     doc TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)`,
  'CREATE UNIQUE INDEX bonded_lists_bond_no ON bonded_lists (bond_invt_no)',
  'CREATE INDEX bonded_lists_recent ON bonded_lists (created_ms DESC, etps_inner_invt_no DESC)',
  `CREATE TABLE bonded_slips (
     etps_preent_no TEXT PRIMARY KEY, passport_no TEXT, stucd TEXT NOT NULL, doc TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)`,
  'CREATE UNIQUE INDEX bonded_slips_passport ON bonded_slips (passport_no)',
  'CREATE INDEX bonded_slips_recent ON bonded_slips (created_ms DESC, etps_preent_no DESC)',
  'CREATE TABLE bonded_receipts (receipt_id TEXT PRIMARY KEY, type TEXT NOT NULL, subject TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, at_ms BIGINT NOT NULL)',
  'CREATE TABLE bonded_passages (event_id TEXT PRIMARY KEY, etps_preent_no TEXT NOT NULL, result TEXT NOT NULL, at_ms BIGINT NOT NULL)',
  'CREATE TABLE bonded_messages (guid TEXT PRIMARY KEY, type TEXT NOT NULL, subject TEXT NOT NULL, xml TEXT NOT NULL, created_ms BIGINT NOT NULL)',
  'CREATE INDEX bonded_messages_subject ON bonded_messages (subject, created_ms)',
  'CREATE TABLE bonded_serials (name TEXT PRIMARY KEY, last BIGINT NOT NULL)',
  `CREATE TABLE bonded_recon (
     day TEXT NOT NULL, ems_no TEXT NOT NULL, gds_seqno INTEGER NOT NULL, gds_mtno TEXT NOT NULL, balance_qty TEXT NOT NULL, pending_in_qty TEXT NOT NULL,
     passed_out_qty TEXT NOT NULL, expected_qty TEXT NOT NULL, physical_qty TEXT NOT NULL, diff_qty TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (day, ems_no, gds_seqno))`,
  // First-line entry from the desks (issue 19 item 3): an inbound list's receive transactions, by transaction id (the
  // latest seq wins: a re-scan amends); the tally's state (open → made, or held with an alarm); inbound vehicles seen
  // at the gate, one of which the tally's slip is for.
  `CREATE TABLE bonded_tallies (site TEXT NOT NULL, list_id TEXT NOT NULL, status TEXT NOT NULL, list_no TEXT, slip_no TEXT, vehicle_event TEXT, problem TEXT,
     first_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY (site, list_id))`,
  'CREATE INDEX bonded_tallies_list ON bonded_tallies (list_no)',
  `CREATE TABLE bonded_tally_lines (site TEXT NOT NULL, list_id TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, sku TEXT, qty BIGINT NOT NULL,
     PRIMARY KEY (site, list_id, transaction_id))`,
  `CREATE TABLE bonded_arrivals (event_id TEXT PRIMARY KEY, vehicle_no TEXT NOT NULL, vehicle_ic_no TEXT, weighbridge_kg TEXT, at_ms BIGINT NOT NULL, claimed_by TEXT)`,
  'CREATE INDEX bonded_arrivals_at ON bonded_arrivals (at_ms)',
];

type ItemRow = { ems_no: string; gds_seqno: number; gds_mtno: string; gdecd: string; gds_nm: string; dcl_unitcd: string; opening_qty: string; actl_inc_qty: string; actl_redc_qty: string; prevd_inc_qty: string; prevd_redc_qty: string; storage_limit_qty: string | null };
const itemFromRow = (r: ItemRow): BookItem => ({
  emsNo: r.ems_no, gdsSeqno: Number(r.gds_seqno), gdsMtno: r.gds_mtno, gdecd: r.gdecd, gdsNm: r.gds_nm, dclUnitcd: r.dcl_unitcd,
  openingQty: parseQty(r.opening_qty), actlIncQty: parseQty(r.actl_inc_qty), actlRedcQty: parseQty(r.actl_redc_qty), prevdIncQty: parseQty(r.prevd_inc_qty), prevdRedcQty: parseQty(r.prevd_redc_qty),
  storageLimitQty: r.storage_limit_qty === null ? null : parseQty(r.storage_limit_qty),
});

export interface MoveRecord {
  receiptId: string;
  line: number;
  emsNo: string;
  gdsSeqno: number;
  kind: LedgerMove['kind'];
  qty: string;
  listNo: string;
  receiptType: string;
  atMs: number;
}

export interface OutMessage {
  guid: string;
  type: 'INV101' | 'SAS121';
  subject: string;
  xml: string;
  /** Also queue it in the e-port outbox (eport_messages), in the same transaction: the exchange is configured. */
  outbox?: boolean;
}

export interface TallyRow {
  site: string;
  listId: string;
  status: 'open' | 'held' | 'made';
  listNo: string | null;
  slipNo: string | null;
  vehicleEvent: string | null;
  problem: string | null;
  firstMs: number;
}

export interface Arrival {
  eventId: string;
  vehicleNo: string;
  vehicleIcNo: string | null;
  weighbridgeKg: string | null;
  atMs: number;
}

export type ReceiptOutcome =
  | { kind: 'applied'; subject: string; list?: BondList; slip?: BondSlip; moves: number }
  | { kind: 'duplicate'; subject: string; outcome: string }
  | { kind: 'unknown'; subject: string }
  /** Held (`holdEarly`): the receipt answers something not yet known here (INV211 before INV201, SAS223 before SAS221); nothing recorded. */
  | { kind: 'early'; subject: string }
  | { kind: 'refused'; subject: string; code: string; detail: string; problems?: LedgerProblem[] };

export type PassageResult = { kind: 'replay' } | { kind: 'unknown' } | { kind: 'done'; outcome: PassageOutcome; before: BondSlip };

export interface BondedRepo {
  migrate(): Promise<void>;
  fileItem(f: BookItemFiling, nowMs: number): Promise<'filed' | 'exists'>;
  items(emsNo?: string): Promise<BookItem[]>;
  moves(emsNo: string, gdsSeqno: number, limit: number): Promise<MoveRecord[]>;
  nextSerial(name: string): Promise<number>;
  putList(l: BondList, msg?: OutMessage): Promise<void>;
  getList(no: string): Promise<BondList | undefined>;
  lists(q: { limit: number; emsNo?: string }): Promise<BondList[]>;
  putSlip(s: BondSlip, msg?: OutMessage): Promise<void>;
  getSlip(no: string): Promise<BondSlip | undefined>;
  slips(q: { limit: number; bindingOnly?: boolean }): Promise<BondSlip[]>;
  messages(subject: string): Promise<(OutMessage & { createdMs: number })[]>;
  /**
   * Apply one receipt once (by receiptId): list or slip moved, ledger moved, receipt recorded, all in one transaction.
   * `holdEarly`: a receipt that names a document not known yet, or deducts a list not yet approved, is not recorded
   * (outcome `early`), so the same receipt applies when it is offered again after the one it overtook.
   */
  applyReceipt(r: BondReceipt, nowMs: number, opts?: { holdEarly?: boolean }): Promise<ReceiptOutcome>;
  /** Apply one gate passage once (by event id); a completed passage counts the slip's goods against their lists. */
  passage(p: { eventId: string; passportNo: string; /** Absent: the gate the slip is due at (a lane's report does not say which of two gates). */ gate?: 'single' | 'gate1' | 'gate2'; laneId: string; atMs: number }): Promise<PassageResult>;
  /**
   * Carry the officer-issued slips (release_slips, 21-character numbers) into the book's slip store once, as legacy
   * records: readable beside the new ones, never sent to customs, their gate state kept. Returns how many were added.
   */
  importLegacySlips(emsNo: string, district: string, nowMs: number): Promise<number>;
  /** Record a lane's alarm on a slip (the barrier stayed down) once by event id: the slip's status does not move. */
  alarm(p: { eventId: string; passportNo: string; laneId: string; atMs: number; reason: string }): Promise<'recorded' | 'replay' | 'unknown'>;
  saveRecon(day: string, rows: readonly ReconRow[], nowMs: number): Promise<void>;
  /**
   * A receive counted at a desk against an inbound list, once per (transaction, seq): the newest seq of a transaction
   * wins. Returns the tally after it and the counted lines by SKU (pieces), or `late` when the tally's list is made.
   */
  tallyReceive(t: { site: string; listId: string; transactionId: string; seq: number; sku: string | null; qty: number; atMs: number }): Promise<{ tally: TallyRow; late: boolean }>;
  tally(site: string, listId: string): Promise<TallyRow | undefined>;
  tallyLines(site: string, listId: string): Promise<{ sku: string | null; qty: number; transactionId: string }[]>;
  /** Tallies still open or held (for a retry at start). */
  pendingTallies(): Promise<TallyRow[]>;
  /** Tallies made into lists whose first-line slip may be unsent: none yet (a vehicle claimed), or one still a draft. */
  talliesAwaitingSlip(): Promise<TallyRow[]>;
  holdTally(site: string, listId: string, problem: string, nowMs: number): Promise<void>;
  /**
   * The tally becomes its list: the list (declared) and its message written with the tally's state, and the latest
   * inbound vehicle not claimed by another tally (at or before the first receive) claimed for its slip — all in one
   * transaction, once: false when the tally was made already.
   */
  makeTallyList(site: string, listId: string, l: BondList, msg: OutMessage, nowMs: number): Promise<boolean>;
  tallyByList(listNo: string): Promise<TallyRow | undefined>;
  arrival(eventId: string): Promise<Arrival | undefined>;
  /** An inbound vehicle at the gate (once by event id). */
  recordArrival(a: Arrival): Promise<void>;
  /** The slip prepared for a tally's list, stored with the tally's link in one transaction (false: it has one). */
  putTallySlip(listNo: string, s: BondSlip): Promise<boolean>;
  recon(day?: string): Promise<{ day: string | null; rows: (Record<string, string | number>)[] }>;
}

const listFromRow = (r: { doc: string }) => BondList.parse(JSON.parse(r.doc));
const slipFromRow = (r: { doc: string }) => BondSlip.parse(JSON.parse(r.doc));

function* writeList(l: BondList) {
  yield* run(
    `INSERT INTO bonded_lists (etps_inner_invt_no, bond_invt_no, ems_no, kind, list_stat, vrfded_markcd, doc, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (etps_inner_invt_no) DO UPDATE SET bond_invt_no = excluded.bond_invt_no, list_stat = excluded.list_stat, vrfded_markcd = excluded.vrfded_markcd, doc = excluded.doc, updated_ms = excluded.updated_ms`,
    [l.etpsInnerInvtNo, l.bondInvtNo, l.emsNo, l.kind, l.listStat, l.vrfdedMarkcd, JSON.stringify(l), l.createdMs, l.updatedMs],
  );
}
function* writeSlip(s: BondSlip) {
  yield* run(
    `INSERT INTO bonded_slips (etps_preent_no, passport_no, stucd, doc, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (etps_preent_no) DO UPDATE SET passport_no = excluded.passport_no, stucd = excluded.stucd, doc = excluded.doc, updated_ms = excluded.updated_ms`,
    [s.etpsPreentNo, s.passportNo ?? s.legacyNo, s.stucd, JSON.stringify(s), s.createdMs, s.updatedMs],
  );
}
function* writeMessage(m: OutMessage, nowMs: number) {
  yield* run('INSERT INTO bonded_messages (guid, type, subject, xml, created_ms) VALUES (?, ?, ?, ?, ?)', [m.guid, m.type, m.subject, m.xml, nowMs]);
  // The e-port outbox row in the same transaction as the decision (issue 18's rule): the sender signs it, checks it
  // again and writes it to the OutBox; its guid is this message's, so every answer correlates back.
  if (m.outbox) yield* enqueueMessage({ cause: `${m.type}:${m.guid}`, messageType: m.type, input: { body: m.xml }, subject: m.subject, guid: m.guid }, nowMs);
}
type TallyDbRow = { site: string; list_id: string; status: string; list_no: string | null; slip_no: string | null; vehicle_event: string | null; problem: string | null; first_ms: number };
const tallyFromRow = (r: TallyDbRow): TallyRow => ({ site: r.site, listId: r.list_id, status: r.status as TallyRow['status'], listNo: r.list_no, slipNo: r.slip_no, vehicleEvent: r.vehicle_event, problem: r.problem, firstMs: Number(r.first_ms) });
function* findList(no: string) {
  const r = yield* one<{ doc: string }>('SELECT doc FROM bonded_lists WHERE etps_inner_invt_no = ? OR bond_invt_no = ?', [no, no]);
  return r && listFromRow(r);
}
function* findSlip(no: string) {
  const r = yield* one<{ doc: string }>('SELECT doc FROM bonded_slips WHERE etps_preent_no = ? OR passport_no = ?', [no, no]);
  return r && slipFromRow(r);
}
function* writeItem(i: BookItem, nowMs: number) {
  yield* run('UPDATE bonded_items SET actl_inc_qty = ?, actl_redc_qty = ?, prevd_inc_qty = ?, prevd_redc_qty = ?, updated_ms = ? WHERE ems_no = ? AND gds_seqno = ?', [formatQty(i.actlIncQty), formatQty(i.actlRedcQty), formatQty(i.prevdIncQty), formatQty(i.prevdRedcQty), nowMs, i.emsNo, i.gdsSeqno]);
}
function* record(r: BondReceipt, subject: string, outcome: string, detail: string, nowMs: number) {
  yield* run('INSERT INTO bonded_receipts (receipt_id, type, subject, outcome, detail, at_ms) VALUES (?, ?, ?, ?, ?, ?)', [r.receiptId, r.type, subject, outcome, detail, nowMs]);
}

const LOCK = 'bonded:book';
const subjectOf = (r: BondReceipt) => ('etpsInnerInvtNo' in r ? r.etpsInnerInvtNo : 'etpsPreentNo' in r ? r.etpsPreentNo : r.passportNo);

export function openBondedRepo(sql: Sql): BondedRepo {
  function* applyList(r: ListReceipt, nowMs: number) {
    const l = yield* findList(r.etpsInnerInvtNo);
    if (!l) return { kind: 'unknown' as const, subject: r.etpsInnerInvtNo };
    const out = applyListReceipt(l, r, nowMs);
    if (!out.ok) return { kind: 'refused' as const, subject: listNo(l), code: out.code, detail: out.detail };
    const keys = [...new Set(out.moves.map((m) => m.gdsSeqno))];
    const rows = keys.length ? yield* all<ItemRow>(`SELECT * FROM bonded_items WHERE ems_no = ? AND gds_seqno IN (${keys.map(() => '?').join(', ')})`, [l.emsNo, ...keys]) : [];
    const items = new Map(rows.map((x) => { const i = itemFromRow(x); return [itemKey(i.emsNo, i.gdsSeqno), i] as const; }));
    const moved = applyMoves(items, out.moves);
    if (!moved.ok) return { kind: 'refused' as const, subject: listNo(l), code: 'ledger', detail: moved.problems.map((p) => `${p.gdsSeqno}: ${p.problem}`).join('; '), problems: moved.problems };
    for (const i of moved.changed) yield* writeItem(i, nowMs);
    let line = 0;
    for (const m of out.moves) yield* run('INSERT INTO bonded_moves (receipt_id, line, ems_no, gds_seqno, kind, qty, list_no, receipt_type, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [m.receiptId, line++, m.emsNo, m.gdsSeqno, m.kind, formatQty(m.qty), m.listNo, m.receiptType, m.atMs]);
    yield* writeList(out.list);
    return { kind: 'applied' as const, subject: listNo(out.list), list: out.list, moves: out.moves.length };
  }
  function* applySlip(r: SlipReceipt, nowMs: number) {
    const s = yield* findSlip(subjectOf(r));
    if (!s) return { kind: 'unknown' as const, subject: subjectOf(r) };
    const out = applySlipReceipt(s, r, nowMs);
    if (!out.ok) return { kind: 'refused' as const, subject: s.passportNo ?? s.etpsPreentNo, code: out.code, detail: out.detail };
    yield* writeSlip(out.slip);
    return { kind: 'applied' as const, subject: out.slip.passportNo ?? out.slip.etpsPreentNo, slip: out.slip, moves: 0 };
  }

  return {
    migrate: () => sql.migrate('bonded', MIGRATIONS),

    fileItem(f, nowMs) {
      return sql.tx(function* () {
        const have = yield* one('SELECT 1 AS x FROM bonded_items WHERE ems_no = ? AND gds_seqno = ?', [f.emsNo, f.gdsSeqno]);
        if (have) return 'exists' as const;
        const i = newItem(f);
        yield* run(
          'INSERT INTO bonded_items (ems_no, gds_seqno, gds_mtno, gdecd, gds_nm, dcl_unitcd, opening_qty, actl_inc_qty, actl_redc_qty, prevd_inc_qty, prevd_redc_qty, storage_limit_qty, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [i.emsNo, i.gdsSeqno, i.gdsMtno, i.gdecd, i.gdsNm, i.dclUnitcd, f.openingQty, '0', '0', '0', '0', f.storageLimitQty, nowMs],
        );
        return 'filed' as const;
      });
    },
    async items(emsNo) {
      const rows = await sql.all<ItemRow>(`SELECT * FROM bonded_items ${emsNo ? 'WHERE ems_no = ?' : ''} ORDER BY ems_no, gds_seqno`, emsNo ? [emsNo] : []);
      return rows.map(itemFromRow);
    },
    async moves(emsNo, gdsSeqno, limit) {
      const rows = await sql.all<{ receipt_id: string; line: number; ems_no: string; gds_seqno: number; kind: string; qty: string; list_no: string; receipt_type: string; at_ms: number }>(
        'SELECT * FROM bonded_moves WHERE ems_no = ? AND gds_seqno = ? ORDER BY at_ms DESC, receipt_id DESC, line DESC LIMIT ?',
        [emsNo, gdsSeqno, limit],
      );
      return rows.map((r) => ({ receiptId: r.receipt_id, line: Number(r.line), emsNo: r.ems_no, gdsSeqno: Number(r.gds_seqno), kind: r.kind as LedgerMove['kind'], qty: r.qty, listNo: r.list_no, receiptType: r.receipt_type, atMs: Number(r.at_ms) }));
    },
    nextSerial(name) {
      return sql.tx(function* () {
        yield* lock(`bonded:serial:${name}`);
        const row = yield* one<{ last: number }>('SELECT last FROM bonded_serials WHERE name = ?', [name]);
        const next = Number(row?.last ?? 0) + 1;
        yield* run('INSERT INTO bonded_serials (name, last) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last = excluded.last', [name, next]);
        return next;
      });
    },
    putList(l, msg) {
      return sql.tx(function* () {
        yield* writeList(l);
        if (msg) yield* writeMessage(msg, l.updatedMs);
      });
    },
    async getList(no) {
      return sql.tx(() => findList(no));
    },
    async lists(q) {
      const rows = await sql.all<{ doc: string }>(`SELECT doc FROM bonded_lists ${q.emsNo ? 'WHERE ems_no = ?' : ''} ORDER BY created_ms DESC, etps_inner_invt_no DESC LIMIT ?`, [...(q.emsNo ? [q.emsNo] : []), q.limit]);
      return rows.map(listFromRow);
    },
    putSlip(s, msg) {
      return sql.tx(function* () {
        yield* writeSlip(s);
        if (msg) yield* writeMessage(msg, s.updatedMs);
      });
    },
    async getSlip(no) {
      return sql.tx(() => findSlip(no));
    },
    async slips(q) {
      const where = q.bindingOnly ? "WHERE stucd NOT IN ('rejected', '5', '6')" : '';
      const rows = await sql.all<{ doc: string }>(`SELECT doc FROM bonded_slips ${where} ORDER BY created_ms DESC, etps_preent_no DESC LIMIT ?`, [q.limit]);
      return rows.map(slipFromRow);
    },
    async messages(subject) {
      const rows = await sql.all<{ guid: string; type: string; subject: string; xml: string; created_ms: number }>('SELECT * FROM bonded_messages WHERE subject = ? ORDER BY created_ms', [subject]);
      return rows.map((r) => ({ guid: r.guid, type: r.type as OutMessage['type'], subject: r.subject, xml: r.xml, createdMs: Number(r.created_ms) }));
    },

    applyReceipt(r, nowMs, opts) {
      return sql.tx(function* (): Generator<SqlReq, ReceiptOutcome, unknown> {
        yield* lock(LOCK);
        const seen = yield* one<{ subject: string; outcome: string }>('SELECT subject, outcome FROM bonded_receipts WHERE receipt_id = ?', [r.receiptId]);
        if (seen) return { kind: 'duplicate', subject: seen.subject, outcome: seen.outcome };
        const out: ReceiptOutcome = r.type === 'INV201' || r.type === 'INV202' || r.type === 'INV211' ? yield* applyList(r, nowMs) : yield* applySlip(r, nowMs);
        // Nothing was written for either (applyList/applySlip write only on success): returning here leaves no trace.
        if (opts?.holdEarly && (out.kind === 'unknown' || (out.kind === 'refused' && out.code === 'not_approved'))) return { kind: 'early', subject: out.subject };
        // Refused and unknown receipts are recorded too: they are customs' word, kept for the person who sorts them out.
        yield* record(r, out.subject, out.kind === 'refused' ? `refused:${out.code}` : out.kind, out.kind === 'refused' ? out.detail : '', nowMs);
        return out;
      });
    },

    passage(p) {
      return sql.tx(function* (): Generator<SqlReq, PassageResult, unknown> {
        yield* lock(LOCK);
        if (yield* one('SELECT 1 AS x FROM bonded_passages WHERE event_id = ?', [p.eventId])) return { kind: 'replay' };
        const s = yield* findSlip(p.passportNo);
        if (!s) return { kind: 'unknown' };
        const gate = p.gate ?? (s.gateMode === 'single' ? 'single' : s.stucd === '3' ? 'gate2' : 'gate1');
        const outcome = gatePassage(s, { eventId: p.eventId, gate, laneId: p.laneId, atMs: p.atMs });
        yield* writeSlip(outcome.slip);
        yield* run('INSERT INTO bonded_passages (event_id, etps_preent_no, result, at_ms) VALUES (?, ?, ?, ?)', [p.eventId, s.etpsPreentNo, outcome.ok ? outcome.slip.stucd : `refused:${outcome.reason}`, p.atMs]);
        if (outcome.ok && outcome.completed) {
          for (const line of s.lines) {
            const l = yield* findList(line.listNo);
            if (l) yield* writeList(withPassage(l, line.rltGdsSeqno, parseQty(line.dclQty), p.atMs));
          }
        }
        return { kind: 'done', outcome, before: s };
      });
    },

    alarm(p) {
      return sql.tx(function* () {
        yield* lock(LOCK);
        if (yield* one('SELECT 1 AS x FROM bonded_passages WHERE event_id = ?', [p.eventId])) return 'replay' as const;
        const s = yield* findSlip(p.passportNo);
        if (!s) return 'unknown' as const;
        const gate = s.gateMode === 'single' ? 'single' : s.stucd === '3' ? 'gate2' : 'gate1';
        yield* writeSlip({ ...s, passages: [...s.passages, { eventId: p.eventId, gate, laneId: p.laneId, atMs: p.atMs, result: 'refused', reason: p.reason.slice(0, 200) }], updatedMs: p.atMs });
        yield* run('INSERT INTO bonded_passages (event_id, etps_preent_no, result, at_ms) VALUES (?, ?, ?, ?)', [p.eventId, s.etpsPreentNo, 'alarmed', p.atMs]);
        return 'recorded' as const;
      });
    },
    importLegacySlips(emsNo, district, nowMs) {
      const exists = sql.dialect === 'sqlite' ? "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name = 'release_slips'" : "SELECT to_regclass('release_slips')::text AS t";
      return sql.tx(function* () {
        const t = yield* one<{ t: string | null }>(exists);
        if (!t?.t) return 0;
        const rows = yield* all<{ passport_no: string; slip: string; status: string; issued_by: string; issued_ms: number; updated_ms: number; void_reason: string | null }>(
          "SELECT r.passport_no, r.slip, r.status, r.issued_by, r.issued_ms, r.updated_ms, r.void_reason FROM release_slips r LEFT JOIN bonded_slips b ON b.etps_preent_no = 'LEGACY-' || r.passport_no WHERE b.etps_preent_no IS NULL",
        );
        for (const r of rows) yield* writeSlip(legacySlip(r, emsNo, district, nowMs));
        return rows.length;
      });
    },
    saveRecon(day, rows, nowMs) {
      return sql.tx(function* () {
        yield* run('DELETE FROM bonded_recon WHERE day = ?', [day]);
        for (const r of rows) {
          const params: SqlParam[] = [day, r.emsNo, r.gdsSeqno, r.gdsMtno, formatQty(r.balanceQty), formatQty(r.pendingInQty), formatQty(r.passedOutQty), formatQty(r.expectedQty), formatQty(r.physicalQty), formatQty(r.diffQty), nowMs];
          yield* run('INSERT INTO bonded_recon (day, ems_no, gds_seqno, gds_mtno, balance_qty, pending_in_qty, passed_out_qty, expected_qty, physical_qty, diff_qty, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', params);
        }
      });
    },
    tallyReceive(t) {
      return sql.tx(function* () {
        yield* run("INSERT INTO bonded_tallies (site, list_id, status, first_ms, updated_ms) VALUES (?, ?, 'open', ?, ?) ON CONFLICT DO NOTHING", [t.site, t.listId, t.atMs, t.atMs]);
        const before = (yield* one<TallyDbRow>('SELECT * FROM bonded_tallies WHERE site = ? AND list_id = ?', [t.site, t.listId]))!;
        if (before.status === 'made') return { tally: tallyFromRow(before), late: true };
        const had = yield* one<{ seq: number }>('SELECT seq FROM bonded_tally_lines WHERE site = ? AND list_id = ? AND transaction_id = ?', [t.site, t.listId, t.transactionId]);
        if (!had) yield* run('INSERT INTO bonded_tally_lines (site, list_id, transaction_id, seq, sku, qty) VALUES (?, ?, ?, ?, ?, ?)', [t.site, t.listId, t.transactionId, t.seq, t.sku, t.qty]);
        else if (Number(had.seq) < t.seq) yield* run('UPDATE bonded_tally_lines SET seq = ?, sku = ?, qty = ? WHERE site = ? AND list_id = ? AND transaction_id = ?', [t.seq, t.sku, t.qty, t.site, t.listId, t.transactionId]);
        yield* run('UPDATE bonded_tallies SET updated_ms = ? WHERE site = ? AND list_id = ?', [t.atMs, t.site, t.listId]);
        return { tally: tallyFromRow(before), late: false };
      });
    },
    async tally(site, listId) {
      const r = await sql.all<TallyDbRow>('SELECT * FROM bonded_tallies WHERE site = ? AND list_id = ?', [site, listId]);
      return r[0] && tallyFromRow(r[0]);
    },
    async tallyLines(site, listId) {
      const r = await sql.all<{ sku: string | null; qty: number; transaction_id: string }>('SELECT sku, qty, transaction_id FROM bonded_tally_lines WHERE site = ? AND list_id = ? ORDER BY transaction_id', [site, listId]);
      return r.map((x) => ({ sku: x.sku, qty: Number(x.qty), transactionId: x.transaction_id }));
    },
    async talliesAwaitingSlip() {
      return (await sql.all<TallyDbRow>("SELECT * FROM bonded_tallies WHERE status = 'made' AND list_no IS NOT NULL AND (slip_no IS NOT NULL OR vehicle_event IS NOT NULL) ORDER BY first_ms")).map(tallyFromRow);
    },
    async pendingTallies() {
      return (await sql.all<TallyDbRow>("SELECT * FROM bonded_tallies WHERE status IN ('open', 'held') ORDER BY first_ms")).map(tallyFromRow);
    },
    holdTally(site, listId, problem, nowMs) {
      return sql.tx(() => run("UPDATE bonded_tallies SET status = 'held', problem = ?, updated_ms = ? WHERE site = ? AND list_id = ? AND status <> 'made'", [problem.slice(0, 1000), nowMs, site, listId])).then(() => undefined);
    },
    makeTallyList(site, listId, l, msg, nowMs) {
      return sql.tx(function* () {
        yield* lock(LOCK);
        const t = yield* one<TallyDbRow>('SELECT * FROM bonded_tallies WHERE site = ? AND list_id = ?', [site, listId]);
        if (!t || t.status === 'made') return false;
        const v = yield* one<{ event_id: string }>('SELECT event_id FROM bonded_arrivals WHERE claimed_by IS NULL AND at_ms <= ? ORDER BY at_ms DESC, event_id DESC LIMIT 1', [Number(t.first_ms)]);
        if (v) yield* run('UPDATE bonded_arrivals SET claimed_by = ? WHERE event_id = ?', [l.etpsInnerInvtNo, v.event_id]);
        yield* run("UPDATE bonded_tallies SET status = 'made', list_no = ?, vehicle_event = ?, problem = NULL, updated_ms = ? WHERE site = ? AND list_id = ?", [l.etpsInnerInvtNo, v?.event_id ?? null, nowMs, site, listId]);
        yield* writeList(l);
        yield* writeMessage(msg, nowMs);
        return true;
      });
    },
    async tallyByList(listNo) {
      const r = await sql.all<TallyDbRow>('SELECT * FROM bonded_tallies WHERE list_no = ?', [listNo]);
      return r[0] && tallyFromRow(r[0]);
    },
    async arrival(eventId) {
      const r = await sql.all<{ event_id: string; vehicle_no: string; vehicle_ic_no: string | null; weighbridge_kg: string | null; at_ms: number }>('SELECT * FROM bonded_arrivals WHERE event_id = ?', [eventId]);
      return r[0] && { eventId: r[0].event_id, vehicleNo: r[0].vehicle_no, vehicleIcNo: r[0].vehicle_ic_no, weighbridgeKg: r[0].weighbridge_kg, atMs: Number(r[0].at_ms) };
    },
    recordArrival(a) {
      return sql.tx(() => run('INSERT INTO bonded_arrivals (event_id, vehicle_no, vehicle_ic_no, weighbridge_kg, at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [a.eventId, a.vehicleNo, a.vehicleIcNo, a.weighbridgeKg, a.atMs])).then(() => undefined);
    },
    putTallySlip(listNo, s) {
      return sql.tx(function* () {
        const n = yield* run('UPDATE bonded_tallies SET slip_no = ? WHERE list_no = ? AND slip_no IS NULL', [s.etpsPreentNo, listNo]);
        if (n === 0) return false;
        yield* writeSlip(s);
        return true;
      });
    },
    async recon(day) {
      const d = day ?? (await sql.all<{ day: string }>('SELECT MAX(day) AS day FROM bonded_recon'))[0]?.day ?? null;
      if (!d) return { day: null, rows: [] };
      const rows = await sql.all<Record<string, string | number>>('SELECT * FROM bonded_recon WHERE day = ? ORDER BY ems_no, gds_seqno', [d]);
      return { day: d, rows };
    },
  };
}

const LEGACY_STUCD: Record<string, BondSlip['stucd']> = { applied: '0', approved: '1', passed_gate1: '3', passed: '2', deleted: '5', void: '6' };
/** A weight in kg (float JSON) as a decimal text, rounded to the 5 places the book keeps. */
const kgText = (kg: number | undefined) => formatQty(BigInt(Math.round((kg ?? 0) * 100_000)));

function legacySlip(r: { passport_no: string; slip: string; status: string; issued_by: string; issued_ms: number; updated_ms: number; void_reason: string | null }, emsNo: string, district: string, nowMs: number): BondSlip {
  const old = JSON.parse(r.slip) as { ioType: 'I' | 'E'; gateMode?: 'single' | 'double'; vehicleNo: string; vehicleIcNo?: string; containerNos?: string[]; sealIds?: string[]; vehicleWtKg?: number; containerWtKg?: number; totalGrossWtKg: number; totalWtKg?: number; goods?: string[] };
  const gross = kgText(old.totalGrossWtKg);
  const total = old.totalWtKg !== undefined ? kgText(old.totalWtKg) : formatQty(parseQty(kgText(old.vehicleWtKg)) + parseQty(kgText(old.containerWtKg)) + parseQty(gross));
  const stucd = LEGACY_STUCD[r.status] ?? '6';
  return BondSlip.parse({
    etpsPreentNo: `LEGACY-${r.passport_no}`,
    passportNo: null,
    legacyNo: r.passport_no,
    stucd: stucd === '2' && old.gateMode === 'double' ? '4' : stucd,
    ioTypecd: old.ioType,
    // Officer-issued slips carried parcels released by customs: second-line exits, or bonded exports entering.
    passportTypecd: old.ioType === 'E' ? '3' : '2',
    bindTypecd: '1',
    rltTbTypecd: null,
    rltNos: [],
    masterCuscd: district,
    areainOriactNo: emsNo,
    gateMode: old.gateMode ?? 'single',
    vehicleNo: old.vehicleNo,
    vehicleIcNo: old.vehicleIcNo ?? null,
    vehicleWt: kgText(old.vehicleWtKg),
    containerNo: old.containerNos?.[0] ?? null,
    containerWt: old.containerWtKg !== undefined ? kgText(old.containerWtKg) : null,
    totalGrossWt: gross,
    totalNetWt: gross,
    totalWt: total,
    lines: [],
    goods: old.goods ?? [],
    sealIds: old.sealIds ?? [],
    rejectReason: r.void_reason,
    preparedBy: r.issued_by,
    createdMs: Number(r.issued_ms),
    updatedMs: Math.max(Number(r.updated_ms), 0) || nowMs,
  });
}
