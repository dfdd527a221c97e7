import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { Logger } from 'pino';
import { isBondgateError } from '../../shared/errors.ts';
import { encodeHlc, HybridLogicalClock } from '../../shared/hlc.ts';
import { verifyCheckpoint } from '../../shared/journal-chain.ts';
import { Checkpoint, decodeMessage, GatewayStatus, Hello, PROTOCOL_VERSION, type Ack } from '../../shared/sync-protocol.ts';
import { parseUpTopic } from '../../shared/topics.ts';
import type { HubMetrics } from '../metrics.ts';
import type { IngestEntry, Storage } from '../storage/storage.ts';
import { prepareEventsMessage, type PreparedBatch, type Rejection } from './prepare-batch.ts';

/**
 * The hub's side of the sync protocol: every message from a gateway comes through `handle`.
 *
 * The gateway's identity is the topic, which the broker's ACL binds to the authenticated connection; a
 * payload naming another gateway is refused as forged. Batches for one gateway are committed one at a
 * time (several queued batches merge into one transaction), then acked. A bad message is counted and
 * logged with its reason and never stops the consumer.
 */
export interface IngestDeps {
  storage: Storage;
  log: Logger;
  metrics: HubMetrics;
  publishAck: (gatewayId: string, ack: Ack) => void;
  /** A gateway asks for the station feed since a version (hub/services/station-feed.ts answers). */
  onFeedRequest?: (gatewayId: string, body: unknown) => void;
  /** A gateway answers an image request (hub/services/image-fetch.ts). */
  onImage?: (gatewayId: string, body: unknown) => void;
  /**
   * Valid events just committed and acked, with the receive time they were stored under (redeliveries included:
   * consumers must be idempotent, and a redelivery to another hub is how a batch whose hub died before projecting
   * it gets projected without waiting for a cursor adoption).
   */
  onEvents?: (gatewayId: string, events: EdgeEvent[], receivedMs: number) => void;
  now?: () => number;
  /**
   * Decode, validate and hash-check an events message somewhere other than this thread (a worker: see
   * decode-pool.ts), so the store's writer spends its core on the store. Default: here, synchronously.
   */
  prepare?: (gatewayId: string, payload: Buffer) => Promise<PreparedBatch | Rejection>;
}

type Queued = { batch: PreparedBatch; receivedMs: number };

/** Queued batches merge into one commit up to this many events: big enough to amortise, small enough to ack soon. */
const MAX_EVENTS_PER_COMMIT = 10_000;

export class IngestService {
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Set<string>();
  private readonly idle = new Set<() => void>();
  private readonly hlc: HybridLogicalClock;
  private readonly now: () => number;

  constructor(private readonly deps: IngestDeps) {
    this.now = deps.now ?? Date.now;
    this.hlc = new HybridLogicalClock(this.now);
  }

  /** Entry point for every MQTT message on the hub's up topics. Never throws. */
  handle(topic: string, payload: Buffer): void {
    const parsedTopic = parseUpTopic(topic);
    if (!parsedTopic) return this.reject('unknown_topic', `no handler for topic ${topic}`);
    const { gatewayId, kind } = parsedTopic;
    if (kind === 'events') {
      const receivedMs = this.now();
      if (this.deps.prepare) {
        // Results come back in submission order (one FIFO per worker, one worker per gateway), so a
        // gateway's batches still reach its queue in the order they arrived.
        this.pendingPrepares += 1;
        this.deps
          .prepare(gatewayId, payload)
          .then((r) => this.accept(gatewayId, r, receivedMs), (e) => this.reject('decode_failed', (e as Error).message, gatewayId))
          .finally(() => {
            this.pendingPrepares -= 1;
            this.notifyIdle();
          });
      } else {
        this.accept(gatewayId, prepareEventsMessage(gatewayId, payload), receivedMs);
      }
      return;
    }
    let body: unknown;
    try {
      body = decodeMessage(payload);
    } catch (e) {
      return this.reject(isBondgateError(e) ? e.code.toLowerCase() : 'decode_failed', (e as Error).message, gatewayId);
    }
    const claimed = (body as { gatewayId?: unknown } | null)?.gatewayId;
    if (claimed !== gatewayId) {
      return this.reject('gateway_mismatch', `topic gateway ${gatewayId} published a message naming ${String(claimed)}`, gatewayId);
    }
    switch (kind) {
      case 'hello': {
        const r = Hello.safeParse(body);
        if (!r.success) return this.reject('invalid_hello', r.error.message, gatewayId);
        void this.onHello(r.data).catch((e) => this.fail('hello', gatewayId, e));
        return;
      }
      case 'status': {
        const r = GatewayStatus.safeParse(body);
        if (!r.success) return this.reject('invalid_status', r.error.message, gatewayId);
        const offset = r.data.wallMs - this.now();
        void this.deps.storage.recordStatus(gatewayId, r.data, this.now(), offset).catch((e) => this.fail('status', gatewayId, e));
        this.deps.metrics.gatewayBacklog.set({ gateway: gatewayId }, r.data.backlog.count);
        return;
      }
      case 'feed':
        this.deps.onFeedRequest?.(gatewayId, body);
        return;
      case 'image':
        this.deps.onImage?.(gatewayId, body);
        return;
      case 'checkpoint': {
        const r = Checkpoint.safeParse(body);
        if (!r.success) return this.reject('invalid_checkpoint', r.error.message, gatewayId);
        void this.onCheckpoint(r.data).catch((e) => this.fail('checkpoint', gatewayId, e));
        return;
      }
    }
  }

