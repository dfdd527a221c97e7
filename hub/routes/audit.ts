import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { verifyAuditChain } from '../services/audit.ts';
import type { AuditHeadAnchor } from '../audit.ts';
import type { Storage } from '../storage/storage.ts';

/** The audit trail: read it (admins, managers), and verify its hash chain and signed head, pointing at the first bad entry. */
export function auditRoutes(storage: Storage, auditHead: () => AuditHeadAnchor = () => ({ status: 'none' })): Router {
  const r = Router();
  const auth = requireRole(storage, 'admin', 'manager');
  const Q = z.object({ from: z.coerce.number().int().min(1).default(1), limit: z.coerce.number().int().min(1).max(1000).default(100) });
  r.get('/api/audit', auth, async (req, res) => {
    const q = Q.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json({ items: await storage.auditRange(q.data.from, q.data.limit) });
  });
  r.get('/api/audit/verify', auth, async (_req, res) => {
    res.json(await verifyAuditChain(storage, undefined, undefined, auditHead()));
  });
  return r;
}
