import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { CustomsStockState } from '../customs/stock-state.ts';
import { requireRole } from '../auth/sessions.ts';
import type { StockStateService } from '../services/stock-states.ts';
import type { Storage } from '../storage/storage.ts';

const text = z.string().min(1).max(128);
const StockStateQuery = z.object({
  site: text.optional(),
  warehouse: z.enum(['bonded', 'overseas']).optional(),
  sku: text.optional(),
  location: text.optional(),
  state: z.preprocess((v) => (v === undefined || v === '' ? undefined : String(v).split(',').filter(Boolean)), z.array(CustomsStockState).max(5).optional()),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(400).optional(),
});

/**
 * `GET /api/stock/states?site=&warehouse=&sku=&location=&state=bonded,slip_applied&cursor=`: stock rows with their
 * customs state and totals per state; every role (stock carries no personal data).
 */
export function stockStateRoutes(storage: Storage, states: StockStateService): Router {
  const r = Router();
  const auth = requireRole(storage, 'manager', 'officer', 'admin', 'operator');
  r.get('/api/stock/states', auth, async (req, res) => {
    const p = StockStateQuery.safeParse(req.query);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'query');
    const q = p.data;
    res.json(
      await states.states({
        limit: q.limit,
        ...(q.site ? { site: q.site } : {}),
        ...(q.warehouse ? { warehouse: q.warehouse } : {}),
        ...(q.sku ? { sku: q.sku } : {}),
        ...(q.location ? { locationId: q.location } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      }),
    );
  });
  return r;
}