  private reject(reason: string, detail: string, gatewayId?: string): void {
    this.deps.metrics.messagesRejected.inc({ reason });
    this.deps.log.warn({ reason, gatewayId, detail: detail.slice(0, 500) }, 'message rejected');
  }

  private fail(what: string, gatewayId: string, e: unknown): void {
    this.deps.metrics.storageErrors.inc();
    this.deps.log.error({ gatewayId, what, err: (e as Error).message }, 'storage error while handling a gateway message');
  }

  private accept(gatewayId: string, r: PreparedBatch | Rejection, receivedMs: number): void {
    if ('reason' in r) return this.reject(r.reason, r.detail, gatewayId);
    for (const x of r.rejections) this.reject(x.reason, x.detail, gatewayId);
    if (r.entries.length > 0 || r.gapFrom !== undefined) this.enqueue(gatewayId, r, receivedMs);
  }

  private enqueue(gatewayId: string, batch: PreparedBatch, receivedMs: number): void {
    const q = this.queues.get(gatewayId) ?? [];
    q.push({ batch, receivedMs });
    this.queues.set(gatewayId, q);
    this.deps.metrics.ingestQueue.inc(batch.count);
    if (!this.running.has(gatewayId)) void this.drain(gatewayId);
  }

  /** One gateway's batches, one transaction at a time: queued batches merge so a busy hub commits bigger. */
  private async drain(gatewayId: string): Promise<void> {
    this.running.add(gatewayId);
    try {
      for (;;) {
        const q = this.queues.get(gatewayId);
        if (!q || q.length === 0) break;
        let n = 0;
        let take = 0;
        while (take < q.length && (take === 0 || n + q[take]!.batch.count <= MAX_EVENTS_PER_COMMIT)) n += q[take++]!.batch.count;
        const group = q.splice(0, take);
        if (q.length === 0) this.queues.delete(gatewayId);
        await this.commit(gatewayId, group);
      }
    } finally {
      this.running.delete(gatewayId);
      this.notifyIdle();
    }
  }

  private pendingPrepares = 0;
  private notifyIdle(): void {
    if (this.running.size === 0 && this.pendingPrepares === 0) for (const fn of this.idle) fn();
  }

