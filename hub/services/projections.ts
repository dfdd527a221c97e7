import type { Logger } from 'pino';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import { run, type Sql } from '../storage/sql.ts';

/**
 * Read models kept from the stored edge events (overseas stock, traceability links, slip passages…).
 *
 * The ingest service hands every committed batch to `onEvents` right after the ack, so a projection is usually
 * milliseconds behind. That hand-off is not durable: a hub killed between commit and projection would lose the update,
 * and the edge will never resend an acked event. So each projection also has a cursor (the hub's receive time up to
 * which it is known complete), saved every few seconds, and on start-up it replays the stored events from the cursor
 * less a margin (several hubs' clocks and in-flight batches). Replays are why `apply` must be idempotent.
 *
 * Several hubs: every hub process runs every projection, each on the batches it committed itself. A cursor shared by
 * all hubs would let a live hub move it past the batches a killed hub committed and never projected — and the
 * start-up replay then begins after them. So each hub keeps its own cursor row (projection, hub id): a start replays
 * from the OLDEST row (less the margin), which covers every hub's unprojected batches; and a live hub that sees
 * another hub's row stale for longer than the margin (that hub died and was not restarted, or its projection keeps
 * failing) replays from it too and then deletes the row — so a dead hub's work is adopted within minutes without a
 * restart, and rows of hub ids that never come back (the default id has the pid in it) do not pile up. A row deleted
 * under a hub that is alive after all only costs a replay: the hub writes it again on its next save.
 */
export interface Projection {
  readonly name: string;
  /** Event types it consumes. */
  readonly types: readonly EventType[];
  /** It consumes only events that name a parcel: the others are neither handed over nor read back on a catch-up. */
  readonly parcelEventsOnly?: boolean;
  /** Apply one gateway's events in journal order. MUST be idempotent: redeliveries and the start-up catch-up replay events. */
  apply(gatewayId: string, events: readonly EdgeEvent[]): Promise<void>;
  /**
   * Optional: apply several batches (of several gateways) in one go, each gateway's in journal order. When a
   * projection falls behind, what queued for it meanwhile arrives here together (up to MAX_EVENTS_PER_APPLY), so a
   * projection that writes one row per key (the parcels) writes a key once for all its queued events, in one
   * transaction rather than one per batch.
   */
  applyBatches?(batches: readonly ProjectionBatch[]): Promise<void>;
}

export interface ProjectionBatch {
  gatewayId: string;
  events: readonly EdgeEvent[];
  /** The hub's receive time of the batch (the events' `received_ms`). */
  receivedMs: number;
}

/** What a projection has been handed and not yet applied, for the lag metrics. */
export interface ProjectionBacklog {
  name: string;
  queuedEvents: number;
  /** Receive time of the oldest batch not yet applied; undefined when it is idle. */
  oldestMs: number | undefined;
  /** An apply failed even after retries: its cursor is held and it is being replayed (recoverFailed). */
  failed: boolean;
}

const MIGRATIONS = [
  // Superseded by projection_hub_cursors (one row per hub); its rows are carried over below, with hub id ''.
  'CREATE TABLE projection_cursors (name TEXT PRIMARY KEY, received_ms BIGINT NOT NULL)',
  // The catch-up reads by receive time.
  'CREATE INDEX events_received ON events (received_ms)',
  'CREATE TABLE projection_hub_cursors (name TEXT NOT NULL, hub_id TEXT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (name, hub_id))',
  "INSERT INTO projection_hub_cursors (name, hub_id, received_ms) SELECT name, '', received_ms FROM projection_cursors",
  // The parcel rows became a projection ('parcels', parcel-projection.ts); until this upgrade the ingest folded every
  // stored event inline, so it is complete up to the newest stored event and must not replay the whole history.
  // (`WHERE true`: SQLite cannot otherwise tell the upsert's ON from a join's.)
  "INSERT INTO projection_hub_cursors (name, hub_id, received_ms) SELECT 'parcels', '', COALESCE(MAX(received_ms), 0) FROM events WHERE true ON CONFLICT (name, hub_id) DO NOTHING",
];

const CATCH_UP_PAGE = 2000;
/** One applyBatches call takes queued batches up to this many events: big enough to coalesce, small enough for one transaction. */
const MAX_EVENTS_PER_APPLY = 20_000;
/** A failed apply is tried again after these pauses (a dropped connection, a statement timeout) before it counts as failed. */
const RETRY_PAUSES_MS = [200, 1000];

