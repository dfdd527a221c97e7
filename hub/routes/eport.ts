import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { EportExchange } from '../eport/exchange.ts';
import { MESSAGE_STATES, OUTGOING_TYPES } from '../eport/exchange-messages.ts';
import type { Storage } from '../storage/storage.ts';

const ListQuery = z.object({
  state: z.enum(MESSAGE_STATES).optional(),
  type: z.enum(OUTGOING_TYPES).optional(),
  q: z.string().trim().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const ResendBody = z.object({ reason: z.string().trim().min(1).max(500) });

/**
 * The e-port exchange page: messages by state with their receipts (officers, managers, admins), and resend for
 * admins — on the audit chain with who and why.
 */
export function eportRoutes(storage: Storage, eport: EportExchange): Router {
  const r = Router();
  const read = requireRole(storage, 'officer', 'manager', 'admin');
  const admin = requireRole(storage, 'admin');
  r.get('/api/eport/messages', read, async (req, res) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    const { state, type, q: prefix, limit } = q.data;
    res.json(await eport.list({ limit, ...(state ? { state } : {}), ...(type ? { messageType: type } : {}), ...(prefix ? { q: prefix } : {}) }));
  });
  r.get('/api/eport/messages/:guid', read, async (req, res) => {
    res.json(await eport.detail(String(req.params.guid).toUpperCase()));
  });
  r.post('/api/eport/messages/:guid/resend', admin, async (req, res) => {
    const b = ResendBody.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    res.json(await eport.resend(String(req.params.guid).toUpperCase(), req.session!.username, b.data.reason));
  });
  return r;
}
