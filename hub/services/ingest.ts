import type { Logger } from 'pino';
import { isBondgateError } from '../../shared/errors.ts';
import { encodeHlc, HybridLogicalClock } from '../../shared/hlc.ts';
import { checkEntry, verifyCheckpoint } from '../../shared/journal-chain.ts';
import { EdgeEvent, ShedEvent } from '../../shared/schemas/events.ts';
import { Checkpoint, decodeMessage, EventBatch, GatewayStatus, Hello, PROTOCOL_VERSION, type Ack } from '../../shared/sync-protocol.ts';
import { parseUpTopic } from '../../shared/topics.ts';
import type { HubMetrics } from '../metrics.ts';
import type { IngestEntry, Storage } from '../storage/storage.ts';

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
  now?: () => number;
}

type Queued = { batch: EventBatch; receivedMs: number };

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
      case 'events': {
        const r = EventBatch.safeParse(body);
        if (!r.success) return this.reject('invalid_batch', r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), gatewayId);
        this.enqueue(gatewayId, r.data);
        return;
      }
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

  private enqueue(gatewayId: string, batch: EventBatch): void {
    const q = this.queues.get(gatewayId) ?? [];
    q.push({ batch, receivedMs: this.now() });
    this.queues.set(gatewayId, q);
    this.deps.metrics.ingestQueue.inc(batch.events.length);
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
        while (take < q.length && (take === 0 || n + q[take]!.batch.events.length <= MAX_EVENTS_PER_COMMIT)) n += q[take++]!.batch.events.length;
        const group = q.splice(0, take);
        if (q.length === 0) this.queues.delete(gatewayId);
        await this.commit(gatewayId, group);
      }
    } finally {
      this.running.delete(gatewayId);
      if (this.running.size === 0) for (const fn of this.idle) fn();
    }
  }

  private async commit(gatewayId: string, queued: Queued[]): Promise<void> {
    const t0 = performance.now();
    const bySeq = new Map<number, IngestEntry>();
    let gapFrom: number | undefined;
    for (const { batch } of queued) {
      if (batch.gapFrom !== undefined) gapFrom = Math.min(gapFrom ?? batch.gapFrom, batch.gapFrom);
      for (const raw of batch.events) {
        const entry = this.toEntry(gatewayId, raw);
        if (entry && !bySeq.has(entry.seq)) bySeq.set(entry.seq, entry);
      }
    }
    const entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const count = queued.reduce((n, q) => n + q.batch.events.length, 0);
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
    } catch (e) {
      // Not acked: the gateway resends after its ack timeout. Nothing is lost.
      this.fail('ingest', gatewayId, e);
    }
  }

  /** Check one raw journal entry: hash first (over exactly what arrived), then the schema. */
  private toEntry(gatewayId: string, raw: Record<string, unknown>): IngestEntry | undefined {
    const seq = raw.seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
      this.reject('entry_without_seq', `entry without a valid seq: ${JSON.stringify(raw).slice(0, 200)}`, gatewayId);
      return undefined;
    }
    if (raw.gatewayId !== gatewayId) {
      this.reject('gateway_mismatch', `entry ${seq} names gateway ${String(raw.gatewayId)}`, gatewayId);
      return undefined;
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const time = (raw.time ?? {}) as { wallMs?: unknown; hlc?: unknown };
    const base = {
      seq,
      id: str(raw.id),
      type: str(raw.type) || 'unknown',
      parcelKey: typeof raw.parcelKey === 'string' ? raw.parcelKey.slice(0, 64) : null,
      stationId: typeof raw.stationId === 'string' ? raw.stationId.slice(0, 128) : null,
      wallMs: typeof time.wallMs === 'number' ? time.wallMs : 0,
      hlc: str(time.hlc),
      prevHash: str(raw.prevHash),
      hash: str(raw.hash),
      raw,
    };
    if (raw.shed === true) {
      const r = ShedEvent.safeParse(raw);
      if (r.success) return { ...base, status: 'shed', event: null };
      return { ...base, status: 'invalid', event: null, problem: `bad tombstone: ${r.error.issues[0]?.message ?? ''}` };
    }
    const r = EdgeEvent.safeParse(raw);
    if (!r.success) {
      const problem = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500);
      return { ...base, status: 'invalid', event: null, problem };
    }
    const { ok, json } = checkEntry(raw);
    if (!ok) return { ...base, rawJson: json, status: 'hash_mismatch', event: r.data, problem: 'hash does not match the entry content' };
    return { ...base, rawJson: json, status: 'ok', event: r.data };
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
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => {
      const fn = () => {
        this.idle.delete(fn);
        resolve();
      };
      this.idle.add(fn);
    });
  }
}
