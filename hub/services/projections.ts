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
 */
export interface Projection {
  readonly name: string;
  /** Event types it consumes. */
  readonly types: readonly EventType[];
  /** Apply one gateway's events in journal order. MUST be idempotent: redeliveries and the start-up catch-up replay events. */
  apply(gatewayId: string, events: readonly EdgeEvent[]): Promise<void>;
}

const MIGRATIONS = [
  'CREATE TABLE projection_cursors (name TEXT PRIMARY KEY, received_ms BIGINT NOT NULL)',
  // The catch-up reads by receive time.
  'CREATE INDEX events_received ON events (received_ms)',
];

const CATCH_UP_PAGE = 2000;

interface Runner {
  p: Projection;
  types: ReadonlySet<string>;
  chain: Promise<void>;
  /** Enqueue times of batches not yet applied: the cursor may not pass the oldest. */
  pending: Map<number, number>;
  /** An apply failed in this process: the cursor stays where it was, so the next start replays it. */
  failed: boolean;
  nextId: number;
}

export class Projections {
  private readonly runners: Runner[];
  private readonly now: () => number;
  private readonly marginMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: { sql: Sql; projections: readonly Projection[]; log: Logger; now?: () => number; catchUpMarginMs?: number }) {
    this.now = d.now ?? Date.now;
    this.marginMs = d.catchUpMarginMs ?? 120_000;
    this.runners = d.projections.map((p) => ({ p, types: new Set(p.types), chain: Promise.resolve(), pending: new Map(), failed: false, nextId: 0 }));
  }

  async migrate(): Promise<void> {
    await this.d.sql.migrate('projections', MIGRATIONS);
  }

  /** Hand a committed batch to every projection that wants some of it (serialised per projection). */
  onEvents(gatewayId: string, events: readonly EdgeEvent[]): void {
    for (const r of this.runners) {
      const mine = events.filter((e) => r.types.has(e.type));
      if (mine.length === 0) continue;
      const id = r.nextId++;
      r.pending.set(id, this.now());
      r.chain = r.chain
        .then(() => r.p.apply(gatewayId, mine))
        .catch((e: Error) => {
          r.failed = true;
          this.d.log.error({ projection: r.p.name, gatewayId, err: e.message }, 'projection failed: its cursor stays put and the next start replays these events');
        })
        .finally(() => r.pending.delete(id));
    }
  }

  /** Replay what may have been missed, then save cursors every `saveEveryMs`. */
  async start(saveEveryMs = 5000): Promise<void> {
    await this.migrate();
    for (const r of this.runners) {
      // A projection that cannot catch up must not keep the hub from starting: it keeps its cursor and tries again next start.
      await this.catchUp(r).catch((e: Error) => {
        r.failed = true;
        this.d.log.error({ projection: r.p.name, err: e.message }, 'projection catch-up failed: its cursor stays put');
      });
    }
    this.timer = setInterval(() => void this.saveCursors().catch((e: Error) => this.d.log.warn({ err: e.message }, 'saving projection cursors failed')), saveEveryMs);
    this.timer.unref();
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
      const oldest = Math.min(now, ...r.pending.values());
      await this.d.sql.tx(function* () {
        yield* run(
          'INSERT INTO projection_cursors (name, received_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET received_ms = CASE WHEN excluded.received_ms > projection_cursors.received_ms THEN excluded.received_ms ELSE projection_cursors.received_ms END',
          [r.p.name, oldest],
        );
      });
    }
  }

  private async catchUp(r: Runner): Promise<void> {
    const cursor = (await this.d.sql.all<{ received_ms: number }>('SELECT received_ms FROM projection_cursors WHERE name = ?', [r.p.name]))[0]?.received_ms;
    const from = cursor === undefined ? 0 : Math.max(0, Number(cursor) - this.marginMs);
    const types = [...r.types];
    const placeholders = types.map(() => '?').join(', ');
    let after = { receivedMs: from - 1, gatewayId: '', seq: 0 };
    let replayed = 0;
    for (;;) {
      // Keyset over (received_ms, gateway_id, seq): stable while new events keep arriving.
      const rows = await this.d.sql.all<{ gateway_id: string; seq: number; received_ms: number; body: string | EdgeEvent }>(
        `SELECT gateway_id, seq, received_ms, body FROM events
         WHERE status = 'ok' AND type IN (${placeholders})
           AND (received_ms > ? OR (received_ms = ? AND (gateway_id > ? OR (gateway_id = ? AND seq > ?))))
         ORDER BY received_ms, gateway_id, seq LIMIT ?`,
        [...types, after.receivedMs, after.receivedMs, after.gatewayId, after.gatewayId, after.seq, CATCH_UP_PAGE],
      );
      if (rows.length === 0) break;
      // Consecutive rows of one gateway go together, in journal order.
      let group: EdgeEvent[] = [];
      let groupGw = rows[0]!.gateway_id;
      for (const row of rows) {
        if (row.gateway_id !== groupGw && group.length > 0) {
          await r.p.apply(groupGw, group);
          group = [];
        }
        groupGw = row.gateway_id;
        group.push(typeof row.body === 'string' ? (JSON.parse(row.body) as EdgeEvent) : row.body);
      }
      if (group.length > 0) await r.p.apply(groupGw, group);
      replayed += rows.length;
      const last = rows[rows.length - 1]!;
      after = { receivedMs: Number(last.received_ms), gatewayId: last.gateway_id, seq: Number(last.seq) };
    }
    if (replayed > 0) this.d.log.info({ projection: r.p.name, replayed, fromMs: from }, 'projection caught up from stored events');
  }
}
