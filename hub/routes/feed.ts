import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { FeedKind } from '../../shared/stations/feed.ts';
import { requireRole } from '../auth/sessions.ts';
import type { StationFeedService } from '../services/station-feed.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The station feed over HTTP: what the gateways' stations decide from (decisions, slips, rules, expected lists).
 * Customs logic (issue 5) writes it through the service; officers and admins may also put entries by hand (a hold
 * placed at the bench), and anyone signed in can read the head and the hub's rules key.
 */
const Put = z.object({ changes: z.array(z.object({ kind: FeedKind, key: z.string().min(1).max(128), value: z.unknown() })).min(1).max(1000) });

export function feedRoutes(storage: Storage, feed: StationFeedService, publicKeyPem: string): Router {
  const r = Router();
  r.put('/api/feed', requireRole(storage, 'admin', 'officer'), async (req, res) => {
    const p = Put.safeParse(req.body);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'body');
    try {
      const head = await feed.put(p.data.changes.map((c) => ({ ...c, value: c.value ?? null })));
      // What an officer pushed to the stations by hand is a decision: it goes on the audit chain.
      for (const c of p.data.changes) await storage.appendAudit({ actor: req.session!.username, action: `feed.${c.value === null ? 'delete' : 'put'}`, subject: `${c.kind}:${c.key}`, detail: { version: head, ...(c.kind === 'decision' && c.value ? { decision: (c.value as { decision?: unknown }).decision } : {}) } }, Date.now());
      res.json({ headVersion: head });
    } catch (e) {
      if (e instanceof z.ZodError) throw validationError(e, 'VALIDATION_FAILED', 'body.changes');
      throw e;
    }
  });
  r.get('/api/feed', requireRole(storage), async (req, res) => {
    const since = z.coerce.number().int().min(0).default(0).safeParse(req.query.since);
    if (!since.success) throw validationError(since.error, 'VALIDATION_FAILED', 'query.since');
    res.json(await storage.feedSince(since.data, 500));
  });
  r.get('/api/feed/public-key', requireRole(storage), (_req, res) => {
    res.type('application/x-pem-file').send(publicKeyPem);
  });
  return r;
}
