import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { ReleaseSlip } from '../../shared/stations/feed.ts';
import { requireRole } from '../auth/sessions.ts';
import { SlipIssueRequest } from '../customs/release-slips.ts';
import type { ReleaseSlipService } from '../services/release-slips.ts';
import type { Storage } from '../storage/storage.ts';
import { qrPng, qrSvg } from './qr-code.ts';

const ListQuery = z.object({
  // `status=approved&status=passed_gate1` or `status=approved,passed_gate1`.
  status: z.preprocess((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter(Boolean)), z.array(ReleaseSlip.shape.status).max(6).optional()),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(300).optional(),
});
const CandidateQuery = z.object({
  q: z.string().trim().min(1).max(64).optional(),
  direction: z.enum(['import', 'export']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(300).optional(),
});
const VoidBody = z.object({ reason: z.string().trim().min(1).max(500) });
const QrQuery = z.object({ format: z.enum(['svg', 'png']).default('svg') });

/** Big enough for a phone camera or a fixed lane scanner at arm's length; level M survives a crease or a smudge. */
const QR = { bcid: 'qrcode', eclevel: 'M', scale: 6, paddingwidth: 4, paddingheight: 4 } as const;

/**
 * Release slips. Officers issue and void them; officers, managers and admins read them (managers to track loads,
 * admins to support). The QR code is what the driver hands the gate: it carries the slip number alone.
 */
export function releaseSlipRoutes(storage: Storage, slips: ReleaseSlipService): Router {
  const r = Router();
  const read = requireRole(storage, 'officer', 'manager', 'admin');
  const act = requireRole(storage, 'officer');

  r.post('/api/slips', act, async (req, res) => {
    const b = SlipIssueRequest.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    res.status(201).json(await slips.issue(b.data, req.session!.username));
  });
  r.get('/api/slips', read, async (req, res) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    res.json(await slips.list({ limit: q.data.limit, ...(q.data.status ? { status: q.data.status } : {}), ...(q.data.cursor ? { cursor: q.data.cursor } : {}) }));
  });
  // Before '/api/slips/:passportNo', which would take 'candidates' for a slip number. Officers only: they issue slips.
  r.get('/api/slips/candidates', act, async (req, res) => {
    const q = CandidateQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    const { q: keyPrefix, direction, limit, cursor } = q.data;
    res.json(await slips.candidates({ limit, ...(keyPrefix ? { keyPrefix } : {}), ...(direction ? { direction } : {}), ...(cursor ? { cursor } : {}) }));
  });
  r.get('/api/slips/:passportNo', read, async (req, res) => {
    res.json(await slips.detail(String(req.params.passportNo)));
  });
  r.get('/api/slips/:passportNo/qr.svg', read, async (req, res) => {
    const q = QrQuery.safeParse(req.query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    const text = await slips.gatePayload(String(req.params.passportNo));
    if (q.data.format === 'png') res.type('image/png').send(await qrPng({ ...QR, text }));
    else res.type('image/svg+xml').send(await qrSvg({ ...QR, text }));
  });
  r.post('/api/slips/:passportNo/void', act, async (req, res) => {
    const b = VoidBody.safeParse(req.body);
    if (!b.success) throw validationError(b.error, 'VALIDATION_FAILED', 'body');
    res.json(await slips.void(String(req.params.passportNo), b.data.reason, req.session!.username));
  });
  return r;
}