interface Runner {
  p: Projection;
  types: ReadonlySet<string>;
  /** Serialises this projection's work: queue drains, catch-ups and adoptions never overlap. */
  chain: Promise<void>;
  /** Batches handed over and not yet taken by a drain. */
  queue: ProjectionBatch[];
  /** A drain is on the chain and will take whatever is queued when it runs. */
  draining: boolean;
  /** Batches taken by the running drain and not yet applied. */
  inFlight: ProjectionBatch[];
  /** An apply failed in this process: the cursor stays where it was, so a recovery (or the next start) replays it. */
  failed: boolean;
  /** Receive time of the earliest batch that failed: a recovery replays from there, less the margin. */
  failedFromMs: number | undefined;
}

export class Projections {
  private readonly runners: Runner[];
  private readonly now: () => number;
  private readonly marginMs: number;
  private readonly hubId: string;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `hubId`: this hub process's name (config hubId), keying its cursors; every hub sharing a database needs its own.
   * Default '' (a single hub).
   */
  constructor(
    private readonly d: {
      sql: Sql;
      projections: readonly Projection[];
      log: Logger;
      hubId?: string;
      now?: () => number;
      catchUpMarginMs?: number;
      /** Each live apply call: how long it took and how many events it carried (the apply-time histogram). */
      observe?: (projection: string, seconds: number, events: number) => void;
    },
  ) {
    this.now = d.now ?? Date.now;
    this.marginMs = d.catchUpMarginMs ?? 120_000;
    this.hubId = d.hubId ?? '';
    this.runners = d.projections.map((p) => ({ p, types: new Set(p.types), chain: Promise.resolve(), queue: [], draining: false, inFlight: [], failed: false, failedFromMs: undefined }));
  }

  /** Each projection's queue and the age of its oldest unapplied batch (metrics, the gateways page). */
  backlog(): ProjectionBacklog[] {
    return this.runners.map((r) => {
      const pending = [...r.inFlight, ...r.queue];
      return {
        name: r.p.name,
        queuedEvents: pending.reduce((n, q) => n + q.events.length, 0),
        oldestMs: pending.length === 0 ? undefined : Math.min(...pending.map((q) => q.receivedMs)),
        failed: r.failed,
      };
    });
  }

  async migrate(): Promise<void> {
    await this.d.sql.migrate('projections', MIGRATIONS);
  }

  /**
   * Hand a committed batch to every projection that wants some of it. Each projection applies its batches one call at
   * a time, in the order handed over; batches queued while it is busy are taken together by its next call.
   */
  onEvents(gatewayId: string, events: readonly EdgeEvent[], receivedMs = this.now()): void {
    for (const r of this.runners) {
      const mine = events.filter((e) => r.types.has(e.type) && (!r.p.parcelEventsOnly || e.parcelKey));
      if (mine.length === 0) continue;
      r.queue.push({ gatewayId, events: mine, receivedMs });
      if (r.draining) continue;
      r.draining = true;
      r.chain = r.chain.then(() => this.drainQueue(r));
    }
  }

  private async drainQueue(r: Runner): Promise<void> {
    try {
      while (r.queue.length > 0) {
        let n = 0;
        let take = 0;
        const batched = !!r.p.applyBatches;
        // A projection without applyBatches takes one batch per call, as handed over.
        while (take < r.queue.length && (take === 0 || (batched && n + r.queue[take]!.events.length <= MAX_EVENTS_PER_APPLY))) n += r.queue[take++]!.events.length;
        r.inFlight = r.queue.splice(0, take);
        const t0 = performance.now();
        const batches = r.inFlight;
        try {
          await this.withRetries(r, () => (r.p.applyBatches ? r.p.applyBatches(batches) : r.p.apply(batches[0]!.gatewayId, batches[0]!.events)));
          this.d.observe?.(r.p.name, (performance.now() - t0) / 1000, n);
        } catch (e) {
          r.failed = true;
          const fromMs = Math.min(...batches.map((q) => q.receivedMs));
          r.failedFromMs = Math.min(r.failedFromMs ?? fromMs, fromMs);
          this.d.log.error({ projection: r.p.name, gateways: [...new Set(batches.map((q) => q.gatewayId))], err: (e as Error).message }, 'projection failed: its cursor stays put and it is replayed from there (next tick, or next start)');
        }
        r.inFlight = [];
      }
    } finally {
      r.draining = false;
    }
  }

