import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BondgateError, isBondgateError, validationError, type FieldIssue } from '../../shared/errors.ts';
import { BenchOfficers, benchSignInRoutes } from './bench-signin.ts';
import { ConsoleInput, LoginBody } from './inputs.ts';
import { maskText, maskView } from './mask-view.ts';
import { LoginThrottle, OperatorSessions } from './sessions.ts';
import { StationFeed } from './station-feed.ts';
import type { ConsoleLog, ConsoleStation } from './types.ts';

export { ConsoleInput } from './inputs.ts';
export type { ConsoleLog, ConsoleStation, ConsoleView } from './types.ts';

/**
 * The edge's operator console: one small page per station (verdict, scans, weight, devices, sync, recent, actions),
 * live over Server-Sent Events, keyboard-first for a handheld scanner. Views are open to whoever reaches the bound
 * interface (127.0.0.1 by default); scans and actions need an operator session. The page is plain files in
 * ./public: no build step, no CDN, so it works with the hub and the internet unreachable.
 */

export interface ConsoleOptions {
  host: string;
  port: number;
  stations: ConsoleStation[];
  /**
   * Whether `pin` is operator `id`'s. Hash off the event loop (console-adapter's `operatorVerifier` runs scrypt in
   * libuv's threadpool): journal, sync and stations share this thread. A plain boolean is fine for a test.
   */
  verifyOperator(id: string, pin: string): boolean | Promise<boolean>;
  /** Shown in the page header instead of "Bondgate 边缘控制台 / Bondgate edge console". */
  title?: string;
  /** A session ends after this long without a request that used it. Default 12 h (one shift and a half). */
  sessionIdleMs?: number;
  /**
   * Sign-in attempts allowed per client address and per operator id within the window, counted before the PIN is
   * checked; past `max` failures in a row, one operator at one address waits longer after each (doubling up to
   * `maxWaitMs`). Default 5 per 5 minutes, waits up to 1 h (sessions.ts, LoginThrottle).
   */
  loginFailures?: { max: number; windowMs: number; maxWaitMs?: number };
  /** PINs shorter than this are refused unchecked. Default 6. */
  minPinLength?: number;
  /** PIN checks (scrypt hashes) running at once; more are refused with 429 SIGN_IN_BUSY and Retry-After. Default 2. */
  maxConcurrentSignIns?: number;
  /** Default 100 ms. */
  coalesceMs?: number;
  /** Default 5 s. */
  heartbeatMs?: number;
  /** Host names (besides IP literals, localhost and `host`) the console answers to, e.g. `gate-3.zone.local`. */
  allowedHosts?: string[];
  log?: ConsoleLog;
  /** This gateway's id and the hub's rules public key: bench stations check officers' bench tokens with them. */
  bench?: { gatewayId: string; publicKeyPem: string | undefined };
  /** Wall clock for session expiry and the login throttle (tests). */
  now?: () => number;
}

const SESSION_COOKIE = 'bg_console';
const BODY_LIMIT = '8kb';
const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));

