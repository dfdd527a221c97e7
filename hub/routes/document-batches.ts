import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { requireRole } from '../auth/sessions.ts';
import { DEFAULT_STREAM_LIMITS, StreamLimiter } from '../http-guards.ts';
import { tooLarge, type BatchFormat, type BatchJobView, type DocumentBatchService } from '../services/document-batches.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Batch intake with progress (hub/services/document-batches.ts):
 * - `POST /api/documents/batches` (officer, admin): JSON `{documents: […]}` or NDJSON (application/x-ndjson: one
 *   document, or one CEB XML message as a JSON string, per line), up to 200 MB, streamed to disk; 202 with the job.
 * - `GET /api/documents/batches[/:id]`: the job(s); `GET /api/documents/batches/:id/events`: Server-Sent Events,
 *   `progress` after each chunk and `done` at the end (the stream then closes).
 *
 * The body is read here, not by the app's JSON parsers (their limits are for small requests): mount this router
 * before them. Job views carry no personal data — field-level reasons name fields, and the matcher masks values.
 */

const Id = z.object({ id: z.uuid() });

function formatOf(req: Request): BatchFormat {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  throw new BondgateError('VALIDATION_FAILED', 'send application/json ({"documents": […]}) or application/x-ndjson (one document or CEB XML string per line)', [{ field: 'content-type', message: `"${type || '(none)'}" is not accepted` }]);
}

/** Whether the job will change no more. */
const finished = (v: BatchJobView) => v.status === 'done' || v.status === 'failed';

export function documentBatchRoutes(storage: Storage, batches: DocumentBatchService, streams: StreamLimiter = new StreamLimiter(DEFAULT_STREAM_LIMITS)): Router {
  const r = Router();
  const readers = requireRole(storage, 'admin', 'officer', 'manager');

  r.post('/api/documents/batches', requireRole(storage, 'admin', 'officer'), async (req: Request, res: Response) => {
    try {
      const format = formatOf(req);
      // Refuse a declared oversize upload before reading a byte of it.
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      if (declared > batches.maxBytes) throw tooLarge(batches.maxBytes);
      const job = await batches.receive(req, format, req.session!.username);
      await storage.appendAudit({ actor: req.session!.username, action: 'documents.batch', subject: job.id, detail: { format, bytes: job.bytes } }, Date.now());
      res.status(202).location(`/api/documents/batches/${job.id}`).json(job);
    } catch (e) {
      // The rest of a refused upload is not read: close the connection after the answer instead of draining it.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      throw e;
    }
  });

  r.get('/api/documents/batches', readers, (_req, res) => {
    res.json({ batches: batches.list().map(({ errors: _e, failedChunks: _f, ...summary }) => summary) });
  });

  r.get('/api/documents/batches/:id', readers, (req, res) => {
    res.json(find(batches, req.params));
  });

  r.get('/api/documents/batches/:id/events', readers, streams.middleware(), (req, res) => {
    const first = find(batches, req.params);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    let open = true;
    const send = (v: BatchJobView) => {
      if (open) res.write(`event: ${finished(v) ? 'done' : 'progress'}\ndata: ${JSON.stringify(v)}\n\n`);
    };
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      stop();
      res.end();
    };
    // A comment every 15 s keeps proxies from closing a quiet stream (a chunk can take a while).
    const heartbeat = setInterval(() => open && res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    const stop = batches.watch(first.id, (v) => {
      send(v);
      if (finished(v)) end();
    });
    req.on('close', end);
    send(first);
    // A finished job sends nothing more: its one event is the answer.
    if (finished(first)) end();
  });
  return r;
}

function find(batches: DocumentBatchService, params: unknown): BatchJobView {
  const p = Id.safeParse(params);
  if (!p.success) throw validationError(p.error, 'VALIDATION_FAILED', 'params');
  const job = batches.get(p.data.id);
  if (!job) throw new BondgateError('NOT_FOUND', `no document batch ${p.data.id} (batches are kept in memory: a restarted hub forgets them)`);
  return job;
}
