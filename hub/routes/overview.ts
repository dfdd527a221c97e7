import { Router } from 'express';
import { z } from 'zod';
import { validationError } from '../../shared/errors.ts';
import { hashToken, requireRole, tokenFrom } from '../auth/sessions.ts';
import { DEFAULT_STREAM_LIMITS, StreamLimiter } from '../http-guards.ts';
import type { ZoneStatsService } from '../services/zone-stats.ts';
import type { Storage } from '../storage/storage.ts';

const Query = z.object({ hours: z.coerce.number().int().min(1).max(168).default(24) });

/** SSE comment lines keep proxies and load balancers from closing a quiet stream (most cut idle ones at 30–60 s). */
const HEARTBEAT_MS = 15_000;

/**
 * The zone overview: every role that opens the dashboard sees it (counts, dwell and the queue's size carry no personal
 * data; the oldest queue item is named by its waybill number, which operators may look up anyway).
 * GET /api/overview?hours=24 — the figures once; GET /api/overview/stream?hours=24 — Server-Sent Events, an `overview`
 * message at once, every 5 s and soon after each ingested batch, with heartbeats; closed with the connection.
 */
export function overviewRoutes(storage: Storage, zoneStats: ZoneStatsService, opts: { heartbeatMs?: number; streams?: StreamLimiter } = {}): Router {
  const r = Router();
  const read = requireRole(storage, 'admin', 'manager', 'officer', 'operator');
  const parse = (query: unknown) => {
    const q = Query.safeParse(query);
    if (!q.success) throw validationError(q.error, 'VALIDATION_FAILED', 'query');
    return q.data;
  };
  r.get('/api/overview', read, async (req, res) => {
    res.json(await zoneStats.overview(parse(req.query).hours));
  });
  // Streams are bounded per session and in all (http.streams): one more is refused with 429 TOO_MANY_STREAMS.
  r.get('/api/overview/stream', read, (opts.streams ?? new StreamLimiter(DEFAULT_STREAM_LIMITS)).middleware(), (req, res) => {
    const { hours } = parse(req.query);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to; a buffered stream is not live.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    // The browser's EventSource reconnects after this long when the stream drops.
    res.write('retry: 3000\n\n');
    // A stream outlives the request that opened it: at each heartbeat the session must still be there (signed out,
    // expired, disabled by an admin → the stream ends, and the browser's reconnect gets a 401).
    const tokenHash = hashToken(tokenFrom(req)!);
    const heartbeat = setInterval(() => {
      void storage.getSession(tokenHash, Date.now()).then(
        (s) => (s ? res.write(': heartbeat\n\n') : res.end()),
        () => res.write(': heartbeat\n\n'),
      );
    }, opts.heartbeatMs ?? HEARTBEAT_MS);
    let closed = false;
    const stop = zoneStats.watch(hours, {
      send: (o) => void (closed || res.write(`event: overview\ndata: ${JSON.stringify(o)}\n\n`)),
      end: () => res.end(),
    });
    res.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      stop();
    });
  });
  return r;
}
