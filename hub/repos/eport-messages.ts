import { createHash } from 'node:crypto';
import { all, one, run, type Sql, type SqlBody } from '../storage/sql.ts';
import { receiptTransition, type ExchangeReceipt, type MessageState, type OutgoingType } from '../eport/exchange-messages.ts';

/**
 * The e-port outbox (issue 18): one row per message the zone sends, keyed by its CEB `guid`. A row is written by
 * `enqueueMessage` inside the transaction of whatever caused it (a tally, a gate passage), under a unique `cause`, so a
 * replayed cause never makes a second message. The sender moves it queued → sent; receipts (transmission results,
 * CEB900, business receipts) move it on to receipt or failed, each receipt applied once (eport_receipts, keyed by
 * what the receipt says, not by its file: the same answer in two files is one receipt).
 */

export interface OutboxRow {
  guid: string;
  cause: string;
  messageType: OutgoingType;
  state: MessageState;
  /** The generate input (generate.ts), as JSON: the XML is built, signed and checked when it is sent. */
  input: Record<string, unknown>;
  /** copNo (507/509) or billNo (711): what receipts and people find it by. */
  subject: string;
  createdMs: number;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
  fileName: string | null;
  sentMs: number | null;
  transmission: 'succeeded' | 'failed' | null;
  formatStatus: string | null;
  formatInfo: string | null;
  receiptStatus: string | null;
  receiptInfo: string | null;
  /** The business receipt's returnTime (YYYYMMDDhhmmssSSS): a later one wins, an older one arriving late does not. */
  receiptTime: string | null;
  receiptMs: number | null;
  alarmedMs: number | null;
  updatedMs: number;
}

export interface ReceiptRow {
  id: string;
  guid: string | null;
  kind: ExchangeReceipt['kind'];
  messageType: string | null;
  status: string | null;
  info: string | null;
  fileName: string;
  receivedMs: number;
}

export interface NewMessage {
  cause: string;
  messageType: OutgoingType;
  input: Record<string, unknown>;
  subject: string;
  /** Defaults to a guid derived from the cause: the same cause is the same message, whichever hub writes it. */
  guid?: string;
}

export interface MessageQuery {
  state?: MessageState;
  messageType?: OutgoingType;
  /** Prefix of the subject (copNo / billNo) or guid. */
  q?: string;
  limit: number;
}

export const EPORT_MIGRATIONS = [
  `CREATE TABLE eport_messages (
    guid TEXT PRIMARY KEY, cause TEXT NOT NULL UNIQUE, message_type TEXT NOT NULL, state TEXT NOT NULL, input TEXT NOT NULL,
    subject TEXT NOT NULL, created_ms BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms BIGINT NOT NULL,
    last_error TEXT, file_name TEXT, sent_ms BIGINT, transmission TEXT, format_status TEXT, format_info TEXT,
    receipt_status TEXT, receipt_info TEXT, receipt_time TEXT, receipt_ms BIGINT, alarmed_ms BIGINT, updated_ms BIGINT NOT NULL)`,
  'CREATE INDEX eport_messages_state ON eport_messages (state, next_attempt_ms)',
  'CREATE INDEX eport_messages_subject ON eport_messages (subject)',
  `CREATE TABLE eport_receipts (id TEXT PRIMARY KEY, guid TEXT, kind TEXT NOT NULL, message_type TEXT, status TEXT, info TEXT,
    file_name TEXT NOT NULL, received_ms BIGINT NOT NULL)`,
  'CREATE INDEX eport_receipts_guid ON eport_receipts (guid)',
  // 9610 master bills and their parcels, from the inventories (CEB621), for the CEB711 tally hook (emit.ts).
  'CREATE TABLE eport_bill_parcels (bill_no TEXT NOT NULL, logistics_no TEXT NOT NULL, logistics_code TEXT NOT NULL, traf_mode TEXT NOT NULL, traf_no TEXT, voyage_no TEXT, customs_code TEXT NOT NULL, seen_ms BIGINT, PRIMARY KEY (bill_no, logistics_no))',
  'CREATE INDEX eport_bill_parcels_parcel ON eport_bill_parcels (logistics_no)',
];