  private async commit(gatewayId: string, queued: Queued[]): Promise<void> {
    const t0 = performance.now();
    const bySeq = new Map<number, IngestEntry>();
    let gapFrom: number | undefined;
    for (const { batch } of queued) {
      if (batch.gapFrom !== undefined) gapFrom = Math.min(gapFrom ?? batch.gapFrom, batch.gapFrom);
      for (const entry of batch.entries) if (!bySeq.has(entry.seq)) bySeq.set(entry.seq, entry);
    }
    const entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const count = queued.reduce((n, q) => n + q.batch.count, 0);
    this.deps.metrics.ingestQueue.dec(count);
    const receivedMs = Math.min(...queued.map((q) => q.receivedMs));
    try {
      const result = await this.deps.storage.ingest(gatewayId, entries, { receivedMs, ...(gapFrom !== undefined ? { gapFrom } : {}) });
      const m = this.deps.metrics;
      m.eventsIngested.inc({ gateway: gatewayId }, result.inserted);
      m.eventsDuplicate.inc(result.duplicates);
      m.ingestSeconds.observe((performance.now() - t0) / 1000);
      const nowMs = this.now();
      for (const e of entries) {
        if (e.status === 'ok' && e.event && e.event.time.clockSynced) m.visibilitySeconds.observe(Math.max(0, nowMs - e.wallMs) / 1000);
      }
      for (const a of result.alerts) {
        m.journalAlerts.inc({ kind: a.kind });
        this.deps.log.warn({ gatewayId, seq: a.seq, kind: a.kind, detail: a.detail }, 'journal alert');
      }
      this.deps.publishAck(gatewayId, this.ack(gatewayId, result.ackedSeq, result.ranges));
      if (this.deps.onEvents) this.deps.onEvents(gatewayId, entries.filter((e) => e.status === 'ok' && e.event).map((e) => e.event!), receivedMs);
    } catch (e) {
      // Not acked: the gateway resends after its ack timeout. Nothing is lost.
      this.fail('ingest', gatewayId, e);
    }
  }

  private ack(gatewayId: string, ackedSeq: number, ranges: [number, number][]): Ack {
    const hubTimeMs = this.now();
    return { v: PROTOCOL_VERSION, gatewayId: gatewayId as Ack['gatewayId'], ackedSeq, ranges, hubTimeMs, hubHlc: encodeHlc(this.hlc.now()) };
  }

  private async onHello(hello: Hello): Promise<void> {
    const { storage, log } = this.deps;
    const gw = await storage.getGateway(hello.gatewayId);
    await storage.recordHello(hello.gatewayId, hello, this.now());
    if (!gw?.publicKeyPem) {
      // Pinned on first use over the authenticated connection; a later change is an alert, not a silent swap.
      await storage.setGatewayKey(hello.gatewayId, hello.publicKeyPem);
    } else if (gw.publicKeyPem.trim() !== hello.publicKeyPem.trim()) {
      await storage.addAlert({ gatewayId: hello.gatewayId, seq: null, kind: 'key_changed', detail: 'gateway presented a different journal key; keeping the pinned one', atMs: this.now() });
      this.deps.metrics.journalAlerts.inc({ kind: 'key_changed' });
      log.warn({ gatewayId: hello.gatewayId }, 'gateway journal key changed');
    }
    const state = await storage.ackState(hello.gatewayId);
    this.deps.publishAck(hello.gatewayId, this.ack(hello.gatewayId, state.ackedSeq, state.ranges));
  }

  private async onCheckpoint(cp: Checkpoint): Promise<void> {
    const { storage } = this.deps;
    const gw = await storage.getGateway(cp.gatewayId);
    const body = { gatewayId: cp.gatewayId, seq: cp.seq, hash: cp.hash, wallMs: cp.wallMs };
    const signed = !!gw?.publicKeyPem && verifyCheckpoint(body, cp.signature, gw.publicKeyPem);
    const stored = await storage.entryHash(cp.gatewayId, cp.seq);
    const nowMs = this.now();
    if (!signed) {
      await storage.addAlert({ gatewayId: cp.gatewayId, seq: cp.seq, kind: 'checkpoint_bad_signature', detail: 'checkpoint signature does not verify with the pinned key', atMs: nowMs });
    } else if (stored !== undefined && stored !== cp.hash) {
      await storage.addAlert({ gatewayId: cp.gatewayId, seq: cp.seq, kind: 'checkpoint_mismatch', detail: `signed head ${cp.hash.slice(0, 12)}… differs from the stored entry ${stored.slice(0, 12)}…`, atMs: nowMs });
    }
    await storage.recordCheckpoint({ ...body, signature: cp.signature, verified: signed && stored === cp.hash, atMs: nowMs });
  }

  /** Resolves once nothing is queued or committing (graceful shutdown). */
  async drained(): Promise<void> {
    if (this.running.size === 0 && this.pendingPrepares === 0) return;
    await new Promise<void>((resolve) => {
      const fn = () => {
        this.idle.delete(fn);
        resolve();
      };
      this.idle.add(fn);
    });
  }
}
