import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BondgateError } from '../shared/errors.ts';
import { SESSION_COOKIE } from './auth/sessions.ts';

/**
 * What the hub checks on every request before any route runs, in the edge console's way (edge/console/server.ts):
 * the Host it is asked for, where a state-changing request comes from, the headers every answer carries, and how
 * many event streams stay open. The decisions are pure functions; the middleware only reads headers and applies them.
 */

/** The host name of a Host header (lower case, no port, IPv6 without brackets). */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * The names the hub answers to: localhost, the listen address, the public origins' hosts and the configured names.
 * IP literals are always answered: DNS rebinding reaches a hub only through a host *name* it does not know.
 */
export function allowedHostNames(o: { listenHost: string; publicOrigins: readonly string[]; allowedHosts: readonly string[] }): Set<string> {
  const names = new Set(['localhost', o.listenHost.toLowerCase(), ...o.allowedHosts.map((h) => h.toLowerCase())]);
  for (const origin of o.publicOrigins) names.add(new URL(origin).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  return names;
}

/** Pure: may a request with this Host header be answered? */
export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!hostHeader) return false;
  const name = hostName(hostHeader);
  return isIP(name) !== 0 || allowed.has(name) || name.endsWith('.localhost');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestOrigin {
  method: string;
  /** The Origin header, when the client sent one (every current browser does on a POST, PUT, PATCH or DELETE). */
  origin: string | undefined;
  /** Sec-Fetch-Site, sent by current browsers on every request. */
  secFetchSite: string | undefined;
  /** `<protocol>://<Host header>` as this request reached the hub (behind a proxy: as the proxy forwarded it). */
  selfOrigin: string;
  /** The hub's public origins (http.publicOrigins), e.g. https://bondgate.zone.example behind a TLS proxy. */
  publicOrigins: readonly string[];
  /** An `Authorization: Bearer` header: no page of another origin can send one without a CORS preflight the hub never grants. */
  bearer: boolean;
  /** A session cookie came with the request (which a browser attaches to a same-site request, SameSite=Strict or not). */
  sessionCookie: boolean;
}

/**
 * Pure CSRF check: why a state-changing request is refused, or undefined. SameSite=Strict is not enough, since a page
 * on another port of the same host is the same *site*: the request must come from the hub's own *origin*. A request
 * with neither Origin nor Sec-Fetch-Site is not from a current browser: it is let through when it does not ride on
 * the cookie (an API client with a bearer token, or a sign-in), so a cookie is only ever honoured with an Origin.
 */
export function crossSiteRefusal(r: RequestOrigin): string | undefined {
  if (SAFE_METHODS.has(r.method.toUpperCase())) return undefined;
  const site = r.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  if (r.origin !== undefined) {
    const origin = r.origin.toLowerCase();
    if (origin !== r.selfOrigin.toLowerCase() && !r.publicOrigins.some((o) => o.toLowerCase() === origin)) return 'cross-site request refused (Origin is not this hub)';
    return undefined;
  }
  if (site === undefined && r.sessionCookie && !r.bearer) return 'a request signed in by cookie must carry an Origin header (API clients send Authorization: Bearer)';
  return undefined;
}

/** A public origin as the browser writes it in Origin (scheme://host[:port], no path, default port left out). */
export function normaliseOrigin(url: string): string {
  return new URL(url).origin;
}

export interface GuardOptions {
  listenHost: string;
  publicOrigins: readonly string[];
  allowedHosts: readonly string[];
  /** Extra script/style sources, e.g. the hashes of the fallback page's inline script and style. */
  csp?: { scriptSrc?: readonly string[]; styleSrc?: readonly string[] };
}

/**
 * Only our own files run (no inline script: the dashboard builds DOM with Preact, and sets styles through the CSSOM,
 * which CSP allows), nothing frames the hub, and no answer is sniffed as another type.
 */
export function contentSecurityPolicy(csp: GuardOptions['csp'] = {}): string {
  const src = (extra: readonly string[] = []) => ["'self'", ...extra.map((s) => `'${s}'`)].join(' ');
  return [
    "default-src 'none'",
    `script-src ${src(csp.scriptSrc)}`,
    `style-src ${src(csp.styleSrc)}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The hub's request guards, mounted first in buildApp. */
export function requestGuards(o: GuardOptions): RequestHandler {
  const allowed = allowedHostNames(o);
  const publicOrigins = o.publicOrigins.map(normaliseOrigin);
  const csp = contentSecurityPolicy(o.csp);
  return (req: Request, res: Response, next: NextFunction) => {
    res.set({
      'content-security-policy': csp,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    // API answers carry personal data and sessions: never kept by a browser or a shared cache. A route may say
    // otherwise (a parcel image is kept privately for an hour).
    if (req.path.startsWith('/api/') || req.path === '/metrics') res.set('cache-control', 'no-store');
    // Load balancers probe /healthz under whatever name they know the hub by; it holds no data.
    if (req.path !== '/healthz' && !hostAllowed(req.headers.host, allowed)) return next(new BondgateError('HOST_NOT_ALLOWED', `this hub does not answer to the host name ${JSON.stringify(hostName(req.headers.host ?? ''))}: add it to http.allowedHosts`));
    const refusal = crossSiteRefusal({
      method: req.method,
      origin: req.headers.origin,
      secFetchSite: headerValue(req.headers['sec-fetch-site']),
      selfOrigin: `${req.protocol}://${req.headers.host ?? ''}`,
      publicOrigins,
      bearer: /^bearer\s/i.test(req.headers.authorization ?? ''),
      sessionCookie: (req.headers.cookie ?? '').split(';').some((p) => p.trim().startsWith(`${SESSION_COOKIE}=`)),
    });
    if (refusal) return next(new BondgateError('CROSS_SITE', refusal));
    next();
  };
}

const headerValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Open Server-Sent Event streams, per session and in all: each holds a socket, a timer and a watcher for as long as
 * the client keeps it, so the number is bounded; one more is refused (429) rather than let a client exhaust the hub.
 */
export class StreamLimiter {
  private readonly bySession = new Map<string, number>();
  private total = 0;
  constructor(readonly limits: { perSession: number; total: number }) {}

  /** A slot for this session, with the function that gives it back (idempotent), or why not. */
  acquire(sessionKey: string): { release: () => void } | { refused: string } {
    const mine = this.bySession.get(sessionKey) ?? 0;
    if (mine >= this.limits.perSession) return { refused: `this session already has ${mine} open event streams (at most ${this.limits.perSession}): close one first` };
    if (this.total >= this.limits.total) return { refused: `the hub has ${this.total} open event streams (at most ${this.limits.total}): try again later` };
    this.bySession.set(sessionKey, mine + 1);
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const n = (this.bySession.get(sessionKey) ?? 1) - 1;
        if (n <= 0) this.bySession.delete(sessionKey);
        else this.bySession.set(sessionKey, n);
      },
    };
  }

  /** Open streams now (tests, metrics). */
  open(sessionKey?: string): number {
    return sessionKey === undefined ? this.total : (this.bySession.get(sessionKey) ?? 0);
  }

  /**
   * Middleware for a stream route, after its authentication: takes a slot for the request's session until the
   * response closes, or answers 429 TOO_MANY_STREAMS.
   */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const key = req.session?.tokenHash ?? 'anonymous';
      const slot = this.acquire(key);
      if ('refused' in slot) return next(new BondgateError('TOO_MANY_STREAMS', slot.refused));
      res.on('close', slot.release);
      next();
    };
  }
}

export const DEFAULT_STREAM_LIMITS = { perSession: 6, total: 200 } as const;
