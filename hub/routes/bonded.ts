import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { BookItemFiling, ListKind, QtyText } from '../bonded/model.ts';
import { BondReceipt } from '../bonded/receipts.ts';
import { SlipPrepareRequest } from '../bonded/slips.ts';
import { requireRole } from '../auth/sessions.ts';
import type { BondedService } from '../services/bonded.ts';
import type { Storage } from '../storage/storage.ts';

const Limit = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });
const Counted = z.object({ sku: z.string().trim().min(1).max(64), qty: z.number().int().min(1).max(10_000_000) });
const MakeList = z.object({
  kind: ListKind.exclude(['second_line_out']),
  lines: z.array(Counted).min(1).max(1000),
  sources: z.array(z.string().trim().min(1).max(64)).max(10_000).default([]),
  transferScope: z.enum(['intra', 'inter']).optional(),
  rltPutrecNo: z.string().trim().min(1).max(64).optional(),
});
const MakeExit = z.object({
  fromMs: z.number().int().nonnegative().optional(),
  toMs: z.number().int().positive().optional(),
  released: z.array(z.object({ orderNo: z.string().min(1).max(64), releasedMs: z.number().int().nonnegative(), lines: z.array(Counted).min(1).max(1000) })).max(10_000).optional(),
});
const Pricing = z.object({
  pricing: z
    .array(z.object({ gdsSeqno: z.number().int().positive(), dclCurrcd: z.string().regex(/^\d{3}$/), dclUprcAmt: QtyText, natcd: z.string().regex(/^\d{3}$/), destinationNatcd: z.string().regex(/^\d{3}$/), gdsSpcfModelDesc: z.string().min(1).max(255) }))
    .max(1000)
    .default([]),
});
const Physical = z.object({ physical: z.array(Counted.extend({ qty: z.number().int().min(0).max(1_000_000_000) })).max(100_000).optional(), day: z.string().regex(/^\d{6}$/).optional() });

const body = <T extends z.ZodTypeAny>(schema: T, v: unknown): z.output<T> => {
  const r = schema.safeParse(v);
  if (!r.success) throw validationError(r.error, 'VALIDATION_FAILED', 'body');
  return r.data as z.output<T>;
};
const query = <T extends z.ZodTypeAny>(schema: T, v: unknown): z.output<T> => {
  const r = schema.safeParse(v);
  if (!r.success) throw validationError(r.error, 'VALIDATION_FAILED', 'query');
  return r.data as z.output<T>;
};

/**
 * The bonded account book (金二). Officers, managers and admins read it; officers and managers act for the zone
 * enterprise (make lists, prepare slips, 申报 both); managers and admins file items; customs' receipts (审批) come in
 * through POST /api/bonded/receipts, for the e-port inbox (admin: the channel's service account, or the simulator).
 */
export function bondedRoutes(storage: Storage, bonded: BondedService): Router {
  const r = Router();
  const read = requireRole(storage, 'officer', 'manager', 'admin');
  const act = requireRole(storage, 'officer', 'manager');
  const file = requireRole(storage, 'manager', 'admin');
  const customs = requireRole(storage, 'admin');

  r.get('/api/bonded/book', read, async (_req, res) => {
    res.json(await bonded.book());
  });
  r.post('/api/bonded/items', file, async (req, res) => {
    await bonded.fileItem(body(BookItemFiling, req.body), req.session!.username);
    res.status(201).json(await bonded.item(Number((req.body as { gdsSeqno: number }).gdsSeqno)));
  });
  r.get('/api/bonded/items/:gdsSeqno', read, async (req, res) => {
    const seq = z.coerce.number().int().positive().safeParse(req.params.gdsSeqno);
    if (!seq.success) throw validationError(seq.error, 'VALIDATION_FAILED', 'params');
    res.json(await bonded.item(seq.data));
  });

  r.get('/api/bonded/lists', read, async (req, res) => {
    res.json({ items: await bonded.lists(query(Limit, req.query).limit) });
  });
  r.post('/api/bonded/lists', act, async (req, res) => {
    const b = body(MakeList, req.body);
    res.status(201).json(await bonded.makeList({ kind: b.kind, lines: b.lines, sources: b.sources, ...(b.transferScope ? { transferScope: b.transferScope } : {}), ...(b.rltPutrecNo ? { rltPutrecNo: b.rltPutrecNo } : {}) }, req.session!.username));
  });
  r.post('/api/bonded/lists/exit', act, async (req, res) => {
    const b = body(MakeExit, req.body ?? {});
    res.status(201).json(await bonded.makeExit({ ...(b.fromMs !== undefined ? { fromMs: b.fromMs } : {}), ...(b.toMs !== undefined ? { toMs: b.toMs } : {}), ...(b.released ? { released: b.released } : {}) }, req.session!.username));
  });
  r.get('/api/bonded/lists/:no', read, async (req, res) => {
    const l = await bonded.getList(String(req.params.no));
    res.json({ ...l, messages: await bonded.messages(l.etpsInnerInvtNo) });
  });
  r.post('/api/bonded/lists/:no/declare', act, async (req, res) => {
    const b = body(Pricing, req.body ?? {});
    res.json(await bonded.declareList(String(req.params.no), req.session!.username, new Map(b.pricing.map(({ gdsSeqno, ...p }) => [gdsSeqno, p]))));
  });

  r.get('/api/bonded/slips', read, async (req, res) => {
    res.json({ items: await bonded.slips(query(Limit, req.query).limit) });
  });
  r.post('/api/bonded/slips', act, async (req, res) => {
    res.status(201).json(await bonded.prepareSlip(body(SlipPrepareRequest, req.body), req.session!.username));
  });
  r.get('/api/bonded/slips/:no', read, async (req, res) => {
    const s = await bonded.getSlip(String(req.params.no));
    res.json({ ...s, messages: await bonded.messages(s.etpsPreentNo) });
  });
  r.post('/api/bonded/slips/:no/apply', act, async (req, res) => {
    res.json(await bonded.applySlip(String(req.params.no), req.session!.username));
  });

  r.post('/api/bonded/receipts', customs, async (req, res) => {
    res.json(await bonded.applyReceipt(body(BondReceipt, req.body)));
  });

  r.get('/api/bonded/reconciliation', read, async (req, res) => {
    const q = query(z.object({ day: z.string().regex(/^\d{6}$/).optional() }), req.query);
    res.json(await bonded.recon(q.day));
  });
  r.post('/api/bonded/reconciliation', file, async (req, res) => {
    const b = body(Physical, req.body ?? {});
    res.json(b.physical ? await bonded.reconcile(b.physical, ...(b.day ? [b.day] : [])) : await bonded.reconcileNow());
  });
  return r;
}
