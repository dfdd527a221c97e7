import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { LineExceptionService } from '../services/line-exceptions.ts';
import type { Storage } from '../storage/storage.ts';

const Query = z.object({ view: z.enum(['open', 'all']).default('open'), limit: z.coerce.number().int().min(1).max(500).default(200) });
const Handle = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

/**
 * Line exceptions (issue 17 item 2): GET /api/line-exceptions?view=open|all — parcels the line diverted with no
 * declaration; GET /api/line-exceptions/:parcelKey; POST /api/line-exceptions/:parcelKey/handle {reason} (officers).
 */
export function lineExceptionRoutes(storage: Storage, service: LineExceptionService): Router {
  const r = Router();
  const read = requireRole(storage, 'admin', 'manager', 'officer');
  const act = requireRole(storage, 'officer');
  r.get('/api/line-exceptions', read, async (req, res) => {
    const q = Query.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json({ items: await service.list(q.data) });
  });
  r.get('/api/line-exceptions/:parcelKey', read, async (req, res) => {
    const e = await service.get(String(req.params.parcelKey));
    if (!e) throw new BondgateError('NOT_FOUND', `no line exception for ${String(req.params.parcelKey)}`);
    res.json(e);
  });
  r.post('/api/line-exceptions/:parcelKey/handle', act, async (req, res) => {
    const b = Handle.safeParse(req.body);
    if (!b.success) throw validationError(b.error);
    res.json(await service.handle(String(req.params.parcelKey), b.data.reason, req.session!.username));
  });
  return r;
}