  private async withRetries(r: Runner, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const pause = RETRY_PAUSES_MS[attempt];
        if (pause === undefined) throw e;
        this.d.log.warn({ projection: r.p.name, attempt: attempt + 1, err: (e as Error).message }, 'projection apply failed: trying again');
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Replay what may have been missed, then save cursors every `saveEveryMs`. */
  async start(saveEveryMs = 5000): Promise<void> {
    await this.migrate();
    for (const r of this.runners) {
      const startedMs = this.now();
      const rows = await this.cursorRows(r);
      const from = rows.length === 0 ? 0 : Math.max(0, Math.min(...rows.map((c) => c.receivedMs)) - this.marginMs);
      try {
        await this.catchUp(r, from);
      } catch (e) {
        // A projection that cannot catch up must not keep the hub from starting: it keeps its cursor and is replayed
        // from there by recoverFailed (every tick) or the next start.
        r.failed = true;
        r.failedFromMs = from + this.marginMs;
        this.d.log.error({ projection: r.p.name, err: (e as Error).message }, 'projection catch-up failed: its cursor stays put');
        continue;
      }
      // Everything stored before the catch-up began is applied: this hub's cursor starts there, and the rows of hubs
      // that went quiet long ago are covered by the replay (it began at the oldest row, less the margin).
      await this.saveCursor(r, startedMs);
      await this.dropRows(r, rows.filter((c) => c.hubId !== this.hubId && c.receivedMs < startedMs - this.marginMs));
    }
    this.timer = setInterval(() => void this.tick().catch((e: Error) => this.d.log.warn({ err: e.message }, 'saving projection cursors failed')), saveEveryMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    await this.recoverFailed();
    await this.saveCursors();
    await this.adoptStale();
  }

  /**
   * A projection whose apply failed (even after retries) is replayed from the earliest failed batch, less the margin,
   * in its own queue; once that succeeds it is current again and its cursor moves on. Until then its cursor is held,
   * so a hub restart replays the same. Batches applied after the failure are replayed too: apply is idempotent.
   */
  async recoverFailed(): Promise<void> {
    for (const r of this.runners) {
      if (!r.failed || r.failedFromMs === undefined) continue;
      const from = Math.max(0, r.failedFromMs - this.marginMs);
      await this.exclusive(r, 'projection still failing: replayed again at the next tick', async () => {
        await this.catchUp(r, from);
        r.failed = false;
        r.failedFromMs = undefined;
        this.d.log.info({ projection: r.p.name, fromMs: from }, 'projection recovered: replayed from its failed batch');
      });
    }
  }

  /**
   * Another hub's cursor older than the margin: that hub is gone (or its projection keeps failing), possibly with
   * committed batches it never projected. Replay from its cursor (less the margin), in this projection's queue so it
   * never overlaps a live batch, then delete the row if nobody wrote it meanwhile.
   */
  async adoptStale(): Promise<void> {
    const now = this.now();
    for (const r of this.runners) {
      if (r.failed) continue;
      const stale = (await this.cursorRows(r)).filter((c) => c.hubId !== this.hubId && c.receivedMs < now - this.marginMs);
      if (stale.length === 0) continue;
      const from = Math.max(0, Math.min(...stale.map((c) => c.receivedMs)) - this.marginMs);
      this.d.log.warn({ projection: r.p.name, hubs: stale.map((c) => c.hubId), fromMs: from }, "adopting stale hubs' projection cursors: replaying what they may not have projected");
      await this.exclusive(r, 'adopting stale projection cursors failed: tried again later', async () => {
        await this.catchUp(r, from);
        await this.dropRows(r, stale);
      });
    }
  }

  /** Run `job` in the projection's queue, so it never overlaps a live batch; a failure is logged, and tried again by the caller's next tick. */
  private async exclusive(r: Runner, failure: string, job: () => Promise<void>): Promise<void> {
    r.chain = r.chain.then(job).catch((e: Error) => this.d.log.error({ projection: r.p.name, err: e.message }, failure));
    await r.chain;
  }

  private async cursorRows(r: Runner): Promise<{ hubId: string; receivedMs: number }[]> {
    const rows = await this.d.sql.all<{ hub_id: string; received_ms: number }>('SELECT hub_id, received_ms FROM projection_hub_cursors WHERE name = ?', [r.p.name]);
    return rows.map((c) => ({ hubId: c.hub_id, receivedMs: Number(c.received_ms) }));
  }

  private async dropRows(r: Runner, rows: readonly { hubId: string; receivedMs: number }[]): Promise<void> {
    for (const c of rows) {
      // Only if unchanged: a hub that came back and saved a newer cursor keeps it.
      await this.d.sql.tx(function* () {
        yield* run('DELETE FROM projection_hub_cursors WHERE name = ? AND hub_id = ? AND received_ms = ?', [r.p.name, c.hubId, c.receivedMs]);
      });
    }
  }

  /** Wait for queued batches, save cursors, stop the timer. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.drained();
    await this.saveCursors();
  }

  async drained(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.chain));
  }

  private async saveCursors(): Promise<void> {
    const now = this.now();
    for (const r of this.runners) {
      if (r.failed) continue;
      // Not past the receive time of the oldest batch handed over and not yet applied (queued or in flight).
      await this.saveCursor(r, Math.min(now, ...r.inFlight.map((q) => q.receivedMs), ...r.queue.map((q) => q.receivedMs)));
    }
  }

  private async saveCursor(r: Runner, receivedMs: number): Promise<void> {
    const key = [r.p.name, this.hubId, receivedMs] as const;
    await this.d.sql.tx(function* () {
      yield* run(
        'INSERT INTO projection_hub_cursors (name, hub_id, received_ms) VALUES (?, ?, ?) ON CONFLICT (name, hub_id) DO UPDATE SET received_ms = CASE WHEN excluded.received_ms > projection_hub_cursors.received_ms THEN excluded.received_ms ELSE projection_hub_cursors.received_ms END',
        [...key],
      );
    });
  }

  private async catchUp(r: Runner, from: number): Promise<void> {
    const types = [...r.types];
    const placeholders = types.map(() => '?').join(', ');
    let after = { receivedMs: from - 1, gatewayId: '', seq: 0 };
    let replayed = 0;
    for (;;) {
      // Keyset over (received_ms, gateway_id, seq): stable while new events keep arriving.
      const rows = await this.d.sql.all<{ gateway_id: string; seq: number; received_ms: number | string; body: string | EdgeEvent }>(
        `SELECT gateway_id, seq, received_ms, body FROM events
         WHERE status = 'ok' AND type IN (${placeholders})${r.p.parcelEventsOnly ? ' AND parcel_key IS NOT NULL' : ''}
           AND (received_ms > ? OR (received_ms = ? AND (gateway_id > ? OR (gateway_id = ? AND seq > ?))))
         ORDER BY received_ms, gateway_id, seq LIMIT ?`,
        [...types, after.receivedMs, after.receivedMs, after.gatewayId, after.gatewayId, after.seq, CATCH_UP_PAGE],
      );
      if (rows.length === 0) break;
      // Consecutive rows of one gateway go together, in journal order.
      const batches: ProjectionBatch[] = [];
      let group: EdgeEvent[] = [];
      let groupGw = rows[0]!.gateway_id;
      let groupReceived = 0;
      for (const row of rows) {
        if (row.gateway_id !== groupGw && group.length > 0) {
          batches.push({ gatewayId: groupGw, events: group, receivedMs: groupReceived });
          group = [];
        }
        groupGw = row.gateway_id;
        groupReceived = Number(row.received_ms);
        group.push(typeof row.body === 'string' ? (JSON.parse(row.body) as EdgeEvent) : row.body);
      }
      if (group.length > 0) batches.push({ gatewayId: groupGw, events: group, receivedMs: groupReceived });
      if (r.p.applyBatches) await r.p.applyBatches(batches);
      else for (const b of batches) await r.p.apply(b.gatewayId, b.events);
      replayed += rows.length;
      const last = rows[rows.length - 1]!;
      after = { receivedMs: Number(last.received_ms), gatewayId: last.gateway_id, seq: Number(last.seq) };
    }
    if (replayed > 0) this.d.log.info({ projection: r.p.name, replayed, fromMs: from }, 'projection caught up from stored events');
  }
}
