import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import type { GatewayRecord, Storage } from '../storage/storage.ts';

export function gatewayView(g: GatewayRecord, nowMs: number, offlineAfterMs: number) {
  const online = g.lastSeenMs !== null && nowMs - g.lastSeenMs < offlineAfterMs;
  const s = g.lastStatus;
  return {
    id: g.id,
    online,
    lastSeenMs: g.lastSeenMs,
    ackedSeq: g.ackedSeq,
    reportedHeadSeq: s?.headSeq ?? g.lastHello?.headSeq ?? null,
    backlog: s?.backlog ?? null,
    backlogAgeMs: s?.backlog.oldestWallMs ? Math.max(0, (s.wallMs ?? nowMs) - s.backlog.oldestWallMs) : 0,
    disk: s?.disk ?? null,
    clockSynced: s?.clockSynced ?? null,
    clockOffsetMs: g.clockOffsetMs,
    journal: { alerts: g.alertCount, keyPinned: g.publicKeyPem !== null },
    agentVersion: g.lastHello?.agentVersion ?? null,
  };
}

export function gatewayRoutes(storage: Storage, offlineAfterMs: number): Router {
  const r = Router();
  const auth = requireRole(storage);
  r.get('/api/gateways', auth, async (_req, res) => {
    const now = Date.now();
    res.json({ items: (await storage.listGateways()).map((g) => gatewayView(g, now, offlineAfterMs)) });
  });
  const AlertQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
  r.get('/api/gateways/:id/alerts', auth, async (req, res) => {
    const q = AlertQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json({ items: await storage.listAlerts(String(req.params.id), q.data.limit) });
  });
  return r;
}
