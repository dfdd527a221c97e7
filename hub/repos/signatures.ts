import type { Sql, SqlParam } from '../storage/sql.ts';
import { SignatureVerdict } from '../eport/verdict.ts';

/**
 * The signature verdict of each stored original message (table `message_signatures`, by the message's SHA-256, as
 * `document_originals`): written with the documents in putDocuments' transaction, read for the case detail and the
 * risk engine. A document shows the verdict of the message it last came in; a document that came as JSON has none.
 */
export const SIGNATURE_MIGRATIONS = ['CREATE TABLE message_signatures (sha256 TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT NOT NULL, verdict TEXT NOT NULL, checked_ms BIGINT NOT NULL)'];

export async function migrateSignatures(sql: Sql): Promise<void> {
  await sql.migrate('message_signatures', SIGNATURE_MIGRATIONS);
}

/** The statement and values that store one verdict (run inside the caller's transaction). */
export function signatureRow(sha256: string, v: SignatureVerdict, checkedMs: number): [string, SqlParam[]] {
  return [
    'INSERT INTO message_signatures (sha256, status, reason, verdict, checked_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET status = excluded.status, reason = excluded.reason, verdict = excluded.verdict, checked_ms = excluded.checked_ms',
    [sha256, v.status, v.reason, JSON.stringify(v), checkedMs],
  ];
}

/** Verdicts by message SHA-256 (messages with none recorded are absent from the map). */
export async function signaturesOf(sql: Sql, sha256s: readonly string[]): Promise<Map<string, SignatureVerdict>> {
  const out = new Map<string, SignatureVerdict>();
  const keys = [...new Set(sha256s)];
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    const rows = await sql.all<{ sha256: string; verdict: string }>(`SELECT sha256, verdict FROM message_signatures WHERE sha256 IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) {
      const v = SignatureVerdict.safeParse(JSON.parse(r.verdict));
      if (v.success) out.set(r.sha256, v.data);
    }
  }
  return out;
}

/** A document's signature as officers see it: its message's verdict, or `absent` for a document that came as JSON. */
export function documentSignature(originalSha256: string | null, verdicts: ReadonlyMap<string, SignatureVerdict>): SignatureVerdict | null {
  if (originalSha256 === null) return { status: 'absent', reason: 'SIG_ABSENT', message: 'submitted as JSON: there is no message signature' };
  return verdicts.get(originalSha256) ?? null;
}
