import { Router } from 'express';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { StatsParams, statsCsv, type StatsService } from '../services/stats.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Statistics for managers, officers and admins. Aggregates only: counts and values per group, no parcel, buyer or
 * consignee appears, so nothing here needs masking.
 */
export function statsRoutes(storage: Storage, stats: StatsService): Router {
  const r = Router();
  const read = requireRole(storage, 'manager', 'officer', 'admin');
  const params = (query: unknown) => {
    const p = StatsParams.safeParse(query);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'query');
    return p.data;
  };
  r.get('/api/stats', read, async (req, res) => {
    res.json(await stats.report(params(req.query)));
  });
  r.get('/api/stats.csv', read, async (req, res) => {
    const p = params(req.query);
    const report = await stats.report(p);
    res
      .set('Content-Type', 'text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="bondgate-stats-${report.groupBy}-${report.from}-${report.to}.csv"`)
      .send(statsCsv(report, p.lang));
  });
  return r;
}
