import express, { type NextFunction, type Request, type Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { BondgateError, isBondgateError } from '../shared/errors.ts';
import { hashToken, tokenFrom } from './auth/sessions.ts';
import { DEFAULT_STREAM_LIMITS, requestGuards, StreamLimiter } from './http-guards.ts';
import type { HubMetrics } from './metrics.ts';
import { authRoutes } from './routes/auth.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { auditRoutes } from './routes/audit.ts';
import { adminRoutes } from './routes/admin.ts';
import type { AdminService } from './services/admin.ts';
import { documentRoutes, type DocumentIntake } from './routes/documents.ts';
import { documentBatchRoutes } from './routes/document-batches.ts';
import type { DocumentBatchService } from './services/document-batches.ts';
import type { CustomsService } from './services/customs.ts';
import type { CaseService } from './services/cases.ts';
import { caseRoutes } from './routes/cases.ts';
import { benchTokenRoutes } from './routes/bench-tokens.ts';
import type { BenchTokenService } from './services/bench-tokens.ts';
import { feedRoutes } from './routes/feed.ts';
import { imageRoutes } from './routes/images.ts';
import type { ImageFetchService } from './services/image-fetch.ts';
import { parcelRoutes } from './routes/parcels.ts';
import { lineExceptionRoutes } from './routes/line-exceptions.ts';
import type { LineExceptionService } from './services/line-exceptions.ts';
import { returnRoutes, stockRoutes } from './routes/returns.ts';
import type { ReturnsService } from './services/returns.ts';
import type { StockService } from './services/stock.ts';
import type { StationFeedService } from './services/station-feed.ts';
import { maskResponses } from './auth/mask-responses.ts';
import { traceRoutes } from './routes/trace.ts';
import { alarmRoutes } from './routes/alarms.ts';
import type { AlarmService } from './services/alarms.ts';
import { stockStateRoutes } from './routes/stock-states.ts';
import type { StockStateService } from './services/stock-states.ts';
import { releaseSlipRoutes } from './routes/release-slips.ts';
import { bondedRoutes } from './routes/bonded.ts';
import type { BondedService } from './services/bonded.ts';
import type { ReleaseSlipService } from './services/release-slips.ts';
import type { TraceService } from './services/trace.ts';
import { searchRoutes } from './routes/search.ts';
import type { SearchService } from './services/search.ts';
import { statsRoutes } from './routes/stats.ts';
import { riskRuleRoutes } from './routes/risk-rules.ts';
import { riskDataRoutes } from './routes/risk-data.ts';
import type { SamplingService } from './services/sampling.ts';
import type { EnterpriseCreditService } from './services/enterprise-credit.ts';
import { eportSignerRoutes } from './routes/eport-signer.ts';
import type { EportSignerService } from './services/eport-signer.ts';
import { eportRoutes } from './routes/eport.ts';
import type { EportExchange } from './eport/exchange.ts';
import type { RiskRulesService } from './services/risk-rules.ts';
import type { StatsService } from './services/stats.ts';
import type { Storage } from './storage/storage.ts';
import type { AuditHeadAnchor } from './audit.ts';
import { overviewRoutes } from './routes/overview.ts';
import type { ZoneStatsService } from './services/zone-stats.ts';

/** How the hub is reached over HTTP (config `http`): what it answers to and whom it trusts to say who the client is. */
export interface HttpOptions {
  /** The listen address; a name here is answered (besides IP literals and localhost). */
  listenHost: string;
  /** express's 'trust proxy' (config http.trustProxy). Default false: X-Forwarded-For is ignored. */
  trustProxy: boolean | number | string | string[];
  publicOrigins: string[];
  allowedHosts: string[];
  streams: { perSession: number; total: number };
}

export interface AppDeps {
  /** Default: 127.0.0.1, no proxy trusted, no public origin or extra host name, the default stream limits. */
  http?: Partial<HttpOptions>;
  /** The zone overview's figures (GET /api/overview, /api/overview/stream). */
  zoneStats?: ZoneStatsService;
  storage: Storage;
  metrics: HubMetrics;
  log: Logger;
  sessionTtlMs: number;
  metricsToken?: string;
  gatewayOfflineAfterMs: number;
  health: () => { mqttConnected: boolean; hubId: string };
  feed?: { service: StationFeedService; publicKeyPem: string };
  /** The signed checkpoint of the audit chain's head that verification holds the chain against (hub/audit-anchor.ts). */
  auditHead?: () => AuditHeadAnchor;
  images?: ImageFetchService;
  customs?: CustomsService;
  /** Where POST /api/documents parses CEB XML (a worker pool) and how many XML uploads it takes at once. */
  documentIntake?: DocumentIntake;
  /** Batch document intake with progress (POST /api/documents/batches). */
  batches?: DocumentBatchService;
  /** Users and gateway credentials (admin only). */
  admin?: AdminService;
  cases?: CaseService;
  /** Bench tokens for officers at edge inspection benches (GET /api/bench-tokens/benches, POST /api/bench-tokens). */
  benchTokens?: BenchTokenService;
  /** Line exceptions: parcels the line diverted with no declaration (GET /api/line-exceptions, POST …/:parcelKey/handle). */
  lineExceptions?: LineExceptionService;
  /** Returns (退货) and warehouse stock (GET /api/returns, /api/export-returns, /api/stock). */
  returns?: ReturnsService;
  stock?: StockService;
  /** Traceability (GET /api/trace/product/:gtin, /api/trace/parcel/:parcelKey). */
  trace?: TraceService;
  /** Release slips (POST/GET /api/slips…). */
  releaseSlips?: ReleaseSlipService;
  /** The bonded account book, lists, slips, receipts and reconciliation (GET/POST /api/bonded/…). */
  bonded?: BondedService;
  /** Parcel search and the timeline's audit history (GET /api/search, /api/parcels/:key/audit, /api/parcels/:key/originals/:kind). */
  search?: SearchService;
  /** Gateway and device alarms, device health (GET /api/alarms, POST /api/alarms/:id/ack, GET /api/gateways/:id/devices). */
  alarms?: AlarmService;
  /** Stock with its customs state (GET /api/stock/states). */
  stockStates?: StockStateService;
  /** Statistics (GET /api/stats, /api/stats.csv). */
  stats?: StatsService;
  /** Risk rule versions, what-if and apply (admin only, /api/risk-rules…). */
  riskRules?: RiskRulesService;
  /** The sampling key's id and rotation (admin only, /api/sampling-key…). */
  sampling?: SamplingService;
  /** Enterprise credit classes (admin only, /api/enterprise-credit…); shown on the case detail. */
  credit?: EnterpriseCreditService;
  /** The e-port signer's state (GET /api/eport/signer); `null` = none configured (the route answers `configured: false`). */
  eportSigner?: EportSignerService | null;
  /** The e-port exchange (issue 18), when configured. */
  eport?: EportExchange;
}

const pickLimits = (l: { perTransactionCny: number; annualCny: number; tradeModes: string[] }) => ({ perTransactionCny: l.perTransactionCny, annualCny: l.annualCny, tradeModes: l.tradeModes });

/**
 * JSON bodies are UTF-8 (RFC 8259), and body-parser would decode bad bytes to U+FFFD and go on: refuse them instead
 * (mapped to a 400 VALIDATION_FAILED by the error handler).
 */
function utf8Only(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new Error('the request body is not valid UTF-8');
}

/** The hub's HTTP app, separate from listen() so tests can drive it directly. */
export function buildApp(d: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip and req.protocol come from X-Forwarded-For / -Proto only from a proxy trusted here (login backoff keys on req.ip).
  app.set('trust proxy', d.http?.trustProxy ?? false);
  // The dashboard (hub/ui, built by `npm run build:ui` — npm start and npm test build it first); the minimal page in
  // hub/public stands in when it has not been built, its inline script and style allowed by their hashes.
  const ui = fileURLToPath(new URL('./ui/dist', import.meta.url));
  const uiBuilt = existsSync(join(ui, 'index.html'));
  const fallbackPage = fileURLToPath(new URL('./public', import.meta.url));
  app.use(
    requestGuards({
      listenHost: d.http?.listenHost ?? '127.0.0.1',
      publicOrigins: d.http?.publicOrigins ?? [],
      allowedHosts: d.http?.allowedHosts ?? [],
      ...(uiBuilt ? {} : { csp: inlineHashes(join(fallbackPage, 'index.html')) }),
    }),
  );
  const streams = new StreamLimiter(d.http?.streams ?? DEFAULT_STREAM_LIMITS);
  // Personal data leaves masked for every role but customs officers, whatever the route (hub/auth/mask-responses.ts).
  app.use(maskResponses());
  // Feed puts carry expected lists and signed rules (up to 2 MB a value): a larger, route-scoped limit.
  app.use('/api/feed', express.json({ limit: '2mb', verify: utf8Only }));
  // A slip lists up to 10,000 parcel keys.
  app.use('/api/slips', express.json({ limit: '1mb', verify: utf8Only }));
  // Batch uploads (up to 200 MB) stream their own bodies: mounted before the JSON parsers so theirs never run on them.
  if (d.batches) app.use(documentBatchRoutes(d.storage, d.batches, streams));
  // CEB XML is read as bytes by its own route (routes/documents.ts: admitted first, decoded by its declared encoding).
  app.use('/api/documents', express.json({ limit: '16mb', verify: utf8Only }));
  // Rule sets carry watch lists and the positive list (up to 100,000 entries each).
  app.use('/api/risk-rules', express.json({ limit: '8mb', verify: utf8Only }));
  app.use('/api/enterprise-credit', express.json({ limit: '24mb', verify: utf8Only }));
  app.use(express.json({ limit: '64kb', verify: utf8Only }));
  app.use((req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ?? 'unmatched';
      d.metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      // Server-Sent Event streams stay open for minutes: they would drown the latency figures.
      if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) return;
      d.metrics.httpSeconds.observe({ route, method: req.method }, Number(process.hrtime.bigint() - t0) / 1e9);
    });
    next();
  });

  // Liveness for load balancers and orchestrators: no data, so no authentication.
  app.get('/healthz', (_req, res) => {
    const h = d.health();
    res.status(h.mqttConnected ? 200 : 503).json({ status: h.mqttConnected ? 'ok' : 'degraded', hubId: h.hubId, storage: d.storage.kind, mqttConnected: h.mqttConnected });
  });
  app.get('/metrics', async (req, res, next) => {
    const token = tokenFrom(req);
    const allowed = (d.metricsToken && token === d.metricsToken) || (token && (await d.storage.getSession(hashToken(token), Date.now())));
    if (!allowed) return next(new BondgateError('UNAUTHENTICATED', 'metrics need a session or the metrics token'));
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });

  app.use(authRoutes(d.storage, d.sessionTtlMs));
  app.use(parcelRoutes(d.storage, d.cases, { ...(d.releaseSlips ? { slips: d.releaseSlips } : {}), ...(d.lineExceptions ? { lineExceptions: d.lineExceptions } : {}) }));
  if (d.lineExceptions) app.use(lineExceptionRoutes(d.storage, d.lineExceptions));
  app.use(gatewayRoutes(d.storage, d.gatewayOfflineAfterMs));
  if (d.feed) app.use(feedRoutes(d.storage, d.feed.service, d.feed.publicKeyPem));
  if (d.images) app.use(imageRoutes(d.storage, d.images));
  app.use(auditRoutes(d.storage, d.auditHead));
  if (d.admin) app.use(adminRoutes(d.storage, d.admin));
  if (d.customs) app.use(documentRoutes(d.storage, d.customs, d.documentIntake));
  if (d.cases) app.use(caseRoutes(d.storage, d.cases, d.credit));
  if (d.benchTokens) app.use(benchTokenRoutes(d.storage, d.benchTokens));
  if (d.returns) app.use(returnRoutes(d.storage, d.returns));
  if (d.stockStates) app.use(stockStateRoutes(d.storage, d.stockStates));
  if (d.stock) app.use(stockRoutes(d.storage, d.stock));
  if (d.alarms) app.use(alarmRoutes(d.storage, d.alarms));
  if (d.trace) app.use(traceRoutes(d.storage, d.trace));
  if (d.releaseSlips) app.use(releaseSlipRoutes(d.storage, d.releaseSlips));
  if (d.bonded) app.use(bondedRoutes(d.storage, d.bonded));
  if (d.search) app.use(searchRoutes(d.storage, d.search));
  if (d.zoneStats) app.use(overviewRoutes(d.storage, d.zoneStats, { streams }));
  if (d.stats) app.use(statsRoutes(d.storage, d.stats));
  if (d.riskRules) app.use(riskRuleRoutes(d.storage, d.riskRules));
  if (d.sampling || d.credit || d.customs) {
    const customs = d.customs;
    const valueLimits = customs && (() => ({ ...pickLimits(customs.activeRules.valueLimits), rulesVersion: customs.rulesVersion }));
    app.use(riskDataRoutes(d.storage, { ...(d.sampling ? { sampling: d.sampling } : {}), ...(d.credit ? { credit: d.credit } : {}), ...(valueLimits ? { valueLimits } : {}) }));
  }
  if (d.eportSigner !== undefined) app.use(eportSignerRoutes(d.storage, d.eportSigner ?? undefined));
  if (d.eport) app.use(eportRoutes(d.storage, d.eport));
  // Hashed assets are immutable; index.html is always revalidated.
  if (uiBuilt) {
    app.use('/assets', express.static(join(ui, 'assets'), { immutable: true, maxAge: '365d', index: false }));
    app.use(express.static(ui, { index: 'index.html', maxAge: 0 }));
  } else app.use(express.static(fallbackPage, { index: 'index.html' }));

  app.use('/api', (_req, _res, next) => next(new BondgateError('NOT_FOUND', 'no such API route')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if ((err as { type?: string }).type === 'entity.too.large') err = new BondgateError('PAYLOAD_TOO_LARGE');
    else if ((err as { type?: string }).type === 'entity.verify.failed') err = new BondgateError('VALIDATION_FAILED', 'the request body is not valid UTF-8', [{ field: 'body', message: 'not valid UTF-8' }]);
    else if ((err as { type?: string }).type === 'entity.parse.failed') err = new BondgateError('VALIDATION_FAILED', 'the request body is not valid JSON', [{ field: 'body', message: 'not JSON' }]);
    if (isBondgateError(err)) {
      if (err.status >= 500) d.log.error({ code: err.code, path: req.path }, err.message);
      return res.status(err.status).json(err.toJSON());
    }
    d.log.error({ err: (err as Error).message, path: req.path }, 'unhandled error');
    res.status(500).json({ code: 'INTERNAL', message: 'internal error', fields: [] });
  });
  return app;
}

/** CSP hashes of a page's inline <script> and <style> elements. */
function inlineHashes(file: string): { scriptSrc: string[]; styleSrc: string[] } {
  const html = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const hashes = (tag: string) => [...html.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => `sha256-${createHash('sha256').update(m[1]!).digest('base64')}`);
  return { scriptSrc: hashes('script'), styleSrc: hashes('style') };
}
