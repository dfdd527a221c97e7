import { Router } from 'express';
import { BondgateError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { ImageFetchService } from '../services/image-fetch.ts';
import type { Storage } from '../storage/storage.ts';

const REF = /^img-[0-9a-f-]{36}\.(jpg|png|webp)$/;
const GW = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `GET /api/gateways/:id/images/:ref`: a station image, fetched from its gateway for the officer's screen. */
export function imageRoutes(storage: Storage, images: ImageFetchService): Router {
  const r = Router();
  r.get('/api/gateways/:id/images/:ref', requireRole(storage, 'admin', 'officer', 'manager'), async (req, res) => {
    const gw = String(req.params.id);
    const ref = String(req.params.ref);
    if (!GW.test(gw) || !REF.test(ref)) throw new BondgateError('VALIDATION_FAILED', 'not a gateway id and image ref');
    if (!(await storage.getGateway(gw))) throw new BondgateError('NOT_FOUND', `no gateway ${gw}`);
    const result = await images.fetch(gw, ref);
    if (!result.ok) throw new BondgateError(result.code === 'NOT_FOUND' ? 'NOT_FOUND' : result.code === 'TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED', result.message);
    // Labels show names and addresses: never kept by the browser or a proxy, like every API answer (http-guards.ts).
    res.setHeader('cache-control', 'no-store');
    res.type(result.contentType).send(Buffer.from(result.dataB64, 'base64'));
  });
  return r;
}
