import { run, type Sql } from '../storage/sql.ts';
import type { StoredDocument, StoredOriginal } from '../storage/storage.ts';
import type { SignatureVerdict } from '../eport/verdict.ts';
import { signatureRow } from './signatures.ts';

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
export async function putDocuments(sql: Sql, docs: readonly StoredDocument[], links: readonly { documentKey: string; orderNo: string }[] = [], original?: StoredOriginal & { signature?: SignatureVerdict }): Promise<void> {
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
  });
}
