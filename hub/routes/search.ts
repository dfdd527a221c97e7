import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { SearchService } from '../services/search.ts';
import type { Storage } from '../storage/storage.ts';

const SearchQuery = z.object({
  q: z.string().trim().min(1).max(64),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const ParcelKey = z.object({ key: z.string().min(1).max(64) });
const HistoryQuery = z.object({ after: z.coerce.number().int().nonnegative().default(0), limit: z.coerce.number().int().min(1).max(500).default(200) });
const OriginalParams = ParcelKey.extend({ kind: z.string().regex(/^[A-Za-z]{1,32}$/, 'a document kind such as order, inventory') });

/**
 * Parcel search and what the parcel timeline adds to GET /api/parcels/:key and GET /api/cases/:parcelKey:
 *  - GET /api/search?q=&cursor=&limit=  every role (a gate operator looks parcels up too); list rows carry no PII.
 *  - GET /api/parcels/:key/audit?after=&limit=  officers, managers, admins: decisions and officer actions with who.
 *  - GET /api/parcels/:key/originals/:kind  officers only: the CEB message as received (unmasked PII, audited).
 */
export function searchRoutes(storage: Storage, search: SearchService): Router {
  const r = Router();
  r.get('/api/search', requireRole(storage), async (req, res) => {
    const q = SearchQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json(await search.search(q.data.q, q.data.limit, q.data.cursor));
  });
  r.get('/api/parcels/:key/audit', requireRole(storage, 'officer', 'manager', 'admin'), async (req, res) => {
    const p = ParcelKey.safeParse(req.params);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'params');
    const q = HistoryQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json(await search.history(p.data.key, q.data.after, q.data.limit));
  });
  r.get('/api/parcels/:key/originals/:kind', requireRole(storage, 'officer'), async (req, res) => {
    const p = OriginalParams.safeParse(req.params);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'params');
    res.json(await search.original(p.data.key, p.data.kind, req.session!));
  });
  return r;
}
