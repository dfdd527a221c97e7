import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { cebToDocuments } from '../customs/ceb/to-documents.ts';
import { requireRole } from '../auth/sessions.ts';
import type { CustomsService } from '../services/customs.ts';
import type { Storage } from '../storage/storage.ts';

/** `POST /api/documents`: `{documents: [...]}` as JSON, or one CEB XML message (application/xml); each order touched is matched and decided. */
const Body = z.object({ documents: z.array(z.unknown()).min(1).max(5000) });

export function documentRoutes(storage: Storage, customs: CustomsService): Router {
  const r = Router();
  r.post('/api/documents', requireRole(storage, 'admin', 'officer'), async (req, res) => {
    let outcomes;
    if (typeof req.body === 'string') {
      // A CEB XML message: parsed safely, validated against the XSD rules, mapped; the message is kept as received.
      const mapped = cebToDocuments(req.body);
      if (!mapped.ok) throw new BondgateError('VALIDATION_FAILED', `the CEB message is not valid (${mapped.issues.length} problem(s)); nothing was stored`, mapped.issues);
      outcomes = await customs.ingest(mapped.documents, req.session!.username, req.body);
    } else {
      const b = Body.safeParse(req.body);
      if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
      outcomes = await customs.ingest(b.data.documents, req.session!.username);
    }
    res.json({
      outcomes: outcomes.map((o) => ({
        orderNo: o.orderNo,
        parcelKey: o.parcelKey,
        decision: o.release.decision,
        reasons: o.release.reasons,
        risk: { level: o.risk.level, rulesVersion: o.risk.rulesVersion, reasons: o.risk.reasons },
        // Mismatch values are masked by the matcher (names, addresses, ID numbers, phones).
        match: { complete: o.match.complete, consistent: o.match.consistent, missing: o.match.missing, mismatches: o.match.mismatches },
      })),
    });
  });
  return r;
}
