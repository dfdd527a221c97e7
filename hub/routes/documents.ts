import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { CustomsService } from '../services/customs.ts';
import type { Storage } from '../storage/storage.ts';

/** `POST /api/documents {documents: [...]}`: customs documents (JSON) in; each order touched is matched and decided. */
const Body = z.object({ documents: z.array(z.unknown()).min(1).max(5000) });

export function documentRoutes(storage: Storage, customs: CustomsService): Router {
  const r = Router();
  r.post('/api/documents', requireRole(storage, 'admin', 'officer'), async (req, res) => {
    const b = Body.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    const outcomes = await customs.ingest(b.data.documents, req.session!.username);
    res.json({
      outcomes: outcomes.map((o) => ({
        orderNo: o.orderNo,
        parcelKey: o.parcelKey,
        decision: o.release.decision,
        reasons: o.release.reasons,
        risk: { level: o.risk.level, rulesVersion: o.risk.rulesVersion, reasons: o.risk.reasons },
        // Mismatch values are masked by the matcher (ID numbers, phones).
        match: { complete: o.match.complete, consistent: o.match.consistent, missing: o.match.missing, mismatches: o.match.mismatches },
      })),
    });
  });
  return r;
}
