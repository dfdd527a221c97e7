import { run, type Sql } from '../storage/sql.ts';
import type { StoredDocument, StoredOriginal } from '../storage/storage.ts';
import type { SignatureVerdict } from '../eport/verdict.ts';
import { signatureRow } from './signatures.ts';
import { DOCUMENT_KINDS } from '../customs/documents.ts';
import { DECIDED_KINDS } from '../customs/receipts.ts';

/** The kinds GET /api/documents lists by kind: the supplementary ones (the decided kinds are found by order and key). */
export const LISTED_KINDS: ReadonlySet<string> = new Set(DOCUMENT_KINDS.filter((k) => !DECIDED_KINDS.has(k)));

/**
 * Reads over the stored customs documents (table `customs_documents`, written by Storage.putDocument) that the
 * ingest store does not offer.
 */
/** The orders these documents belong to (by kind and key: the primary key, so each is one index probe). */
export async function ordersOfDocuments(sql: Sql, refs: readonly { kind: string; key: string }[]): Promise<string[]> {
  const out = new Set<string>();
  for (let i = 0; i < refs.length; i += 200) {
    const chunk = refs.slice(i, i + 200);
    const rows = await sql.all<{ order_no: string }>(
      `SELECT DISTINCT order_no FROM customs_documents WHERE (${chunk.map(() => '(kind = ? AND key = ?)').join(' OR ')}) AND order_no IS NOT NULL`,
      chunk.flatMap((r) => [r.kind, r.key]),
    );
    for (const r of rows) out.add(r.order_no);
  }
  return [...out];
}

/**
 * Links from a document that does not carry the order number to the orders it belongs to. The export waybill (CEB505)
 * has no orderNo: the list (CEB603) names the waybill by logisticsCode + logisticsNo, so when a list arrives its
 * waybill's key is linked to its order, and a waybill arriving later finds its order here.
 */
export const DOCUMENT_LINK_MIGRATIONS = ['CREATE TABLE document_links (document_key TEXT NOT NULL, order_no TEXT NOT NULL, PRIMARY KEY (document_key, order_no))'];

export async function migrateDocumentLinks(sql: Sql): Promise<void> {
  await sql.migrate('document_links', DOCUMENT_LINK_MIGRATIONS);
}

/**
 * What the supplementary document kinds (arrival, departure, consolidation, entry detail, summary, tax bill…) name —
 * orderNo, logisticsNo, invtNo, copNo… in their head and lines (customs/receipts.ts documentRefs) — so they can be
 * found by any of them; and documents by kind, newest first. Additive: a table of its own and one index.
 */
export const DOCUMENT_REF_MIGRATIONS = [
  'CREATE TABLE document_refs (ref TEXT NOT NULL, value TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (ref, value, kind, key))',
  // Partial: the decided kinds (orders, lists, receipts: the ingest's hot path) pay no extra index write.
  `CREATE INDEX customs_documents_listed ON customs_documents (kind, received_ms) WHERE kind IN (${[...LISTED_KINDS].map((k) => `'${k}'`).join(', ')})`,
];

export async function migrateDocumentRefs(sql: Sql): Promise<void> {
  await sql.migrate('document_refs', DOCUMENT_REF_MIGRATIONS);
}

export interface DocumentRefRow {
  ref: string;
  value: string;
  kind: string;
  key: string;
}

type Row = { kind: string; key: string; order_no: string | null; subject_key: string | null; body: string | Record<string, unknown>; original_sha256: string | null; received_ms: number | string };
const fromRow = (r: Row): StoredDocument => ({
  kind: r.kind,
  key: r.key,
  orderNo: r.order_no,
  subjectKey: r.subject_key,
  body: typeof r.body === 'string' ? (JSON.parse(r.body) as Record<string, unknown>) : r.body,
  originalSha256: r.original_sha256,
  receivedMs: Number(r.received_ms),
});
const COLUMNS = 'd.kind, d.key, d.order_no, d.subject_key, d.body, d.original_sha256, d.received_ms';

/** Documents naming `value` as `ref` (e.g. logisticsNo), newest first. */
export async function documentsByRef(sql: Sql, ref: string, value: string, limit: number): Promise<StoredDocument[]> {
  const rows = await sql.all<Row>(`SELECT ${COLUMNS} FROM document_refs r JOIN customs_documents d ON d.kind = r.kind AND d.key = r.key WHERE r.ref = ? AND r.value = ? ORDER BY d.received_ms DESC LIMIT ?`, [ref, value, limit]);
  return rows.map(fromRow);
}

