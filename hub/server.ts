import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BondgateError } from '../shared/errors.ts';
import { ensurePrivateDir } from '../shared/private-files.ts';
import { AuditAnchor } from './audit-anchor.ts';
import { encodeMessage } from '../shared/sync-protocol.ts';
import { clientIdFor, topics } from '../shared/topics.ts';
import { buildApp } from './app.ts';
import { passwordIssues } from './auth/password-policy.ts';
import { stopStrengthWorker } from './auth/strength-pool.ts';
import { hashPassword, randomSecret } from './auth/passwords.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import type { HubConfig } from './config.ts';
import { createHubMetrics } from './metrics.ts';
import { DecodePool } from './services/decode-pool.ts';
import { CebPool, UploadGate } from './services/ceb-pool.ts';
import { loadSignatureSettings } from './services/signature-settings.ts';
import type { AuditInput } from './audit.ts';
import { ImageFetchService } from './services/image-fetch.ts';
import { CustomsService } from './services/customs.ts';
import { DocumentBatchService } from './services/document-batches.ts';
import { startDropFolder } from './services/drop-folder.ts';
import { startEportExchange, type EportExchange } from './eport/exchange.ts';
import { AdminService } from './services/admin.ts';
import { dynsecBrokerAccounts } from './services/broker-accounts.ts';
import { openUsersRepo } from './repos/users.ts';
import { CaseService } from './services/cases.ts';
import { BenchTokenService } from './services/bench-tokens.ts';
import { Projections } from './services/projections.ts';
import { parcelProjection } from './services/parcel-projection.ts';
import { openZoneStatsRepo } from './repos/zone-stats.ts';
import { ZoneStatsService } from './services/zone-stats.ts';
import { ReleaseSlip as FeedSlip } from '../shared/stations/feed.ts';
import { normaliseSlipNo } from '../shared/stations/gate.ts';
import { openAlarmRepo } from './repos/alarms.ts';
import { AlarmService } from './services/alarms.ts';
import { StockStateService } from './services/stock-states.ts';
import { openCaseRepo } from './repos/cases.ts';
import { openStatsRepo, trackCaseStats } from './repos/stats.ts';
import { StatsService } from './services/stats.ts';
import { openRiskRulesRepo } from './repos/risk-rules.ts';
import { RiskRulesService } from './services/risk-rules.ts';
import { openTraceRepo } from './repos/trace.ts';
import { TraceService } from './services/trace.ts';
import { openReturnsRepo } from './repos/returns.ts';
import { openStockRepo } from './repos/stock.ts';
import { ReturnsService } from './services/returns.ts';
import { StockService } from './services/stock.ts';
import { ReleaseSlipService } from './services/release-slips.ts';
import { LineExceptionService } from './services/line-exceptions.ts';
import { openLineExceptionRepo } from './repos/line-exceptions.ts';
import { openReleaseSlipRepo } from './repos/release-slips.ts';
import { openBondedRepo } from './repos/bonded.ts';
import { BondedService } from './services/bonded.ts';
import { IngestService } from './services/ingest.ts';
import { openIdentifierRepo } from './repos/identifiers.ts';
import { SearchService } from './services/search.ts';
import { StationFeedService } from './services/station-feed.ts';
import { createEportSigner, type EportSignerService } from './services/eport-signer.ts';
import { loadOrCreateSigningKey } from './signing-key.ts';
import { SamplingService } from './services/sampling.ts';
import { EnterpriseCreditService } from './services/enterprise-credit.ts';
import { openEnterpriseCreditRepo } from './repos/enterprise-credit.ts';
import { openStorage } from './storage/open.ts';
import { PartitionMaintenance } from './storage/pg-maintenance.ts';
import type { Storage } from './storage/storage.ts';

