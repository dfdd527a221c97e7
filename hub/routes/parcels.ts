import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { maskPersonal } from '../../shared/mask.ts';
import { PARCEL_STATES, trackingStatus } from '../../shared/parcel-state.ts';
import { requireRole } from '../auth/sessions.ts';
import { parcelStanding } from '../../shared/parcel-standing.ts';
import type { CaseService } from '../services/cases.ts';
import type { LineExceptionService } from '../services/line-exceptions.ts';
import type { ReleaseSlipService } from '../services/release-slips.ts';
import type { ParcelRecord, Storage } from '../storage/storage.ts';

const ParcelQuery = z.object({
  state: z.enum(PARCEL_STATES).optional(),
  q: z.string().min(1).max(64).optional(),
  stationId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

const present = (p: ParcelRecord) => ({ ...p, trackingStatus: trackingStatus(p.state) });

export function parcelRoutes(storage: Storage, cases?: CaseService, more: { slips?: Pick<ReleaseSlipService, 'slipOf'>; lineExceptions?: Pick<LineExceptionService, 'get'> } = {}): Router {
  const r = Router();
  const auth = requireRole(storage);
  r.get('/api/parcels', auth, async (req, res) => {
    const q = ParcelQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    const page = await storage.listParcels({
      limit: q.data.limit,
      ...(q.data.state ? { state: q.data.state } : {}),
      ...(q.data.q ? { keyPrefix: q.data.q } : {}),
      ...(q.data.stationId ? { stationId: q.data.stationId } : {}),
      ...(q.data.cursor ? { cursor: q.data.cursor } : {}),
    });
    res.json({ items: page.items.map(present), nextCursor: page.nextCursor });
  });
  r.get('/api/parcels/:key', auth, async (req, res) => {
    const key = String(req.params.key);
    const parcel = await storage.getParcel(key);
    // Customs' side of the timeline (the case, the receipts); a parcel may be declared before any station saw it.
    const customs = (await cases?.customsTimeline(key)) ?? null;
    if (!parcel && !customs) throw new BondgateError('NOT_FOUND', `no parcel ${key}`);
    const events = parcel ? await storage.parcelEvents(key, 1000) : [];
    const [slip, lineException] = await Promise.all([more.slips?.slipOf(key) ?? null, more.lineExceptions?.get(key)]);
    // One coherent state (issue 17 item 3): what the parcel waits for and who acts next, from the line, the case and the slip.
    const standing = parcelStanding({
      line: parcel?.state ?? null,
      case: customs ? { status: customs.case.status, inspectionResult: customs.case.inspectionResult } : null,
      slip,
      lineException: lineException?.status === 'open',
    });
    res.json({ parcel: parcel ? present(parcel) : null, timeline: maskPersonal(events), customs, standing, slip, lineException: lineException ?? null });
  });
  return r;
}
