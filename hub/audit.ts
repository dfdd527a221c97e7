import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../shared/canonical.ts';

/**
 * The hub's audit trail (issue 5, "Trust"): every decision and officer action appended to a hash chain, each entry
 * carrying the hash of the one before, so an edited, deleted or reordered entry breaks the chain at that point.
 * Pure: hashing and verification; storage keeps the rows (hub/storage, `appendAudit`).
 */
export const GENESIS = '0'.repeat(64);

export const AuditInput = z.object({
  actor: z.string().min(1).max(128).describe('the user or service that acted (e.g. officer username, "risk-engine")'),
  action: z.string().min(1).max(64),
  subject: z.string().min(1).max(128).describe('what it acted on: a parcel key, slip number, feed key'),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type AuditInput = z.input<typeof AuditInput>;

export interface AuditEntry {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function auditHash(e: Omit<AuditEntry, 'hash'>): string {
  const { prevHash, ...body } = e;
  return sha256Hex(`${prevHash}\n${canonicalJson(body)}`);
}

export function sealAudit(prev: { seq: number; hash: string } | undefined, input: AuditInput, atMs: number): AuditEntry {
  const i = AuditInput.parse(input);
  const unsealed = { seq: (prev?.seq ?? 0) + 1, atMs, actor: i.actor, action: i.action, subject: i.subject, detail: i.detail, prevHash: prev?.hash ?? GENESIS };
  return { ...unsealed, hash: auditHash(unsealed) };
}

export type AuditVerdict = { ok: true; checked: number; headHash: string } | { ok: false; checked: number; firstBad: { seq: number; reason: string } };

/**
 * Pure, incremental: verify entries in seq order, continuing from `from` (the last verified entry, or none). The
 * first entry that does not hash to itself, does not point at its predecessor, or leaves a gap is reported.
 */
export function verifyAudit(entries: Iterable<AuditEntry>, from?: { seq: number; hash: string }): AuditVerdict {
  let prev = from ?? { seq: 0, hash: GENESIS };
  let checked = 0;
  for (const e of entries) {
    if (e.seq !== prev.seq + 1) return { ok: false, checked, firstBad: { seq: prev.seq + 1, reason: `entry ${prev.seq + 1} is missing (next stored is ${e.seq})` } };
    if (e.prevHash !== prev.hash) return { ok: false, checked, firstBad: { seq: e.seq, reason: 'prevHash does not match the previous entry: an entry before it was changed or removed' } };
    const { hash, ...rest } = e;
    if (auditHash(rest) !== hash) return { ok: false, checked, firstBad: { seq: e.seq, reason: 'content does not match its hash: this entry was edited' } };
    prev = { seq: e.seq, hash };
    checked += 1;
  }
  return { ok: true, checked, headHash: prev.hash };
}
