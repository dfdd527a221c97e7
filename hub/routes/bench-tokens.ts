import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { GatewayId } from '../../shared/schemas/events.ts';
import { requireRole } from '../auth/sessions.ts';
import type { BenchTokenService } from '../services/bench-tokens.ts';
import type { Storage } from '../storage/storage.ts';
import { qrSvg } from './qr-code.ts';

/** Level M, like a release slip's QR: a phone screen held to the bench scanner, a smudged printout. */
const QR = { bcid: 'qrcode', eclevel: 'M', scale: 4, paddingwidth: 4, paddingheight: 4 } as const;
const IssueBody = z.strictObject({ gatewayId: GatewayId, stationId: z.string().min(1).max(128) });

/**
 * `GET /api/bench-tokens/benches`: the benches the hub knows; `POST /api/bench-tokens {gatewayId, stationId}`: a bench
 * token for the signed-in officer at that bench, with its QR code as SVG (the bench console verifies it). Officers only:
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
    const issued = await tokens.issue(req.session!.username, b.data);
    // The QR the bench's scanner reads: the token alone (a 2D scanner types it into the bench console's scan field).
    res.status(201).json({ ...issued, qrSvg: await qrSvg({ ...QR, text: issued.token }) });
  });
  return r;
}