export interface RunningHub {
  hubId: string;
  feed: StationFeedService;
  /** The key gateways verify station rules with. */
  rulesPublicKeyPem: string;
  storage: Storage;
  httpUrl: string;
  mqttUrl: string;
  broker: EmbeddedBroker | undefined;
  /** Read models fed from stored events (tests that store events directly hand them on here). */
  projections: Projections;
  /** The e-port signer (issue 18), when `eport.signer` is configured: the Signer outgoing messages go through. */
  eportSigner: EportSignerService | undefined;
  /** Set when a first admin was created with a generated password (printed once). */
  generatedAdminPassword: string | undefined;
  /** The customs intake (documents and receipts, as the e-port delivers them) and the release slips: the demo drives these. */
  customs: CustomsService;
  releaseSlips: ReleaseSlipService;
  stop(): Promise<void>;
}

async function ensureAdmin(storage: Storage, password: string | undefined): Promise<string | undefined> {
  if ((await storage.countUsers()) > 0) return undefined;
  // The config check ran the policy's rules; the strength estimate runs here, only when the password is used.
  const issues = password === undefined ? [] : await passwordIssues('admin', password);
  await stopStrengthWorker(); // a start-up's one check: nobody is setting passwords, don't keep its thread a minute
  if (issues.length > 0) {
    await storage.close();
    throw new BondgateError('CONFIG_INVALID', `auth.adminPassword (BONDGATE_ADMIN_PASSWORD) does not meet the password policy: ${issues.map((i) => i.message).join('; ')}`, issues.map((i) => ({ field: 'auth.adminPassword', message: i.message })));
  }
  const pw = password ?? randomSecret(12);
  await storage.createUser({ username: 'admin', passwordHash: await hashPassword(pw), role: 'admin', displayName: 'Administrator', createdMs: Date.now() });
  return password ? undefined : pw;
}

