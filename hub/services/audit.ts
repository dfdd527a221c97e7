import { verifyAudit, type AuditVerdict } from '../audit.ts';
import type { Storage } from '../storage/storage.ts';

/** Verify the whole audit chain, a page at a time (a million entries never sit in memory at once). */
export async function verifyAuditChain(storage: Storage, pageSize = 5000, onProgress?: (checked: number) => void): Promise<AuditVerdict> {
  let from: { seq: number; hash: string } | undefined;
  let checked = 0;
  for (;;) {
    const page = await storage.auditRange((from?.seq ?? 0) + 1, pageSize);
    if (page.length === 0) return { ok: true, checked, headHash: from?.hash ?? '0'.repeat(64) };
    const v = verifyAudit(page, from);
    checked += v.checked;
    if (!v.ok) return { ok: false, checked, firstBad: v.firstBad };
    from = { seq: page[page.length - 1]!.seq, hash: page[page.length - 1]!.hash };
    onProgress?.(checked);
  }
}
