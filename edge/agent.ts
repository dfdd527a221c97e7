import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type * as PromClient from 'prom-client';
import { generateJournalKeys } from '../shared/journal-chain.ts';
import { ensurePrivateDir, makePrivate, writePrivateFile } from '../shared/private-files.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeDevices } from './devices.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import { StationCache } from './station-cache.ts';
import { IMAGE_REF, ImageStore } from './images.ts';
import { ImageRequest, MAX_IMAGE_BYTES } from '../shared/image-protocol.ts';
import { startStations, type RunningStations } from './stations/index.ts';
import { consoleStations, operatorVerifier } from './stations/console-adapter.ts';
import { decodeMessage } from '../shared/sync-protocol.ts';
import { EdgeJournal } from './journal.ts';
import { LineSimulator } from './simulator.ts';
import { SyncClient } from './sync.ts';
import { systemTimeSource } from './time-source.ts';

export const AGENT_VERSION = '0.1.0';

export interface RunningEdge {
  journal: EdgeJournal;
  sync: SyncClient;
  simulator: LineSimulator | undefined;
  devices: EdgeDevices | undefined;
  cache: StationCache;
  images: ImageStore;
  stations: RunningStations;
  consoleUrl: string | undefined;
  healthUrl: string | undefined;
  stop(): Promise<void>;
}

/** The gateway's journal signing key: made once on first start, kept beside the journal, never sent. */
function loadOrCreateKeys(dataDir: string): { privateKeyPem: string; publicKeyPem: string } {
  const privFile = join(dataDir, 'journal-key.pem');
  const pubFile = join(dataDir, 'journal-key.pub.pem');
  if (existsSync(privFile) && existsSync(pubFile)) {
    makePrivate(privFile); // a key written by an older version may be world-readable
    return { privateKeyPem: readFileSync(privFile, 'utf8'), publicKeyPem: readFileSync(pubFile, 'utf8') };
  }
  const keys = generateJournalKeys();
  writePrivateFile(privFile, keys.privateKeyPem);
  writeFileSync(pubFile, keys.publicKeyPem);
  return keys;
}

/** The /metrics registry, built with the first scrape: a gateway nobody scrapes carries no prom-client. */
function edgeMetrics({ Counter, Gauge, Registry, collectDefaultMetrics }: typeof PromClient, journal: EdgeJournal, sync: () => SyncClient, devices: EdgeDevices | undefined) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bondgate_edge_' });
  const g = (name: string, help: string, collect: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(collect()); } });
  g('bondgate_edge_backlog_events', 'Journalled events not yet acknowledged by the hub', () => journal.backlog().count);
  g('bondgate_edge_backlog_age_seconds', 'Age of the oldest unacknowledged event', () => {
    const b = journal.backlog();
    return b.oldestWallMs ? Math.max(0, (Date.now() - b.oldestWallMs) / 1000) : 0;
  });
  g('bondgate_edge_acked_seq', 'Highest seq the hub acknowledged', () => journal.ackedSeq);
  g('bondgate_edge_head_seq', 'Highest seq journalled', () => journal.headSeq);
  g('bondgate_edge_last_ack_age_seconds', 'Seconds since the last ack (-1: none yet)', () => {
    const t = sync().state.lastAckAtMs;
    return t ? (Date.now() - t) / 1000 : -1;
  });
  g('bondgate_edge_broker_connected', '1 when connected to the broker', () => (sync().state.connected ? 1 : 0));
  g('bondgate_edge_disk_used_bytes', 'Journal bytes in use', () => journal.usedBytes());
  g('bondgate_edge_disk_quota_bytes', 'Journal quota', () => journal.disk().quotaBytes);
  g('bondgate_edge_disk_level', '0 ok, 1 past the soft limit, 2 at the hard limit', () => ({ ok: 0, soft: 1, hard: 2 })[journal.diskLevel]);
  g('bondgate_edge_sync_window_events', 'Current sync window', () => sync().state.window);
  if (devices) {
    new Gauge({
      name: 'bondgate_edge_device_up',
      help: '1 up, 0.5 stale (no reading for too long), 0 down or starting, per device',
      labelNames: ['device', 'kind'],
      registers: [registry],
      collect() {
        for (const d of devices.status()) this.set({ device: d.id, kind: d.kind }, { up: 1, stale: 0.5, down: 0, starting: 0 }[d.state]);
      },
    });
    new Gauge({
      name: 'bondgate_edge_device_errors',
      help: 'Errors and garbage frames counted by the current driver instance of each device',
      labelNames: ['device'],
      registers: [registry],
      collect() {
        for (const d of devices.status()) this.set({ device: d.id }, d.errors + d.garbage);
      },
    });
  }
  const c = (name: string, help: string, read: () => number) => {
    let last = 0;
    return new Counter({ name, help, registers: [registry], collect() { const v = read(); this.inc(Math.max(0, v - last)); last = v; } });
  };
  c('bondgate_edge_events_appended_total', 'Events journalled', () => journal.stats.appended);
  c('bondgate_edge_commits_total', 'Journal commits (group commits carry several events)', () => journal.stats.commits);
  c('bondgate_edge_telemetry_shed_total', 'Telemetry entries shed to tombstones', () => journal.stats.telemetryShed);
  c('bondgate_edge_telemetry_dropped_total', 'Telemetry not journalled past the soft limit', () => journal.stats.telemetryDropped);
  c('bondgate_edge_appends_refused_total', 'Appends refused at the hard limit', () => journal.stats.refused);
  c('bondgate_edge_retransmits_total', 'Ack timeouts that resent from the last ack', () => sync().state.retransmits);
  c('bondgate_edge_holes_resent_total', 'Batches resent alone because the hub acked later ones (selective retransmit)', () => sync().state.holesResent);
  return registry;
}