function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new BondgateError('PORT_IN_USE', `HTTP port ${host}:${port} is already in use: choose another with PORT=8081 (or http.port in the config)`) : err),
    );
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export async function startHub(config: HubConfig, log: Logger): Promise<RunningHub> {
  const hubId = config.hubId ?? `${hostname()}-${process.pid}`;
  ensurePrivateDir(config.dataDir); // store, keys, spooled documents: owner-only (issue 13, item 10)
  const storage = await openStorage({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    sqliteFile: join(config.dataDir, 'hub.sqlite'),
    postgres: { poolSize: config.postgres.poolSize, statementTimeoutMs: config.postgres.statementTimeoutMs, applicationName: (config.postgres.applicationName ?? `bondgate-${hubId}`).slice(0, 63), partitionsAhead: config.postgres.partitionsAhead },
  });
  // Users and credentials (admin): migrated before anything logs in or a gateway is provisioned.
  const users = openUsersRepo(storage.sql);
  await users.migrate();
  for (const g of config.gateways) {
    const existing = await storage.getGateway(g.id);
    // A revoked gateway stays revoked across restarts, even though the config file still lists its password.
    if (!existing?.passwordHash && !(await users.gatewayCredential(g.id))?.revokedMs) await storage.upsertGateway({ id: g.id, passwordHash: await hashPassword(g.password) });
  }
  const generatedAdminPassword = await ensureAdmin(storage, config.auth.adminPassword);
  const metrics = createHubMetrics();

  let broker: EmbeddedBroker | undefined;
  let mqttUrl = config.mqtt.url;
  let mqttPassword = config.mqtt.password;
  if (!mqttUrl) {
    mqttPassword ??= randomSecret();
    broker = await startEmbeddedBroker({
      host: config.mqtt.embedded.host,
      port: config.mqtt.embedded.port,
      fallbackToFreePort: config.mqtt.embedded.fallbackToFreePort,
      hubUsername: config.mqtt.username,
      hubPassword: mqttPassword,
      gatewayPasswordHash: async (id) => (await storage.getGateway(id))?.passwordHash,
      log: log.child({ component: 'broker' }),
    });
    mqttUrl = broker.url;
    if (broker.movedFromPort !== null) {
      log.warn(`MQTT port ${broker.movedFromPort} is busy (another broker is running there); the embedded broker listens on ${broker.port} instead. Set MQTT_PORT to choose a port, or MQTT_URL to use the running broker.`);
    }
  }
  const shared = config.mqtt.shared ?? !broker;
  // An external Mosquitto with the dynamic security plugin: credential changes reach the broker at once, and gateways
  // revoked while it was unreachable are removed again (in the background: a broker that is down must not stop the hub).
  const brokerAccounts = config.mqtt.dynamicSecurity && mqttUrl
    ? dynsecBrokerAccounts({ url: mqttUrl, username: config.mqtt.username, ...(mqttPassword ? { password: mqttPassword } : {}), clientId: clientIdFor(config.mqtt.username, hubId, 'accounts', randomBytes(4).toString('hex')), log: log.child({ component: 'broker-accounts' }) })
    : undefined;
  const admin = new AdminService({
    storage,
    users,
    mqttUrl,
    ...(broker ? { disconnectGateway: (id: string) => broker.disconnectGateway(id) } : {}),
    ...(brokerAccounts ? { brokerAccounts } : {}),
  });
  if (brokerAccounts) {
    void admin.reconcileRevoked().then(
      (ids) => ids.length > 0 && log.info({ gateways: ids }, 'revoked gateways removed at the broker'),
      (e: Error) => log.warn({ err: e.message }, 'could not remove revoked gateways at the broker: tried again at the next start, or revoke again'),
    );
    // Accounts made before client ids were bound: bound now rather than at each gateway's next credential change.
    void admin.reconcileClientIds().then(
      (ids) => ids.length > 0 && log.info({ gateways: ids }, 'gateway accounts bound to their client ids at the broker'),
      (e: Error) => log.warn({ err: e.message }, 'could not bind gateway accounts to their client ids at the broker: tried again at the next start, or rotate their credentials'),
    );
  }

  const client: MqttClient = mqtt.connect(mqttUrl, {
    // Owned by the hub's user (the brokers refuse an id another account owns) and unique per process: several hubs
    // may share one user on an external broker (see README, MQTT broker).
    clientId: clientIdFor(config.mqtt.username, hubId, randomBytes(4).toString('hex')),
    username: config.mqtt.username,
    ...(mqttPassword ? { password: mqttPassword } : {}),
    // MQTT v5 for shared subscriptions; aedes (embedded) speaks 3.1.1.
    protocolVersion: shared ? 5 : 4,
    clean: true,
    keepalive: 15,
    reconnectPeriod: 1000,
    // Connected only once the ingest handler is attached (below): the stores and projections migrate and catch up
    // first, and no batch arrives to an empty room (it would be resent, but only after the edge's ack timeout).
    manualConnect: true,
    // No table of 65,536 two-byte Buffers for packet ids (hub/broker.ts, noPacketIdTable).
    writeCache: false,
  });
  client.on('connect', () => {
    // Acks are small and latency-bound: no Nagle delay on them.
    (client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    log.info({ mqttUrl, shared }, 'hub connected to broker');
    client.subscribe(topics.hubUp(shared), { qos: 1 }, (err) => {
      if (err) log.error({ err: err.message }, 'hub subscription refused');
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'hub broker connection error'));
  // MQTT v5: the broker says why it dropped us. 0x8E "session taken over": another connection got this client id —
  // with Mosquitto's use_username_as_clientid, another hub process (or tool) signed in with the same user name.
  client.on('disconnect', (packet) => {
    if (packet.reasonCode === 0x8e) log.error({ username: config.mqtt.username }, 'broker dropped the hub: another client connected with its client id (Mosquitto with a password file: each hub process needs its own MQTT user, mqtt.username / MQTT_USERNAME)');
  });
  const decodeWorkers = config.ingest.decodeWorkers ?? (availableParallelism() >= 2 ? 1 : 0);
  const decodePool = decodeWorkers > 0 ? new DecodePool(decodeWorkers, log.child({ component: 'decode' })) : undefined;
  // The hub signs station rules; gateways are configured with its public key (GET /api/feed/public-key).
  const signingKey = loadOrCreateSigningKey(config.dataDir);
  // The audit chain's head, signed with the same key and kept apart from the database (hub/audit-anchor.ts).
  const auditAnchor = new AuditAnchor({ storage, dataDir: config.dataDir, key: signingKey, log: log.child({ component: 'audit' }) });
  await auditAnchor.start();
  // Random sampling is drawn here under a key no gateway ever sees (issue 16 item 6); `customs` is set just below.
  const sampling = new SamplingService({ dataDir: config.dataDir, storage });
  let lineSamplingRate = (): number => 0;
  const feed = new StationFeedService({
    lineSample: (parcelKey) => sampling.sampled('line', parcelKey, lineSamplingRate()),
    storage,
    log: log.child({ component: 'feed' }),
    publish: (gw, batch) => client.publish(topics.feed(gw), encodeMessage(batch), { qos: 1 }),
    gateways: async () => (await storage.listGateways()).map((g) => g.id),
    signing: { privateKeyPem: signingKey.privateKeyPem, keyId: signingKey.keyId },
  });
  // Customs cases: the engine's decisions, the officers' actions, the read models fed from edge events.
  const baseCaseRepo = openCaseRepo(storage.sql);
  await baseCaseRepo.migrate();
  // Statistics roll up every case write (hub/repos/stats.ts); the catch-up repairs a write lost to a crash, or fills
  // the rollup from the cases on first start, in the background.
  const statsRepo = openStatsRepo(storage.sql);
  await statsRepo.migrate();
  const statsLog = log.child({ component: 'stats' });
  const caseRepo = trackCaseStats(baseCaseRepo, statsRepo, (e, parcelKey) => statsLog.error({ err: (e as Error).message, parcelKey }, 'stats rollup write failed'));
  void statsRepo.catchUp(baseCaseRepo).catch((e: Error) => statsLog.error({ err: e.message }, 'stats catch-up failed'));
  const returnsRepo = openReturnsRepo(storage.sql);
  await returnsRepo.migrate();
  const stockRepo = openStockRepo(storage.sql);
  await stockRepo.migrate();
  const returns = new ReturnsService({ storage, returns: returnsRepo, cases: caseRepo, log: log.child({ component: 'returns' }) });
  const stock = new StockService({ stock: stockRepo, returns, log: log.child({ component: 'stock' }) });
  const traceRepo = openTraceRepo(storage.sql);
  await traceRepo.migrate();
  const trace = new TraceService({ repo: traceRepo });
  // Alarms: raised by gateways (the 'alarms' projection) and by the hub itself (customs receipts, unconfirmed releases).
  const alarmRepo = openAlarmRepo(storage.sql);
  await alarmRepo.migrate();
  // Enterprise credit classes, loaded by admins and held in memory for the engine (issue 16 item 8).
  const creditRepo = openEnterpriseCreditRepo(storage.sql);
  await creditRepo.migrate();
  const credit = new EnterpriseCreditService({ repo: creditRepo, storage });
  await credit.init();
  // CEB XML is parsed in worker threads on every path (API, batches, drop folder, e-port InBox): the main thread runs the broker.
  const signatureSettings = loadSignatureSettings(config.signatures);
  const cebPool = new CebPool(config.documents.xmlWorkers, log.child({ component: 'ceb-xml' }), signatureSettings);
  // The e-port signer (issue 18): its state and alarms from the start, whether or not anything is being sent.
  const eportSigner = createEportSigner(config.eport.signer, { log: log.child({ component: 'eport-signer' }), alarms: alarmRepo, algorithms: signatureSettings.algorithms });
  eportSigner?.start();
  // The e-port exchange (issue 18), when configured: started below, once the slips it reads exist.
  let eport: EportExchange | undefined = undefined;
  const customs = new CustomsService({
    extras: { sampling, credit, rates: config.exchangeRates },
    storage,
    cases: caseRepo,
    feed,
    log: log.child({ component: 'customs' }),
    ...(config.riskRules ? { rules: config.riskRules } : {}),
    policy: { releaseAuthority: config.customs.releaseAuthority },
    alarms: alarmRepo,
    // A cancelled list (624/606 399): its parcel leaves any slip not yet past a gate.
    onCancelled: (c, actor) => releaseSlips.onCaseCancelled(c, actor),
    // Run after the documents are stored: return requests are matched against the stored original lists.
    onDocuments: [(docs, actor) => returns.onDocuments(docs, actor), (docs) => trace.onDocuments(docs), async (docs, actor) => eport?.onDocuments(docs, actor)],
    signatureCount: (status) => metrics.messageSignatures.inc({ status }),
    countWarnings: (warnings, kind) => warnings.forEach((w) => metrics.documentWarnings.inc({ code: w.code, kind })),
  });
  await customs.migrate();
  // The active stored rule version wins over the config file (which seeds version 1 on a fresh store).
  const riskRulesRepo = openRiskRulesRepo(storage.sql);
  await riskRulesRepo.migrate();
  const riskRules = new RiskRulesService({ repo: riskRulesRepo, customs, cases: caseRepo, storage, log: log.child({ component: 'risk-rules' }) });
  await riskRules.init(config.riskRules);
  lineSamplingRate = () => customs.activeRules.sampling.lineRate;

  // Release slips: issued by officers, pushed to the gates, closed by gate passages (the 'release-slips' projection).
  const slipRepo = openReleaseSlipRepo(storage.sql);
  await slipRepo.migrate();
  // With a bonded account book, slips are applied for by the enterprise and approved by customs' SAS221 (/api/bonded/slips):
  // officers no longer issue approved slips here, and the district comes from configuration.
  const releaseSlips = new ReleaseSlipService({ storage, slips: slipRepo, cases: caseRepo, feed, log: log.child({ component: 'release-slips' }), ...(config.bonded ? { district: config.bonded.district, issuing: 'bonded' as const } : {}) });
  // Line exceptions: diverted parcels with no declaration, in a queue until handled (the 'line-exceptions' projection).
  const lineExceptionRepo = openLineExceptionRepo(storage.sql);
  await lineExceptionRepo.migrate();
  const lineExceptions = new LineExceptionService({ repo: lineExceptionRepo, cases: caseRepo, storage, log: log.child({ component: 'line-exceptions' }) });
  // The bonded account book (金二), when configured: lists and slips 申报 by the enterprise, 审批 by customs' receipts.
  let bonded: BondedService | undefined;
  let stockStates = new StockStateService({ stock: stockRepo });
  if (config.bonded) {
    const bondedRepo = openBondedRepo(storage.sql);
    // Stock states come from the book alone (hub/bonded/stock-state.ts); without one the page says so.
    stockStates = new StockStateService({ stock: stockRepo, book: { repo: bondedRepo, emsNo: config.bonded.emsNo } });
    await bondedRepo.migrate();
    bonded = new BondedService({ repo: bondedRepo, storage, feed, config: config.bonded, alarms: alarmRepo, physicalStock: async () => (await stockRepo.totals({ warehouse: 'bonded' })).map((t) => ({ sku: t.sku, qty: t.qty })), outbox: config.eport.exchange !== undefined, onEnqueued: () => void eport?.tick(), log: log.child({ component: 'bonded' }) });
    await bonded.importLegacySlips();
  }
  // Parcel search: its identifiers read model (the 'identifiers' projection) reads cases and slips, so it migrates after them.
  const identifierRepo = openIdentifierRepo(storage.sql);
  await identifierRepo.migrate();
  const search = new SearchService({ storage, identifiers: identifierRepo, cases: caseRepo });
  // Gateway and device alarms, device health (the 'alarms' projection) for the gateways page.
  const alarms = new AlarmService({ storage, alarms: alarmRepo, log: log.child({ component: 'alarms' }) });
  // Officers' queue and actions; findings from the configured edge benches (a refused one raises an alarm).
  const cases = new CaseService({
    storage,
    cases: caseRepo,
    feed,
    log: log.child({ component: 'cases' }),
    benches: config.benches,
    benchKeyPem: signingKey.publicKeyPem,
    alarms: alarmRepo,
    policy: { releaseAuthority: config.customs.releaseAuthority },
    releaseConfirmWithinMs: config.customs.releaseConfirmWithinHours * 3600_000,
    redecide: (orderNo, actor) => customs.decide(orderNo, actor),
  });
  // `officer` authority: officer releases customs has not confirmed with an 800 are alarmed (checked every minute).
  const releaseSweep = config.customs.releaseAuthority === 'officer' ? setInterval(() => void cases.sweepUnconfirmedReleases().catch((e: Error) => log.error({ err: e.message }, 'unconfirmed-release sweep failed')), 60_000) : undefined;
  releaseSweep?.unref();
  // The bonded book's daily reconciliation against the desks' stock (differences raise bonded_book_difference alarms).
  const bondedRecon = bonded ? setInterval(() => void bonded.reconcileNow().catch((e: Error) => log.error({ err: e.message }, 'bonded reconciliation failed')), 24 * 3_600_000) : undefined;
  bondedRecon?.unref();
  const benchTokens = new BenchTokenService({ storage, benches: config.benches, privateKeyPem: signingKey.privateKeyPem, ttlMs: config.benchTokenTtlHours * 3600_000 });
  // The zone overview's hourly figures (the 'zone-stats' projection); a slip passing a gate counts its goods out.
  const zoneStatsRepo = openZoneStatsRepo(storage.sql);
  await zoneStatsRepo.migrate();
  const zoneStats = new ZoneStatsService({
    repo: zoneStatsRepo,
    cases: caseRepo,
    stats: statsRepo,
    log: log.child({ component: 'zone-stats' }),
    slipGoods: async (slipNo) => FeedSlip.safeParse(await storage.feedGet('slip', normaliseSlipNo(slipNo))).data?.goods ?? [],
  });
  const appendAudit = (input: AuditInput, atMs: number) => storage.appendAudit(input, atMs);
  eport = config.eport.exchange
    ? await startEportExchange({ config: config.eport.exchange, ...(eportSigner ? { signer: eportSigner } : {}), sql: storage.sql, customs, mapXml: cebPool.map, slip: async (no) => (await slipRepo.get(no))?.slip ?? FeedSlip.safeParse(await storage.feedGet('slip', normaliseSlipNo(no))).data, alarms: alarmRepo, metrics, appendAudit, ...(bonded ? { bonded: (r, o) => bonded.receiveFromInbox(r, o) } : {}), log: log.child({ component: 'eport' }) })
    : undefined;
  // First-line tallies held for a problem (an unmapped SKU) are tried again with this start's configuration; after the
  // exchange has made its outbox table, since a list made now is queued there.
  if (bonded) await bonded.resumeTallies();
  const projections = new Projections({ sql: storage.sql, projections: [parcelProjection(storage, { followers: [customs.lineFacts()] }), cases.edgeActions(), stock, releaseSlips.passages(), ...(bonded ? [bonded.passages(), bonded.tallies()] : []), trace.projection, alarms, zoneStats.projection, search.projection, lineExceptions.projection, ...(eport?.projections ?? [])], hubId, log: log.child({ component: 'projections' }), observe: (projection, seconds) => metrics.projectionApplySeconds.observe({ projection }, seconds) });
  metrics.watchProjections(() => projections.backlog());
  zoneStats.watchReadModels(() => projections.backlog());
  await projections.start();
  // PostgreSQL: event partitions made ahead and dropped past retention (never holding unacked or unprojected events).
  const partitions = new PartitionMaintenance({ sql: storage.sql, storage, policy: { retentionDays: config.retention.eventsDays, aheadMonths: config.postgres.partitionsAhead }, log: log.child({ component: 'partitions' }) });
  if (storage.kind === 'postgres') await partitions.start();
  const images = new ImageFetchService((gw, req) => client.publish(topics.imageRequest(gw), encodeMessage(req, false), { qos: 1 }), config.imageFetchTimeoutMs);
  const ingest = new IngestService({
    onEvents: (gw, events, receivedMs) => {
      projections.onEvents(gw, events, receivedMs);
    },
    onImage: (gw, body) => images.onResponse(gw, body),
    onFeedRequest: (gw, body) => void feed.answer(gw, body).catch((e: Error) => log.error({ err: e.message, gatewayId: gw }, 'feed request failed')),
    storage,
    log: log.child({ component: 'ingest' }),
    metrics,
    ...(decodePool ? { prepare: decodePool.prepare } : {}),
    publishAck: (gw, ack) => client.publish(topics.ack(gw), encodeMessage(ack), { qos: 1 }),
  });
  client.on('message', (topic, payload) => ingest.handle(topic, payload));
  client.connect();

  // Document intake at scale: batch uploads spooled under the data dir, and the drop folder when configured.
  const batches = new DocumentBatchService({ customs, mapXml: cebPool.map, appendAudit, log: log.child({ component: 'document-batches' }), spoolDir: join(config.dataDir, 'document-batches') });
  const dropFolder = config.dropFolder ? startDropFolder({ path: config.dropFolder.path, pollMs: config.dropFolder.pollMs, customs, mapXml: cebPool.map, appendAudit, log: log.child({ component: 'drop-folder' }) }) : undefined;
  const app = buildApp({
    http: { listenHost: config.http.host, trustProxy: config.http.trustProxy, publicOrigins: config.http.publicOrigins, allowedHosts: config.http.allowedHosts, streams: config.http.streams },
    storage,
    metrics,
    log: log.child({ component: 'http' }),
    sessionTtlMs: config.auth.sessionTtlHours * 3600_000,
    ...(config.auth.metricsToken ? { metricsToken: config.auth.metricsToken } : {}),
    gatewayOfflineAfterMs: config.gatewayOfflineAfterMs,
    health: () => ({ mqttConnected: client.connected ?? false, hubId }),
    feed: { service: feed, publicKeyPem: signingKey.publicKeyPem },
    auditHead: () => auditAnchor.read(),
    images,
    customs,
    documentIntake: { mapXml: cebPool.map, gate: new UploadGate(config.documents.maxXmlUploads) },
    batches,
    cases,
    benchTokens,
    releaseSlips,
    lineExceptions,
    ...(bonded ? { bonded } : {}),
    search,
    trace,
    zoneStats,
    returns,
    stock,
    alarms,
    stockStates,
    stats: new StatsService({ stats: statsRepo }),
    riskRules,
    sampling,
    credit,
    admin,
    eportSigner: eportSigner ?? null,
    ...(eport ? { eport } : {}),
  });
  const server = createServer(app);
  const port = await listenHttp(server, config.http.host, config.http.port);
  const httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;

  let stopping: Promise<void> | undefined;
  return {
    hubId,
    feed,
    rulesPublicKeyPem: signingKey.publicKeyPem,
    storage,
    httpUrl,
    mqttUrl,
    broker,
    projections,
    eportSigner,
    generatedAdminPassword,
    customs,
    releaseSlips,
    stop: () =>
      (stopping ??= (async () => {
        // Drain: stop taking messages, commit and ack what is queued, then close.
        await new Promise<void>((resolve) => client.unsubscribe(topics.hubUp(shared), () => resolve()));
        await ingest.drained();
        await projections.stop();
        partitions.stop();
        zoneStats.close(); // ends open overview streams, which would keep server.close waiting
        feed.close(); // deferred snapshot answers
        if (releaseSweep) clearInterval(releaseSweep);
        if (bondedRecon) clearInterval(bondedRecon);
        await client.endAsync();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopStrengthWorker(); // no request of this hub's can be checking a password now
        await broker?.close();
        await brokerAccounts?.close();
        await decodePool?.close();
        await dropFolder?.stop();
        await eport?.stop();
        await eportSigner?.close();
        await batches.close();
        await cebPool.close(); // after the intake paths that use it have stopped
        await auditAnchor.stop(); // anchors the last entries appended before the store closes
        await storage.close();
      })()),
  };
}