/**
 * Documents of one supplementary kind (LISTED_KINDS), newest first, optionally received before `beforeMs` (paging).
 * The kind is written into the SQL (it is one of a fixed set) so both planners can use the partial index.
 */
export async function documentsByKind(sql: Sql, kind: string, limit: number, beforeMs?: number): Promise<StoredDocument[]> {
  if (!LISTED_KINDS.has(kind)) throw new Error(`documents of kind ${kind} are not listed by kind`);
  const where = `d.kind = '${kind}'${beforeMs === undefined ? '' : ' AND d.received_ms < ?'}`;
  const rows = await sql.all<Row>(`SELECT ${COLUMNS} FROM customs_documents d WHERE ${where} ORDER BY d.received_ms DESC LIMIT ?`, beforeMs === undefined ? [limit] : [beforeMs, limit]);
  return rows.map(fromRow);
}

/** One document by kind and key. */
export async function documentByKey(sql: Sql, kind: string, key: string): Promise<StoredDocument | undefined> {
  const r = (await sql.all<Row>(`SELECT ${COLUMNS} FROM customs_documents d WHERE d.kind = ? AND d.key = ?`, [kind, key]))[0];
  return r && fromRow(r);
}

export async function linkedOrders(sql: Sql, documentKeys: readonly string[]): Promise<string[]> {
  if (documentKeys.length === 0) return [];
  const rows = await sql.all<{ order_no: string }>(`SELECT DISTINCT order_no FROM document_links WHERE document_key IN (${documentKeys.map(() => '?').join(', ')})`, documentKeys);
  return rows.map((r) => r.order_no);
}

/** One stored document's body by kind and key. */
export async function documentBody(sql: Sql, kind: string, key: string): Promise<Record<string, unknown> | undefined> {
  const r = (await sql.all<{ body: string | Record<string, unknown> }>('SELECT body FROM customs_documents WHERE kind = ? AND key = ?', [kind, key]))[0];
  return r && (typeof r.body === 'string' ? (JSON.parse(r.body) as Record<string, unknown>) : r.body);
}

/**
 * Store one upload's documents (and the export-waybill links its lists imply) in ONE transaction: an e-port pushes an
 * order's documents together, and one fsync for all of them instead of one each is most of the ingest's write cost.
 * Upserts by (kind, key), as Storage.putDocument does.
 */
export async function putDocuments(sql: Sql, docs: readonly StoredDocument[], links: readonly { documentKey: string; orderNo: string }[] = [], original?: StoredOriginal & { signature?: SignatureVerdict }, refs: readonly DocumentRefRow[] = []): Promise<void> {
  if (docs.length === 0 && links.length === 0) return;
  await sql.tx(function* () {
    // The message once, by its hash; each document references it (Storage.putOriginal does the same outside a tx).
    if (original) yield* run('INSERT INTO document_originals (sha256, xml, received_ms) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING', [original.sha256, Buffer.from(original.xml.buffer, original.xml.byteOffset, original.xml.byteLength), original.receivedMs]);
    // Its signature verdict beside it (repos/signatures.ts): the latest check of these bytes wins.
    if (original?.signature) yield* run(...signatureRow(original.sha256, original.signature, original.receivedMs));
    for (const d of docs) {
      yield* run(
        'INSERT INTO customs_documents (kind, key, order_no, subject_key, body, original_sha256, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET order_no = excluded.order_no, subject_key = excluded.subject_key, body = excluded.body, original_sha256 = excluded.original_sha256, received_ms = excluded.received_ms',
        [d.kind, d.key, d.orderNo, d.subjectKey, JSON.stringify(d.body), d.originalSha256, d.receivedMs],
      );
    }
    for (const l of links) yield* run('INSERT INTO document_links (document_key, order_no) VALUES (?, ?) ON CONFLICT (document_key, order_no) DO NOTHING', [l.documentKey, l.orderNo]);
    // A resent document replaces its refs (a corrected 607 may name other parcels).
    for (const k of new Set(refs.map((r) => `${r.kind}\u0000${r.key}`))) {
      const [kind, key] = k.split('\u0000') as [string, string];
      yield* run('DELETE FROM document_refs WHERE kind = ? AND key = ?', [kind, key]);
    }
    for (const r of refs) yield* run('INSERT INTO document_refs (ref, value, kind, key) VALUES (?, ?, ?, ?) ON CONFLICT (ref, value, kind, key) DO NOTHING', [r.ref, r.value, r.kind, r.key]);
  });
}
