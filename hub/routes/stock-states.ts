import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { BOND_STOCK_STATES, type BondStockState } from '../bonded/stock-state.ts';
import { requireRole } from '../auth/sessions.ts';
import type { StockStateService } from '../services/stock-states.ts';
import type { Storage } from '../storage/storage.ts';

const StockStateQuery = z.object({
  sku: z.string().min(1).max(128).optional(),
  state: z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : String(v).split(',').filter(Boolean)),
    z.array(z.enum(BOND_STOCK_STATES as [BondStockState, ...BondStockState[]])).max(5).optional(),
  ),
});

/**
 * `GET /api/stock/states?sku=&state=bonded,slip_applied`: per book item, the quantity in each customs state with the
 * lists and slips behind it, the desks' non-bonded stock, and totals per state; `{ book: null }` when the hub keeps no
 * account book (states come only from it). Every role (stock carries no personal data).
 */
export function stockStateRoutes(storage: Storage, states: StockStateService): Router {
  const r = Router();
  const auth = requireRole(storage, 'manager', 'officer', 'admin', 'operator');
  r.get('/api/stock/states', auth, async (req, res) => {
    const p = StockStateQuery.safeParse(req.query);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'query');
    res.json(await states.states({ ...(p.data.sku ? { sku: p.data.sku } : {}), ...(p.data.state ? { state: p.data.state } : {}) }));
  });
  return r;
}
