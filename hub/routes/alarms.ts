import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { AlarmState } from '../customs/alarms.ts';
import { requireRole } from '../auth/sessions.ts';
import type { AlarmService } from '../services/alarms.ts';
import type { Storage } from '../storage/storage.ts';

const AlarmListQuery = z.object({
  state: z.preprocess((v) => (v === undefined || v === '' ? undefined : String(v).split(',').filter(Boolean)), z.array(AlarmState).max(3).optional()),
  gatewayId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
const AckBody = z.object({ reason: z.string().trim().min(1).max(500) });

function parse<T extends z.ZodType>(schema: T, input: unknown, part: string): z.output<T> {
  const q = schema.safeParse(input);
  if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', part);
  return q.data;
}

/**
 * `GET /api/alarms?state=open,acknowledged&gatewayId=&cursor=` (every role: officers watch seals and fences too),
 * `POST /api/alarms/:id/ack {reason}` (the people who run the zone's equipment: manager, operator, admin — an officer
 * reads but does not take on equipment alarms), `GET /api/gateways/:id/devices` (every role). No personal data here.
 */
export function alarmRoutes(storage: Storage, alarms: AlarmService): Router {
  const r = Router();
  const read = requireRole(storage, 'manager', 'officer', 'admin', 'operator');
  const act = requireRole(storage, 'manager', 'admin', 'operator');
  r.get('/api/alarms', read, async (req, res) => {
    const q = parse(AlarmListQuery, req.query, 'query');
    res.json(await alarms.list({ limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.gatewayId ? { gatewayId: q.gatewayId } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) }));
  });
  r.post('/api/alarms/:id/ack', act, async (req, res) => {
    const body = parse(AckBody, req.body, 'body');
    res.json(await alarms.ack(String(req.params.id), req.session!.username, body.reason));
  });
  r.get('/api/gateways/:id/devices', read, async (req, res) => {
    res.json({ items: await alarms.devices(String(req.params.id)) });
  });
  return r;
}
