import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { OfficerAction } from '../customs/cases.ts';
import { CaseStatus } from '../repos/cases.ts';
import type { CreditClass } from '../customs/risk.ts';
import type { CaseService } from '../services/cases.ts';
import type { Storage } from '../storage/storage.ts';

/** Repeated query parameters or a comma list: `status=pending&status=held` or `status=pending,held`. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter(Boolean)), z.array(item).max(10).optional());

const Filter = z.object({
  status: list(CaseStatus),
  risk: list(z.enum(['low', 'medium', 'high'])),
  orderNo: z.string().min(1).max(60).optional(),
  q: z.string().min(1).max(64).optional(),
  rule: z.string().min(1).max(80).optional(),
  ebcCode: z.string().min(1).max(18).optional(),
  fromMs: z.coerce.number().int().nonnegative().optional(),
  toMs: z.coerce.number().int().nonnegative().optional(),
});
type Filter = z.infer<typeof Filter>;
const ListQuery = Filter.extend({ limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().max(300).optional() });

const toQuery = (f: Filter) => ({
  ...(f.status ? { status: f.status } : {}),
  ...(f.risk ? { riskLevel: f.risk } : {}),
  ...(f.orderNo ? { orderNo: f.orderNo } : {}),
  ...(f.q ? { keyPrefix: f.q } : {}),
  ...(f.rule ? { rule: f.rule } : {}),
  ...(f.ebcCode ? { ebcCode: f.ebcCode } : {}),
  ...(f.fromMs !== undefined ? { updatedFromMs: f.fromMs } : {}),
  ...(f.toMs !== undefined ? { updatedToMs: f.toMs } : {}),
});

const ActionBody = z.intersection(OfficerAction, z.object({ expectedVersion: z.number().int().nonnegative().optional() }));
// A bulk action names its parcels or a filter; an empty filter would select everything, so at least one field is required.
const BulkFilter = z
  .object({ status: z.array(CaseStatus).max(10).optional(), risk: z.array(z.enum(['low', 'medium', 'high'])).max(3).optional(), orderNo: z.string().max(60).optional(), q: z.string().max(64).optional(), rule: z.string().max(80).optional(), ebcCode: z.string().max(18).optional(), fromMs: z.number().int().optional(), toMs: z.number().int().optional() })
  .strict()
  .refine((f) => Object.values(f).some((v) => v !== undefined), 'give at least one filter field');
const BulkTarget = z
  .object({ parcelKeys: z.array(z.string().min(1).max(64)).min(1).max(5000).optional(), filter: BulkFilter.optional() })
  .refine((t) => (t.parcelKeys === undefined) !== (t.filter === undefined), 'give either parcelKeys or filter');

const ENTERPRISE_ROLES = [
  ['ebc', 'ebcCode'],
  ['ebp', 'ebpCode'],
  ['logistics', 'logisticsCode'],
  ['agent', 'agentCode'],
  ['payment', 'payCode'],
] as const;

/** The credit class of every enterprise the case's documents name (issue 16 item 8): unlisted ones are `general`. */
export function enterpriseCreditOf(documents: readonly { body: unknown }[], credit: { classOf(code: string): CreditClass | undefined }) {
  const out: { role: string; code: string; creditClass: CreditClass; listed: boolean }[] = [];
  for (const [role, field] of ENTERPRISE_ROLES) {
    for (const d of documents) {
      const code = (d.body as Record<string, unknown> | null)?.[field];
      if (typeof code !== 'string' || out.some((e) => e.role === role && e.code === code)) continue;
      const c = credit.classOf(code);
      out.push({ role, code, creditClass: c ?? 'general', listed: c !== undefined });
    }
  }
  return out;
}

/**
 * The officers' queue. Officers, managers and admins read it (managers to track, admins to support); only officers act.
 * Case records hold no personal data beyond a masked buyer ID; the detail view's documents are masked except for officers.
 */
export function caseRoutes(storage: Storage, cases: CaseService, credit?: { classOf(code: string): CreditClass | undefined }): Router {
  const r = Router();
  const read = requireRole(storage, 'officer', 'manager', 'admin');
  const act = requireRole(storage, 'officer');
  r.get('/api/cases', read, async (req, res) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json(await cases.list({ ...toQuery(q.data), limit: q.data.limit, ...(q.data.cursor ? { cursor: q.data.cursor } : {}) }));
  });
  r.get('/api/cases/summary', read, async (_req, res) => {
    res.json({ byStatus: await cases.summary() });
  });
  r.get('/api/cases/:parcelKey', read, async (req, res) => {
    const detail = await cases.detail(String(req.params.parcelKey), req.session!);
    res.json(credit ? { ...detail, enterpriseCredit: enterpriseCreditOf(detail.documents, credit) } : detail);
  });
  r.post('/api/cases/:parcelKey/actions', act, async (req, res) => {
    const b = ActionBody.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    const { expectedVersion, ...action } = b.data;
    res.json({ case: await cases.act(String(req.params.parcelKey), action as OfficerAction, req.session!.username, expectedVersion) });
  });
  r.post('/api/cases/bulk', act, async (req, res) => {
    const a = OfficerAction.safeParse(req.body);
    if (!a.success) throw validationError(a.error, 'VALIDATION_FAILED', 'body');
    const t = BulkTarget.safeParse(req.body);
    if (!t.success) throw validationError(t.error, 'VALIDATION_FAILED', 'body');
    const target = t.data.parcelKeys ? { parcelKeys: t.data.parcelKeys } : { filter: toQuery(t.data.filter!) };
    res.json(await cases.bulk(target, a.data, req.session!.username));
  });
  return r;
}
