import { checkAuditHead, GENESIS, verifyAudit, type AuditHeadAnchor, type AuditVerdict } from '../audit.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Verify the whole audit chain, a page at a time (a million entries never sit in memory at once), then hold its head
 * against the hub's newest signed checkpoint (`anchor`, hub/audit-anchor.ts): deleting the newest entries leaves a
 * valid but shorter chain, which only the checkpoint shows.
 */
export async function verifyAuditChain(storage: Storage, pageSize = 5000, onProgress?: (checked: number) => void, anchor: AuditHeadAnchor = { status: 'none' }): Promise<AuditVerdict> {
  const cpSeq = anchor.status === 'signed' ? anchor.checkpoint.seq : undefined;
  let hashAtCheckpoint: string | undefined;
  let from: { seq: number; hash: string } | undefined;
  let checked = 0;
  for (;;) {
    const page = await storage.auditRange((from?.seq ?? 0) + 1, pageSize);
    if (page.length === 0) break;
    const v = verifyAudit(page, from);
    checked += v.checked;
    if (!v.ok) return { ok: false, checked, firstBad: v.firstBad };
    hashAtCheckpoint ??= page.find((e) => e.seq === cpSeq)?.hash;
    from = { seq: page[page.length - 1]!.seq, hash: page[page.length - 1]!.hash };
    onProgress?.(checked);
  }
  const bad = checkAuditHead({ headSeq: from?.seq ?? 0, hashAtCheckpoint }, anchor);
  if (bad) return { ok: false, checked, firstBad: bad };
  return { ok: true, checked, headHash: from?.hash ?? GENESIS, ...(anchor.status === 'signed' ? { checkpoint: { seq: anchor.checkpoint.seq, atMs: anchor.checkpoint.atMs } } : {}) };
}