/** Codes the console adds to shared/errors.ts's catalogue; the response shape is the same `{ code, message, fields }`. */
const CONSOLE_ERRORS = {
  RATE_LIMITED: { status: 429, message: 'Too many failed sign-ins from this address or for this operator: wait, then try again' },
  SIGN_IN_BUSY: { status: 429, message: 'Too many sign-ins are being checked: try again in a moment' },
  CROSS_SITE: { status: 403, message: 'Cross-site requests are refused' },
  HOST_NOT_ALLOWED: { status: 421, message: 'This console does not answer to that host name' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json' },
  ACTION_UNAVAILABLE: { status: 409, message: 'The station does not offer this action now' },
  STATION_FAILED: { status: 500, message: 'The station failed to handle the input' },
} as const;
type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;

class ConsoleError extends Error {
  readonly status: number;
  constructor(readonly code: ConsoleErrorCode, message?: string, readonly fields: FieldIssue[] = []) {
    super(message ?? CONSOLE_ERRORS[code].message);
    this.status = CONSOLE_ERRORS[code].status;
  }
  toJSON() {
    return { code: this.code, message: this.message, fields: this.fields };
  }
}

const silentLog: ConsoleLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function cookieToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function hostName(hostHeader: string): string {
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** The console's HTTP app (no listen), with the feeds it streams from so the caller can close them. */
function buildConsoleApp(o: ConsoleOptions) {
  const log = o.log ?? silentLog;
  const now = o.now ?? Date.now;
  const sessions = new OperatorSessions(o.sessionIdleMs ?? 12 * 3600_000, now);
  const benchOfficers = new BenchOfficers({ gatewayId: o.bench?.gatewayId ?? '', publicKeyPem: o.bench?.publicKeyPem, now });
  const throttle = new LoginThrottle({ max: o.loginFailures?.max ?? 5, windowMs: o.loginFailures?.windowMs ?? 5 * 60_000, maxWaitMs: o.loginFailures?.maxWaitMs ?? 3600_000 }, now);
  const minPinLength = o.minPinLength ?? 6;
  const maxConcurrentSignIns = o.maxConcurrentSignIns ?? 2;
  let signInsChecking = 0;
  const stations = new Map<string, ConsoleStation>();
  for (const s of o.stations) {
    if (stations.has(s.id)) throw new Error(`two console stations share the id ${s.id}`);
    stations.set(s.id, s);
  }
  const feeds = new Map<string, StationFeed>();
  const feedFor = (s: ConsoleStation) => {
    let f = feeds.get(s.id);
    if (!f) {
      f = new StationFeed(s, {
        coalesceMs: o.coalesceMs ?? 100,
        heartbeatMs: o.heartbeatMs ?? 5000,
        render: (st) => JSON.stringify(maskView(st.view())),
        onError: (e) => log.error({ stationId: s.id, err: (e as Error).message }, 'console view failed'),
      });
      feeds.set(s.id, f);
    }
    return f;
  };
  const allowedHosts = new Set(['localhost', o.host.toLowerCase(), ...(o.allowedHosts ?? []).map((h) => h.toLowerCase())]);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    res.set({
      // Only our own files: no inline script, so an injected string can never run (the page builds DOM with textContent).
      'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    // DNS rebinding reaches a 127.0.0.1 console only through a host *name*: answer IP literals and known names only.
    const host = req.headers.host;
    const name = host ? hostName(host) : '';
    if (!host || !(isIP(name) || allowedHosts.has(name))) return next(new ConsoleError('HOST_NOT_ALLOWED'));
    next();
  });

  /** CSRF: a browser says where a request comes from; refuse anything but our own origin (another port on the same host is another origin). */
  const sameOriginOnly = (req: Request, _res: Response, next: NextFunction) => {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return next(new ConsoleError('CROSS_SITE', `cross-site request refused (Sec-Fetch-Site: ${site})`));
    if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host}`) return next(new ConsoleError('CROSS_SITE', 'cross-site request refused (Origin does not match)'));
    next();
  };
  // A JSON body cannot be sent cross-origin without a CORS preflight, which the console never grants.
  const jsonOnly = (req: Request, _res: Response, next: NextFunction) => (req.is('application/json') ? next() : next(new ConsoleError('UNSUPPORTED_MEDIA_TYPE')));
  const jsonBody = express.json({ limit: BODY_LIMIT, type: 'application/json' });
  const operatorOf = (req: Request): string | undefined => {
    const token = cookieToken(req);
    return token === undefined ? undefined : sessions.use(token);
  };
  const requireOperator = (req: Request, res: Response, next: NextFunction) => {
    const operatorId = operatorOf(req);
    if (operatorId === undefined) return next(new BondgateError('UNAUTHENTICATED', 'sign in as an operator first (session missing or expired)'));
    res.locals.operatorId = operatorId;
    next();
  };
  const stationOf = (req: Request): ConsoleStation => {
    const s = stations.get(String(req.params.id));
    if (!s) throw new BondgateError('NOT_FOUND', 'no such station');
    return s;
  };
  const clientAddress = (req: Request) => req.socket.remoteAddress ?? 'unknown';

  app.get('/', (_req, res) => res.sendFile('index.html', { root: PUBLIC_DIR, headers: { 'cache-control': 'no-cache' } }));
  app.use('/static', express.static(PUBLIC_DIR, { index: false, dotfiles: 'deny', setHeaders: (res) => res.setHeader('cache-control', 'no-cache') }));

  app.get('/api/stations', (_req, res) => {
    res.json({ title: o.title ?? null, items: [...stations.values()].map((s) => ({ id: s.id, kind: s.kind, title: { zh: maskText(s.title.zh), en: maskText(s.title.en) } })) });
  });
  // Who is signed in, null when nobody: a plain answer, not a 401, since a read-only page is a normal state.
  app.get('/api/me', (req, res) => {
    res.json({ operatorId: operatorOf(req) ?? null });
  });
  // The attempt is counted (reserved) in the same synchronous step that checks the limits, before the PIN is
  // hashed: however many requests arrive together, no more than the limit are ever checked.
  app.post('/api/login', sameOriginOnly, jsonOnly, jsonBody, async (req, res) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const { operatorId, pin } = body.data;
    // Cannot be anyone's PIN, so it costs no hash and no attempt.
    if ([...pin].length < minPinLength) throw new BondgateError('VALIDATION_FAILED', `a PIN has at least ${minPinLength} characters`, [{ field: 'pin', message: `at least ${minPinLength} characters` }]);
    const ip = clientAddress(req);
    // Each check is a scrypt hash in libuv's small threadpool, which file and DNS work share: a burst waits its turn at the client.
    if (signInsChecking >= maxConcurrentSignIns) {
      res.set('retry-after', '1');
      throw new ConsoleError('SIGN_IN_BUSY');
    }
    const slot = throttle.reserve(operatorId, ip);
    if (!slot.ok) {
      res.set('retry-after', String(Math.ceil(slot.retryAfterMs / 1000)));
      log.warn({ operatorId, ip }, 'console sign-in refused: too many failures');
      throw new ConsoleError('RATE_LIMITED');
    }
    signInsChecking++;
    let ok: boolean;
    try {
      ok = (await o.verifyOperator(operatorId, pin)) === true;
    } catch (e) {
      slot.failed();
      throw e;
    } finally {
      signInsChecking--;
    }
    if (!ok) {
      slot.failed();
      log.warn({ operatorId, ip }, 'console sign-in refused');
      throw new BondgateError('UNAUTHENTICATED', 'wrong operator id or PIN');
    }
    slot.succeeded();
    // A new token at every sign-in: a token planted before it (session fixation) is worthless.
    const previous = cookieToken(req);
    if (previous) sessions.end(previous);
    const token = sessions.create(operatorId);
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
    log.info({ operatorId, ip }, 'console sign-in');
    res.json({ operatorId });
  });
  app.post('/api/logout', sameOriginOnly, (req, res) => {
    const token = cookieToken(req);
    if (token) sessions.end(token);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
    res.status(204).end();
  });

  app.get('/station/:id', (req, res) => {
    stationOf(req);
    res.sendFile('station.html', { root: PUBLIC_DIR, headers: { 'cache-control': 'no-cache' } });
  });
  app.get('/station/:id/view', (req, res) => {
    res.json(maskView(stationOf(req).view()));
  });
  app.get('/station/:id/events', (req, res) => {
    const station = stationOf(req);
    req.socket.setNoDelay(true);
    feedFor(station).add(res);
  });
  app.post('/station/:id/submit', sameOriginOnly, requireOperator, jsonOnly, jsonBody, async (req, res) => {
    const station = stationOf(req);
    const operatorId = res.locals.operatorId as string;
    const parsed = ConsoleInput.safeParse(req.body);
    if (!parsed.success) throw validationError(parsed.error);
    const input = parsed.data;
    if (input.kind === 'action') {
      const action = station.view().actions.find((a) => a.id === input.id);
      if (!action) throw new ConsoleError('ACTION_UNAVAILABLE', `the station does not offer ${input.id} now`, [{ field: 'id', message: 'not offered now' }]);
      if (action.needsReason && input.reason === undefined) {
        throw new BondgateError('VALIDATION_FAILED', 'this action needs a reason', [{ field: 'reason', message: 'required for this action' }]);
      }
    }
    let result: Awaited<ReturnType<ConsoleStation['submit']>>;
    try {
      const officer = station.kind === 'bench' && input.kind === 'action' ? benchOfficers.current(station.id) : undefined;
      result = await station.submit(input, operatorId, officer ? { officerToken: officer.token } : undefined);
    } catch (e) {
      log.error({ stationId: station.id, operatorId, kind: input.kind, err: (e as Error).message }, 'console input failed');
      throw new ConsoleError('STATION_FAILED');
    }
    // The scan text itself stays out of the log: a scanned ID card or a phone on a label would land there.
    log.info({ stationId: station.id, operatorId, kind: input.kind, actionId: input.kind === 'action' ? input.id : undefined, scanChars: input.kind === 'scan' ? input.text.length : undefined, ok: result.ok }, 'console input');
    res.json({ ok: result.ok === true, zh: result.zh === undefined ? undefined : maskText(result.zh), en: result.en === undefined ? undefined : maskText(result.en) });
  });

  app.use(benchSignInRoutes({ officers: benchOfficers, isBench: (id) => stations.get(id)?.kind === 'bench', guard: [sameOriginOnly, requireOperator, jsonOnly, jsonBody], log }));

  app.use((_req, _res, next) => next(new BondgateError('NOT_FOUND')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') err = new BondgateError('PAYLOAD_TOO_LARGE', `the body is over ${BODY_LIMIT}`);
    else if (type === 'entity.parse.failed') err = new BondgateError('VALIDATION_FAILED', 'the body is not valid JSON', [{ field: 'body', message: 'not JSON' }]);
    else if (type === 'charset.unsupported' || type === 'encoding.unsupported') err = new ConsoleError('UNSUPPORTED_MEDIA_TYPE');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (isBondgateError(err) || err instanceof ConsoleError) {
      if (err.status >= 500) log.error({ code: err.code, path: req.path }, err.message);
      return res.status(err.status).json(err.toJSON());
    }
    log.error({ err: (err as Error).message, path: req.path }, 'console: unhandled error');
    res.status(500).json({ code: 'INTERNAL', message: 'internal error', fields: [] });
  });

  return { app, closeFeeds: () => feeds.forEach((f) => f.close()) };
}

export async function startConsole(o: ConsoleOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const { app, closeFeeds } = buildConsoleApp(o);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : o.port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        closeFeeds();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