export async function startEdge(config: EdgeConfig, log: Logger): Promise<RunningEdge> {
  ensurePrivateDir(config.dataDir); // journal, key, images: owner-only (issue 13, item 10)
  const time = systemTimeSource(config.clock.sync);
  const journal = new EdgeJournal({
    file: join(config.dataDir, 'journal.sqlite'),
    gatewayId: config.gatewayId,
    time,
    quotaBytes: Math.round(config.journal.quotaMb * 1024 * 1024),
    softLimitRatio: config.journal.softLimitPct / 100,
    retentionMs: config.journal.retentionHours * 3600_000,
    telemetryTtlMs: config.journal.telemetryTtlHours * 3600_000,
    synchronous: config.journal.synchronous,
  });
  journal.onAlarm((a) => {
    log.warn({ alarm: a.alarm, detail: a.detail }, 'journal disk alarm');
    // At the hard limit this append is refused too; the status message still tells the hub.
    journal.append({ type: 'edge.alarm', stationId: 'edge', payload: a }).catch(() => undefined);
  });
  const keys = loadOrCreateKeys(config.dataDir);
  // The hub's station feed, kept locally so stations decide with the hub unreachable.
  const cache = new StationCache(join(config.dataDir, 'station-cache.sqlite'), config.hub.rulesPublicKey);
  const images = new ImageStore(join(config.dataDir, 'images'));
  const answerImage = (payload: Buffer) => {
    const req = ImageRequest.safeParse((() => {
      try {
        return decodeMessage(payload);
      } catch {
        return undefined;
      }
    })());
    if (!req.success) return log.warn('ignoring malformed image request');
    const { requestId, ref } = req.data;
    const base = { gatewayId: config.gatewayId, requestId, ref };
    if (!IMAGE_REF.test(ref)) return sync.publishUp('image', { ...base, result: { ok: false, code: 'BAD_REF', message: 'not an image ref this gateway made' } });
    const img = images.get(ref);
    if (!img) return sync.publishUp('image', { ...base, result: { ok: false, code: 'NOT_FOUND', message: `no image ${ref} (pruned, or never here)` } });
    if (img.length > MAX_IMAGE_BYTES) return sync.publishUp('image', { ...base, result: { ok: false, code: 'TOO_LARGE', message: `${img.length} bytes` } });
    sync.publishUp('image', { ...base, result: { ok: true, contentType: images.contentType(ref), dataB64: img.toString('base64') } });
  };
  const requestFeed = () => sync.publishUp('feed', { gatewayId: config.gatewayId, sinceVersion: cache.version });
  const sync: SyncClient = new SyncClient({
    onConnected: requestFeed,
    onDownMessage: (kind, payload) => {
      if (kind === 'image-request') return answerImage(payload);
      if (kind !== 'feed') return;
      try {
        const r = cache.apply(decodeMessage(payload), Date.now());
        if (r.gap || r.more) requestFeed();
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'ignoring malformed station feed batch');
      }
    },
    url: config.hub.mqttUrl,
    username: config.hub.username ?? config.gatewayId,
    password: config.hub.password,
    journal,
    bootId: time.bootId,
    ...keys,
    log: log.child({ component: 'sync' }),
    agentVersion: AGENT_VERSION,
    batchMax: config.sync.batchMax,
    windowMax: config.sync.windowMax,
    ackTimeoutMs: config.sync.ackTimeoutMs,
    compress: config.sync.compress,
    extraStatus: () => ({ clockSynced: time.clockSynced(), uptimeMs: time.uptimeMs() }),
  });
  sync.start();
  // While connected, ask every 30 s: an empty answer still proves the copy is current (the staleness bound).
  const feedRefresh = setInterval(() => sync.state.connected && requestFeed(), 30_000);
  feedRefresh.unref();
  const maintenance = setInterval(() => {
    try {
      const r = journal.maintain(Date.now());
      if (r.pruned + r.shed > 0) log.info(r, 'journal maintenance');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'journal maintenance failed');
    }
  }, 60_000);
  maintenance.unref();

  const devices = config.devices.length > 0 ? new EdgeDevices(config.devices, journal, config.gatewayId, log.child({ component: 'devices' })) : undefined;
  // Stations before devices: their kinds load first (only those configured), and each listens before a reading can come.
  const stations = await startStations(config.stations, { journal, cache, devices, images, log: log.child({ component: 'stations' }) });
  devices?.start();

  let health: HealthServer | undefined;
  let healthUrl: string | undefined;
  if (config.http.port >= 0) {
    // prom-client loads on the first scrape: a gateway nobody scrapes does not carry it.
    let metrics: Promise<PromClient.Registry> | undefined;
    // Served from its own thread (edge/health-server.ts): it answers within ~100 ms even while this thread works
    // through a serial backlog, from the last answer (marked stale, with this thread's loop lag) if need be.
    health = await startHealthServer({
      host: config.http.host,
      port: config.http.port,
      healthz: () => {
        const b = journal.backlog();
        const body = {
          gatewayId: config.gatewayId,
          status: journal.diskLevel === 'hard' ? 'refusing' : 'ok',
          broker: sync.state.connected ? 'connected' : 'disconnected',
          backlog: { count: b.count, ageMs: b.oldestWallMs ? Date.now() - b.oldestWallMs : 0 },
          ackedSeq: journal.ackedSeq,
          headSeq: journal.headSeq,
          lastAckAtMs: sync.state.lastAckAtMs,
          disk: journal.disk(),
          clockSynced: time.clockSynced(),
          devices: devices?.status() ?? [],
          stationCache: { version: cache.version, syncedAtMs: cache.syncedAtMs, ...cache.size, rejectedRules: cache.rejectedRules },
          stations: stations.runners.map((r) => ({ id: r.id, kind: r.def.kind, decided: r.stats.decided, display: r.display() })),
        };
        return { status: journal.diskLevel === 'hard' ? 503 : 200, body };
      },
      metrics: async () => {
        const registry = await (metrics ??= import('prom-client').then((p) => edgeMetrics(p, journal, () => sync, devices)));
        return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
      },
    });
    healthUrl = `http://${config.http.host}:${health.port}`;
  }

  let simulator: LineSimulator | undefined;
  if (config.simulator) {
    simulator = new LineSimulator({ journal, log: log.child({ component: 'simulator' }), ...config.simulator });
    simulator.start();
  }
  log.info({ gatewayId: config.gatewayId, headSeq: journal.headSeq, ackedSeq: journal.ackedSeq, healthUrl }, 'edge agent started');

  let consoleServer: { url: string; stop(): Promise<void> } | undefined;
  if (config.console) {
    // The console (express, its pages) loads only when configured: a scanner-only gateway does not carry it.
    const { startConsole } = await import('./console/server.ts');
    consoleServer = await startConsole({
      host: config.console.host,
      port: config.console.port,
      stations: consoleStations(stations.runners, { devices, sync, journal, cache, deviceIds: stations.deviceIds }),
      verifyOperator: operatorVerifier(config.console.operators),
      minPinLength: config.console.minPinLength,
      log: log.child({ component: 'console' }),
      // Bench stations check the officer's bench token with the hub key the station rules are checked with.
      bench: { gatewayId: config.gatewayId, publicKeyPem: config.hub.rulesPublicKey },
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    consoleUrl: consoleServer?.url,
    journal,
    sync,
    simulator,
    devices,
    cache,
    images,
    stations,
    healthUrl,
    stop: () =>
      (stopping ??= (async () => {
        simulator?.stop();
        await consoleServer?.stop();
        stations.stop();
        devices?.stop();
        clearInterval(feedRefresh);
        clearInterval(maintenance);
        time.stop();
        await sync.stop();
        await health?.close();
        journal.close();
        cache.close();
      })()),
  };
}
