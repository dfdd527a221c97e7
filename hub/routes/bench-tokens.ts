import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { GatewayId } from '../../shared/schemas/events.ts';
import { requireRole } from '../auth/sessions.ts';
import type { BenchTokenService } from '../services/bench-tokens.ts';
import type { Storage } from '../storage/storage.ts';

const IssueBody = z.strictObject({ gatewayId: GatewayId, stationId: z.string().min(1).max(128) });

/**
 * `GET /api/bench-tokens/benches`: the benches the hub knows; `POST /api/bench-tokens {gatewayId, stationId}`: a bench
 * token for the signed-in officer at that bench (shown as text and QR; the bench console verifies it). Officers only:
 * the token names its holder as the officer on every finding the bench records.
 */
export function benchTokenRoutes(storage: Storage, tokens: BenchTokenService): Router {
  const r = Router();
  const officer = requireRole(storage, 'officer');
  r.get('/api/bench-tokens/benches', officer, (_req, res) => {
    res.json({ items: tokens.benches() });
  });
  r.post('/api/bench-tokens', officer, async (req, res) => {
    const b = IssueBody.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    res.status(201).json(await tokens.issue(req.session!.username, b.data));
  });
  return r;
}
