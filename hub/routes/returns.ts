import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { maskPersonal } from '../../shared/mask.ts';
import { requireRole } from '../auth/sessions.ts';
import { ReturnStatus, type ReturnRecord } from '../repos/returns.ts';
import type { ReturnsService } from '../services/returns.ts';
import type { StockService } from '../services/stock.ts';
import type { Storage } from '../storage/storage.ts';

/** `?status=a,b` or `?status=a&status=b`. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).filter(Boolean)), z.array(item).max(10).optional());
const text = z.string().min(1).max(128);

const ReturnsQuery = z.object({ status: list(ReturnStatus), orderNo: text.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const ExportReturnsQuery = z.object({ orderNo: text.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const StockQuery = z.object({
  site: text.optional(),
  sku: text.optional(),
  location: text.optional(),
  warehouse: z.enum(['bonded', 'overseas']).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
const AnomalyQuery = z.object({ site: text.optional(), sku: text.optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) });

function parse<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const q = schema.safeParse(query);
  if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
  return q.data;
}

/**
 * Buyer ID numbers and phones are masked for every role: reviewing a return needs to see that the buyer matches
 * (the match result says so), not who the buyer is. The full request stays in the document store for audit.
 */
const present = (r: ReturnRecord) => ({ ...r, request: maskPersonal(r.request) });

/**
 * `GET /api/returns?status=&orderNo=` (newest first), `GET /api/returns/:copNo`, and `GET /api/export-returns?orderNo=`
 * (parcels taken back by the overseas warehouse): officers, managers and admins.
 */
export function returnRoutes(storage: Storage, returns: ReturnsService): Router {
  const r = Router();
  const auth = requireRole(storage, 'officer', 'manager', 'admin');
  r.get('/api/returns', auth, async (req, res) => {
    const q = parse(ReturnsQuery, req.query);
    const items = await returns.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.orderNo ? { orderNo: q.orderNo } : {}) });
    res.json({ items: items.map(present) });
  });
  r.get('/api/returns/:copNo', auth, async (req, res) => {
    const copNo = String(req.params.copNo);
    const found = await returns.get(copNo);
    if (!found) throw new BondgateError('NOT_FOUND', `no return request ${copNo}`);
    res.json(present(found));
  });
  r.get('/api/export-returns', auth, async (req, res) => {
    const q = parse(ExportReturnsQuery, req.query);
    res.json({ items: await returns.listExport({ limit: q.limit, ...(q.orderNo ? { orderNo: q.orderNo } : {}) }) });
  });
  return r;
}

/** `GET /api/stock?site=&sku=&location=&warehouse=` with totals per SKU, and `GET /api/stock/anomalies?site=&sku=`: every role. */
export function stockRoutes(storage: Storage, stock: StockService): Router {
  const r = Router();
  const auth = requireRole(storage, 'manager', 'officer', 'admin', 'operator');
  r.get('/api/stock', auth, async (req, res) => {
    const q = parse(StockQuery, req.query);
    res.json(
      await stock.stock({
        limit: q.limit,
        ...(q.site ? { site: q.site } : {}),
        ...(q.sku ? { sku: q.sku } : {}),
        ...(q.location ? { locationId: q.location } : {}),
        ...(q.warehouse ? { warehouse: q.warehouse } : {}),
      }),
    );
  });
  r.get('/api/stock/anomalies', auth, async (req, res) => {
    const q = parse(AnomalyQuery, req.query);
    res.json({ items: await stock.anomalies({ limit: q.limit, ...(q.site ? { site: q.site } : {}), ...(q.sku ? { sku: q.sku } : {}) }) });
  });
  return r;
}
