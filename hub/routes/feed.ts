import { Router } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { jsonDepthExceeds } from '../../shared/json-depth.ts';
import { FeedKind, SignedRules } from '../../shared/stations/feed.ts';
import { requireRole } from '../auth/sessions.ts';
import type { StationFeedService } from '../services/station-feed.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * The station feed over HTTP: what the gateways' stations decide from. Decisions and release slips carry authority
 * (a line releases on a decision, a barrier rises on a slip): they come only from the services that own them (cases
 * and customs: POST /api/cases/…/actions, POST /api/documents; release slips: POST /api/slips), never from here.
 * Officers and admins may put the kinds that decide nothing by themselves here: station rules (signed by the hub)
 * and expected lists. Anyone signed in can read the head and the hub's rules key.
 */
const BY_HAND: ReadonlySet<FeedKind> = new Set(['rules', 'expected']);
/** A rules set nests 1 level, an expected list 3, inside `{changes: [{value}]}`: anything deeper is not a feed put. */
const MAX_DEPTH = 8;
const Put = z.object({ changes: z.array(z.object({ kind: FeedKind, key: z.string().min(1).max(128), value: z.unknown() })).min(1).max(1000) });

export function feedRoutes(storage: Storage, feed: StationFeedService, publicKeyPem: string): Router {
  const r = Router();
  r.put('/api/feed', requireRole(storage, 'admin', 'officer'), async (req, res) => {
    if (jsonDepthExceeds(req.body, MAX_DEPTH)) throw new BondgateError('VALIDATION_FAILED', `The input is not valid: body nests deeper than ${MAX_DEPTH} levels`, [{ field: 'body', message: `nests deeper than ${MAX_DEPTH} levels` }]);
    const p = Put.safeParse(req.body);
    if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'body');
    const owned = p.data.changes.flatMap((c, i) => (BY_HAND.has(c.kind) ? [] : [{ field: `body.changes.${i}.kind`, message: `${c.kind} entries come only from the ${c.kind === 'slip' ? 'release slip service (POST /api/slips)' : 'case service (POST /api/cases/:parcelKey/actions)'}` }]));
    if (owned.length > 0) throw new BondgateError('FORBIDDEN', `Decisions and release slips are not put in the feed by hand: ${owned[0]!.message}`, owned);
    try {
      const { head, stored } = await feed.putParsed(p.data.changes.map((c) => ({ ...c, value: c.value ?? null })));
      // What an officer pushed to the stations by hand goes on the audit chain with its content, as stored.
      const first = head - stored.length;
      for (const [i, c] of stored.entries()) {
        await storage.appendAudit({ actor: req.session!.username, action: `feed.${c.value === null ? 'delete' : 'put'}`, subject: `${c.kind}:${c.key}`, detail: { version: first + i + 1, value: auditValue(c.value) } }, Date.now());
      }
      res.json({ headVersion: head });
    } catch (e) {
      if (e instanceof z.ZodError) throw validationError(e, 'VALIDATION_FAILED', 'body.changes');
      if (e instanceof BondgateError && e.fields.length > 0) throw new BondgateError(e.code, e.message, e.fields.map((f) => ({ ...f, field: `body.changes.${f.field}` })));
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

/** Signed rules are audited as the rules and the key that signed them (the signature is the hub's own, not content). */
function auditValue(value: unknown): unknown {
  const signed = SignedRules.safeParse(value);
  return signed.success ? { rules: signed.data.rules, keyId: signed.data.keyId } : value;
}
