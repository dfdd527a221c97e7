import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { unmasked } from '../auth/mask-responses.ts';
import { ApplyBody, WhatIfBody, type RiskRulesService } from '../services/risk-rules.ts';
import type { Storage } from '../storage/storage.ts';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().positive().optional() });
const Version = z.coerce.number().int().positive();

/**
 * Risk rules, admin only. The what-if lists parcel and order numbers with their decisions and rule ids: no buyer,
 * consignee or ID number appears.
 */
export function riskRuleRoutes(storage: Storage, service: RiskRulesService): Router {
  const r = Router();
  // Admins edit the watch lists as entered: these answers are not masked (only admins read them).
  r.use('/api/risk-rules', unmasked);
  const admin = requireRole(storage, 'admin');
  const parse = <T extends z.ZodType>(schema: T, v: unknown, prefix = ''): z.output<T> => {
    const p = schema.safeParse(v);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', prefix);
    return p.data;
  };
  r.get('/api/risk-rules', admin, async (req, res) => {
    const q = parse(ListQuery, req.query, 'query');
    res.json(await service.list(q.limit, q.before));
  });
  r.get('/api/risk-rules/:version', admin, async (req, res) => {
    res.json(await service.get(parse(Version, req.params.version, 'version')));
  });
  r.post('/api/risk-rules/what-if', admin, async (req, res) => {
    res.json(await service.whatIf(parse(WhatIfBody, req.body)));
  });
  r.post('/api/risk-rules', admin, async (req, res) => {
    res.status(201).json(await service.apply(req.session!.username, parse(ApplyBody, req.body)));
  });
  return r;
}
