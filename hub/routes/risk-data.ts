import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { CreditLoadBody, type EnterpriseCreditService } from '../services/enterprise-credit.ts';
import type { SamplingService } from '../services/sampling.ts';
import type { Storage } from '../storage/storage.ts';

export interface ValueLimitsView {
  perTransactionCny: number;
  annualCny: number;
  tradeModes: string[];
  rulesVersion: string;
}

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().positive().optional() });
const Version = z.coerce.number().int().positive();
const RotateBody = z.object({ comment: z.string().trim().min(1).max(500) }).strict();

/**
 * Data the risk engine decides with beyond the rules, admin only (issue 16 items 6 and 8): the sampling key (its id,
 * and rotation — the key itself is never in an answer) and enterprise credit classes (list, versions, load).
 */
export function riskDataRoutes(storage: Storage, d: { sampling?: SamplingService; credit?: EnterpriseCreditService; valueLimits?: () => ValueLimitsView }): Router {
  const r = Router();
  const admin = requireRole(storage, 'admin');
  const parse = <T extends z.ZodType>(schema: T, v: unknown, prefix = ''): z.output<T> => {
    const p = schema.safeParse(v);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', prefix);
    return p.data;
  };
  const { sampling, credit, valueLimits } = d;
  // The configured personal limits, for labels (the dashboard never hard-codes ¥5,000 / ¥26,000): anyone who reads cases.
  if (valueLimits) {
    r.get('/api/value-limits', requireRole(storage, 'officer', 'manager', 'admin'), (_req, res) => {
      res.json(valueLimits());
    });
  }
  if (sampling) {
    r.get('/api/sampling-key', admin, (_req, res) => {
      res.json(sampling.view());
    });
    r.post('/api/sampling-key/rotate', admin, async (req, res) => {
      res.json(await sampling.rotate(req.session!.username, parse(RotateBody, req.body, 'body').comment));
    });
  }
  if (credit) {
    r.get('/api/enterprise-credit', admin, async (_req, res) => {
      res.json({ items: await credit.list() });
    });
    r.get('/api/enterprise-credit/versions', admin, async (req, res) => {
      const q = parse(ListQuery, req.query, 'query');
      res.json(await credit.versions(q.limit, q.before));
    });
    r.get('/api/enterprise-credit/versions/:version', admin, async (req, res) => {
      res.json({ changes: await credit.changes(parse(Version, req.params.version, 'version')) });
    });
    r.post('/api/enterprise-credit', admin, async (req, res) => {
      res.status(201).json(await credit.load(req.session!.username, parse(CreditLoadBody, req.body, 'body')));
    });
  }
  return r;
}
