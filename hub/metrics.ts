import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProjectionBacklog } from './services/projections.ts';

/** Hub metrics on their own registry (no global state: tests run several hubs in one process). */
export function createHubMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bondgate_hub_' });
  // Read at scrape time from the running projections (set by watchProjections once they exist).
  let backlog: () => ProjectionBacklog[] = () => [];
  let eportCounts: () => Record<string, number> = () => ({});
  const m = {
    registry,
    eventsIngested: new Counter({ name: 'bondgate_hub_events_ingested_total', help: 'Journal entries newly stored', labelNames: ['gateway'], registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'bondgate_hub_events_duplicate_total', help: 'Entries received again and not stored twice', registers: [registry] }),
    messagesRejected: new Counter({ name: 'bondgate_hub_messages_rejected_total', help: 'Messages or entries refused, by reason', labelNames: ['reason'], registers: [registry] }),
    messageSignatures: new Counter({ name: 'bondgate_hub_message_signatures_total', help: 'CEB messages stored, by the verdict on their ds:Signature (verified, unverified, invalid, absent)', labelNames: ['status'], registers: [registry] }),
    journalAlerts: new Counter({ name: 'bondgate_hub_journal_alerts_total', help: 'Tamper-evidence alerts, by kind', labelNames: ['kind'], registers: [registry] }),
    // Issue 15: what only the XSD documentation or the code tables rule out is stored with a warning, never refused.
    documentWarnings: new Counter({ name: 'bondgate_hub_document_warnings_total', help: 'Warnings recorded with stored customs documents, by code and document kind', labelNames: ['code', 'kind'], registers: [registry] }),
    storageErrors: new Counter({ name: 'bondgate_hub_storage_errors_total', help: 'Store operations that failed (not acked; the gateway resends)', registers: [registry] }),
    ingestQueue: new Gauge({ name: 'bondgate_hub_ingest_queue_events', help: 'Events received and not yet committed', registers: [registry] }),
    ingestSeconds: new Histogram({ name: 'bondgate_hub_ingest_commit_seconds', help: 'Time to commit one ingest transaction', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    visibilitySeconds: new Histogram({ name: 'bondgate_hub_event_visibility_seconds', help: 'Edge wall time to hub commit, for events from gateways with a synchronised clock', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry] }),
    gatewayBacklog: new Gauge({ name: 'bondgate_hub_gateway_backlog_events', help: 'Backlog each gateway last reported', labelNames: ['gateway'], registers: [registry] }),
    httpRequests: new Counter({ name: 'bondgate_hub_http_requests_total', help: 'HTTP requests', labelNames: ['route', 'status'], registers: [registry] }),
    // Labelled by the route pattern (never the raw path: parcel keys would make one series per parcel).
    httpSeconds: new Histogram({ name: 'bondgate_hub_http_request_duration_seconds', help: 'HTTP request time, by route pattern', labelNames: ['route', 'method'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry] }),
    projectionLagSeconds: new Gauge({
      name: 'bondgate_hub_projection_lag_seconds',
      help: 'Age of the oldest committed batch a read model (projection) has not applied yet; 0 when caught up',
      labelNames: ['projection'],
      registers: [registry],
      collect() {
        const now = Date.now();
        for (const b of backlog()) this.set({ projection: b.name }, b.oldestMs === undefined ? 0 : Math.max(0, now - b.oldestMs) / 1000);
      },
    }),
    projectionQueue: new Gauge({
      name: 'bondgate_hub_projection_queue_events',
      help: 'Committed events handed to a read model (projection) and not yet applied',
      labelNames: ['projection'],
      registers: [registry],
      collect() {
        for (const b of backlog()) this.set({ projection: b.name }, b.queuedEvents);
      },
    }),
    projectionFailed: new Gauge({
      name: 'bondgate_hub_projection_failed',
      help: 'A read model (projection) whose apply failed after retries: 1 until its replay succeeds (its cursor is held meanwhile)',
      labelNames: ['projection'],
      registers: [registry],
      collect() {
        for (const b of backlog()) this.set({ projection: b.name }, b.failed ? 1 : 0);
      },
    }),
    projectionApplySeconds: new Histogram({
      name: 'bondgate_hub_projection_apply_seconds',
      help: 'Time a read model (projection) took to apply one call: a batch, or several taken together when it fell behind',
      labelNames: ['projection'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    // Issue 18: the e-port exchange (hub/eport/exchange.ts).
    eportMessages: new Gauge({
      name: 'bondgate_hub_eport_messages',
      help: 'E-port outbox messages by state (queued, sent, receipt, failed), as of the last exchange round',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        for (const [state, n] of Object.entries(eportCounts())) this.set({ state }, n);
      },
    }),
    eportReceipts: new Counter({ name: 'bondgate_hub_eport_receipts_total', help: 'E-port receipts applied (duplicates not counted), by kind (transmission, format, business) and whether they refused', labelNames: ['kind', 'refused'], registers: [registry] }),
    eportReceiptSeconds: new Histogram({
      name: 'bondgate_hub_eport_receipt_latency_seconds',
      help: 'Time from writing a message into the OutBox to its first business receipt, by message type',
      labelNames: ['type'],
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400],
      registers: [registry],
    }),
    watchEport(fn: () => Record<string, number>): void {
      eportCounts = fn;
    },
    watchProjections(fn: () => ProjectionBacklog[]): void {
      backlog = fn;
    },
  };
  return m;
}
export type HubMetrics = ReturnType<typeof createHubMetrics>;
