import { Router } from 'express';
import { requireRole } from '../auth/sessions.ts';
import type { EportSignerService } from '../services/eport-signer.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * `GET /api/eport/signer` (admin, manager): the e-port signer's state for the dashboard — condition (ok, away, slow,
 * refused, failed), why, since when, the certificate and its days left — or `{ configured: false }`.
 * `POST /api/eport/signer/check` (admin): ask the card client now instead of at the next periodic check.
 * No secret here: the PIN is never part of the state.
 */
export function eportSignerRoutes(storage: Storage, signer: EportSignerService | undefined): Router {
  const r = Router();
  r.get('/api/eport/signer', requireRole(storage, 'admin', 'manager'), (_req, res) => {
    res.json(signer ? { configured: true, ...signer.status() } : { configured: false });
  });
  r.post('/api/eport/signer/check', requireRole(storage, 'admin'), async (_req, res) => {
    res.json(signer ? { configured: true, ...(await signer.check()) } : { configured: false });
  });
  return r;
}
