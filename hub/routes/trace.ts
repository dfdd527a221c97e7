import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { Gtin, Lot } from '../customs/trace.ts';
import type { TraceService } from '../services/trace.ts';
import type { Storage } from '../storage/storage.ts';

const ProductParams = z.object({ gtin: Gtin });
const ProductQuery = z.object({
  lot: Lot.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(400).optional(),
});
const ParcelParams = z.object({ parcelKey: z.string().min(1).max(64) });

/**
 * Traceability: `GET /api/trace/product/:gtin?lot=&limit=&cursor=` and `GET /api/trace/parcel/:parcelKey`.
 * Officers, managers and admins (a recall is run by the zone's quality and customs staff; operators only scan).
 * Buyers come back masked for every role (see TraceService). Each query is audited: it reads whom goods went to.
 */
export function traceRoutes(storage: Storage, service: TraceService): Router {
  const r = Router();
  const auth = requireRole(storage, 'officer', 'manager', 'admin');

  r.get('/api/trace/product/:gtin', auth, async (req, res) => {
    const params = ProductParams.safeParse(req.params);
    if (!params.success) throw validationError(params.error, 'VALIDATION_FAILED', 'params');
    const query = ProductQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'VALIDATION_FAILED', 'query');
    const { lot, limit, cursor } = query.data;
    const out = await service.byProduct({ gtin: params.data.gtin, limit, ...(lot !== undefined && { lot }), ...(cursor !== undefined && { cursor }) });
    await storage.appendAudit(
      { actor: req.session!.username, action: 'trace.product', subject: params.data.gtin, detail: { lot: lot ?? null, page: cursor === undefined ? 'first' : 'next', parcels: out.totals.parcels } },
      Date.now(),
    );
    res.json(out);
  });

  r.get('/api/trace/parcel/:parcelKey', auth, async (req, res) => {
    const params = ParcelParams.safeParse(req.params);
    if (!params.success) throw validationError(params.error, 'VALIDATION_FAILED', 'params');
    const out = await service.byParcel(params.data.parcelKey);
    await storage.appendAudit({ actor: req.session!.username, action: 'trace.parcel', subject: params.data.parcelKey, detail: { found: out !== null } }, Date.now());
    if (!out) throw new BondgateError('NOT_FOUND', `no traceability links for parcel ${params.data.parcelKey}`);
    res.json(out);
  });
  return r;
}