/** A CEB guid (36 characters, upper case, UUID-shaped) derived from a cause: replays and other hubs get the same one. */
export function guidForCause(cause: string): string {
  const h = createHash('sha256').update(`bondgate-eport\u0000${cause}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

interface Row {
  guid: string;
  cause: string;
  message_type: string;
  state: string;
  input: string;
  subject: string;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  file_name: string | null;
  sent_ms: number | null;
  transmission: string | null;
  format_status: string | null;
  format_info: string | null;
  receipt_status: string | null;
  receipt_info: string | null;
  receipt_time: string | null;
  receipt_ms: number | null;
  alarmed_ms: number | null;
  updated_ms: number;
}

const toRow = (r: Row): OutboxRow => ({
  guid: r.guid,
  cause: r.cause,
  messageType: r.message_type as OutgoingType,
  state: r.state as MessageState,
  input: JSON.parse(r.input) as Record<string, unknown>,
  subject: r.subject,
  createdMs: Number(r.created_ms),
  attempts: Number(r.attempts),
  nextAttemptMs: Number(r.next_attempt_ms),
  lastError: r.last_error,
  fileName: r.file_name,
  sentMs: r.sent_ms === null ? null : Number(r.sent_ms),
  transmission: r.transmission as OutboxRow['transmission'],
  formatStatus: r.format_status,
  formatInfo: r.format_info,
  receiptStatus: r.receipt_status,
  receiptInfo: r.receipt_info,
  receiptTime: r.receipt_time,
  receiptMs: r.receipt_ms === null ? null : Number(r.receipt_ms),
  alarmedMs: r.alarmed_ms === null ? null : Number(r.alarmed_ms),
  updatedMs: Number(r.updated_ms),
});

/**
 * Write a message into the outbox inside the caller's transaction (`yield* enqueueMessage(...)`). Idempotent by cause:
 * returns the guid and whether this call created it.
 */
export function* enqueueMessage(m: NewMessage, nowMs: number): SqlBody<{ guid: string; created: boolean }> {
  const guid = m.guid ?? guidForCause(m.cause);
  const n = yield* run(
    'INSERT INTO eport_messages (guid, cause, message_type, state, input, subject, created_ms, attempts, next_attempt_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING',
    [guid, m.cause, m.messageType, 'queued', JSON.stringify(m.input), m.subject, nowMs, nowMs, nowMs],
  );
  return { guid, created: n > 0 };
}

export type ReceiptOutcome = { kind: 'applied'; message: OutboxRow | undefined; before: MessageState | null } | { kind: 'duplicate' };

export interface EportMessageRepo {
  enqueue(m: NewMessage, nowMs: number): Promise<{ guid: string; created: boolean }>;
  get(guid: string): Promise<OutboxRow | undefined>;
  /** Queued rows due now, oldest first. */
  due(nowMs: number, limit: number): Promise<OutboxRow[]>;
  markSent(guid: string, fileName: string, nowMs: number): Promise<void>;
  /** A failed attempt: the row stays queued, with the error and the time of the next attempt. */
  markAttemptFailed(guid: string, error: string, nextAttemptMs: number, nowMs: number): Promise<void>;
  /** Apply a receipt once (keyed by `receipt.id`); correlated by guid, else by subject (copNo/billNo) and type. */
  applyReceipt(receipt: ExchangeReceipt, nowMs: number): Promise<ReceiptOutcome>;
  /** Back to queued (an admin's resend): only from failed or sent. */
  requeue(guid: string, nowMs: number): Promise<OutboxRow | undefined>;
  /** Sent with no business receipt since before `sentBeforeMs`, not yet alarmed: marked alarmed and returned. */
  takeOverdue(sentBeforeMs: number, nowMs: number): Promise<OutboxRow[]>;
  list(q: MessageQuery): Promise<OutboxRow[]>;
  receipts(guid: string): Promise<ReceiptRow[]>;
  countsByState(): Promise<Record<MessageState, number>>;
}

export function openEportMessageRepo(sql: Sql): EportMessageRepo & { migrate(): Promise<void> } {
  return {
    migrate: () => sql.migrate('eport-messages', EPORT_MIGRATIONS),
    enqueue: (m, nowMs) => sql.tx(() => enqueueMessage(m, nowMs)),
    async get(guid) {
      const r = await sql.all<Row>('SELECT * FROM eport_messages WHERE guid = ?', [guid]);
      return r[0] && toRow(r[0]);
    },
    async due(nowMs, limit) {
      const r = await sql.all<Row>("SELECT * FROM eport_messages WHERE state = 'queued' AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?", [nowMs, limit]);
      return r.map(toRow);
    },
    async markSent(guid, fileName, nowMs) {
      await sql.tx(function* () {
        // Only a queued row moves: a receipt that beat the bookkeeping (the client was quick) must not be undone.
        yield* run("UPDATE eport_messages SET state = 'sent', sent_ms = ?, last_error = NULL WHERE guid = ? AND state = 'queued'", [nowMs, guid]);
        yield* run('UPDATE eport_messages SET file_name = ?, sent_ms = COALESCE(sent_ms, ?), attempts = attempts + 1, updated_ms = ? WHERE guid = ?', [fileName, nowMs, nowMs, guid]);
      });
    },
    async markAttemptFailed(guid, error, nextAttemptMs, nowMs) {
      await sql.tx(() => run("UPDATE eport_messages SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ?, updated_ms = ? WHERE guid = ? AND state = 'queued'", [error.slice(0, 2000), nextAttemptMs, nowMs, guid]));
    },
    applyReceipt(receipt, nowMs) {
      return sql.tx(function* (): SqlBody<ReceiptOutcome> {
        let row: Row | undefined;
        if (receipt.guid) row = yield* one<Row>('SELECT * FROM eport_messages WHERE guid = ?', [receipt.guid]);
        if (!row && receipt.subject && receipt.answers) {
          row = yield* one<Row>('SELECT * FROM eport_messages WHERE subject = ? AND message_type = ? ORDER BY created_ms DESC LIMIT 1', [receipt.subject, receipt.answers]);
        }
        const guid = row?.guid ?? receipt.guid ?? null;
        const inserted = yield* run('INSERT INTO eport_receipts (id, guid, kind, message_type, status, info, file_name, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [
          receipt.id,
          guid,
          receipt.kind,
          receipt.messageType,
          receipt.status,
          receipt.info?.slice(0, 2000) ?? null,
          receipt.fileName,
          nowMs,
        ]);
        if (inserted === 0) return { kind: 'duplicate' };
        if (!row) return { kind: 'applied', message: undefined, before: null };
        const before = toRow(row);
        const next = receiptTransition(before, receipt, nowMs);
        yield* run(
          'UPDATE eport_messages SET state = ?, transmission = ?, format_status = ?, format_info = ?, receipt_status = ?, receipt_info = ?, receipt_time = ?, receipt_ms = ?, last_error = ?, updated_ms = ? WHERE guid = ?',
          [next.state, next.transmission, next.formatStatus, next.formatInfo, next.receiptStatus, next.receiptInfo, next.receiptTime, next.receiptMs, next.lastError, nowMs, before.guid],
        );
        return { kind: 'applied', message: next, before: before.state };
      });
    },
    requeue(guid, nowMs) {
      return sql.tx(function* () {
        const n = yield* run("UPDATE eport_messages SET state = 'queued', next_attempt_ms = ?, alarmed_ms = NULL, updated_ms = ? WHERE guid = ? AND state IN ('failed', 'sent')", [nowMs, nowMs, guid]);
        if (n === 0) return undefined;
        const r = yield* one<Row>('SELECT * FROM eport_messages WHERE guid = ?', [guid]);
        return r && toRow(r);
      });
    },
    takeOverdue(sentBeforeMs, nowMs) {
      return sql.tx(function* () {
        const rows = yield* all<Row>("SELECT * FROM eport_messages WHERE state = 'sent' AND alarmed_ms IS NULL AND sent_ms < ? ORDER BY sent_ms LIMIT 500", [sentBeforeMs]);
        for (const r of rows) yield* run('UPDATE eport_messages SET alarmed_ms = ? WHERE guid = ?', [nowMs, r.guid]);
        return rows.map((r) => ({ ...toRow(r), alarmedMs: nowMs }));
      });
    },
    async list(q) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (q.state) {
        where.push('state = ?');
        params.push(q.state);
      }
      if (q.messageType) {
        where.push('message_type = ?');
        params.push(q.messageType);
      }
      if (q.q) {
        where.push('(subject LIKE ? OR guid LIKE ?)');
        const like = `${q.q.replace(/[%_\\]/g, '')}%`;
        params.push(like, like.toUpperCase());
      }
      const r = await sql.all<Row>(`SELECT * FROM eport_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms DESC, guid LIMIT ?`, [...params, q.limit]);
      return r.map(toRow);
    },
    async receipts(guid) {
      const r = await sql.all<{ id: string; guid: string | null; kind: string; message_type: string | null; status: string | null; info: string | null; file_name: string; received_ms: number }>(
        'SELECT * FROM eport_receipts WHERE guid = ? ORDER BY received_ms, id',
        [guid],
      );
      return r.map((x) => ({ id: x.id, guid: x.guid, kind: x.kind as ReceiptRow['kind'], messageType: x.message_type, status: x.status, info: x.info, fileName: x.file_name, receivedMs: Number(x.received_ms) }));
    },
    async countsByState() {
      const r = await sql.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM eport_messages GROUP BY state');
      const out: Record<MessageState, number> = { queued: 0, sent: 0, receipt: 0, failed: 0 };
      for (const x of r) out[x.state as MessageState] = Number(x.n);
      return out;
    },
  };
}
