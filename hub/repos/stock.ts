import { all, lock, one, run, type Migration, type Sql, type SqlParam } from '../storage/sql.ts';
import {
  DEFAULT_STOCK_LOCATIONS,
  foldTransaction,
  keyOf,
  StockDelta,
  type StockAnomaly,
  type StockBucket,
  type StockLevel,
  type StockLocations,
  type WarehouseTransaction,
} from '../customs/stock.ts';
import { z } from 'zod';

/**
 * Warehouse stock by site (the gateway whose stations recorded it), warehouse, SKU, location and bucket, kept from
 * `warehouse.transaction` events by the pure fold in hub/customs/stock.ts. Each transactionId keeps the seq of the
 * event last applied and what it contributed, so redeliveries change nothing and amendments apply the difference.
 */

const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE stock_levels (site TEXT NOT NULL, warehouse TEXT NOT NULL, sku TEXT NOT NULL, location_id TEXT NOT NULL, bucket TEXT NOT NULL,
     qty BIGINT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY (site, warehouse, sku, location_id, bucket))`,
  'CREATE INDEX stock_levels_sku ON stock_levels (sku)',
  'CREATE INDEX stock_levels_location ON stock_levels (site, location_id)',
  `CREATE TABLE stock_transactions (site TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, warehouse TEXT NOT NULL, op TEXT NOT NULL,
     contribution TEXT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY (site, transaction_id))`,
  // One row per anomaly of an event: (site, transaction, seq, n) makes a replayed event insert nothing new.
  `CREATE TABLE stock_anomalies (site TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, n INTEGER NOT NULL, kind TEXT NOT NULL, warehouse TEXT NOT NULL,
     sku TEXT, location_id TEXT, bucket TEXT, have_qty BIGINT NOT NULL, wanted_qty BIGINT NOT NULL, detail TEXT NOT NULL, at_ms BIGINT NOT NULL,
     PRIMARY KEY (site, transaction_id, seq, n))`,
  'CREATE INDEX stock_anomalies_at ON stock_anomalies (at_ms)',
];

export interface SiteStockLevel extends StockLevel {
  site: string;
  updatedMs: number;
}

export interface StockAnomalyRecord extends StockAnomaly {
  site: string;
  transactionId: string;
  seq: number;
  atMs: number;
}

export interface StockQuery {
  site?: string;
  sku?: string;
  locationId?: string;
  warehouse?: 'bonded' | 'overseas';
  limit: number;
}

export interface SkuTotal {
  sku: string;
  qty: number;
  sellable: number;
  quarantine: number;
}

export interface StockApplied {
  /** False for a redelivery (or an older amendment): nothing changed. */
  applied: boolean;
  changes: StockLevel[];
  anomalies: StockAnomaly[];
}

export interface StockRepo {
  migrate(): Promise<void>;
  /** Fold one event (`seq` in the site's journal) into stock, in one transaction. */
  apply(site: string, seq: number, tx: WarehouseTransaction, nowMs: number): Promise<StockApplied>;
  /** Stock held (qty > 0), ordered by site, warehouse, SKU, location. */
  levels(q: StockQuery): Promise<SiteStockLevel[]>;
  /** Totals per SKU over everything the query matches (not only the first `limit` levels). */
  totals(q: Omit<StockQuery, 'limit'>): Promise<SkuTotal[]>;
  /** Newest first. */
  anomalies(q: { site?: string; sku?: string; limit: number }): Promise<StockAnomalyRecord[]>;
}

interface LevelRow { site: string; warehouse: StockLevel['warehouse']; sku: string; location_id: string; bucket: StockBucket; qty: number; updated_ms: number }
interface AnomalyRow {
  site: string; transaction_id: string; seq: number; kind: StockAnomaly['kind']; warehouse: StockAnomaly['warehouse']; sku: string | null; location_id: string | null;
  bucket: StockBucket | null; have_qty: number; wanted_qty: number; detail: string; at_ms: number;
}

const Contribution = z.array(StockDelta);

function where(q: Omit<StockQuery, 'limit'>): { sql: string; params: SqlParam[] } {
  const parts: string[] = ['qty > 0'];
  const params: SqlParam[] = [];
  if (q.site !== undefined) { parts.push('site = ?'); params.push(q.site); }
  if (q.sku !== undefined) { parts.push('sku = ?'); params.push(q.sku); }
  if (q.locationId !== undefined) { parts.push('location_id = ?'); params.push(q.locationId); }
  if (q.warehouse !== undefined) { parts.push('warehouse = ?'); params.push(q.warehouse); }
  return { sql: parts.join(' AND '), params };
}

export function openStockRepo(sql: Sql, locations: StockLocations = DEFAULT_STOCK_LOCATIONS): StockRepo {
  return {
    migrate: () => sql.migrate('stock', MIGRATIONS),

    apply(site, seq, tx, nowMs) {
      return sql.tx(function* () {
        // Per site: a ship or a location-less pick reads other transactions' stock.
        yield* lock(`stock:${site}`);
        const prior = yield* one<{ seq: number; contribution: string }>('SELECT seq, contribution FROM stock_transactions WHERE site = ? AND transaction_id = ?', [site, tx.transactionId]);
        if (prior && seq <= Number(prior.seq)) return { applied: false, changes: [], anomalies: [] };
        const previous = prior ? Contribution.parse(JSON.parse(prior.contribution)) : [];
        // What the fold may read: the SKUs this transaction moves now or moved before, and the list's staging location.
        const skus = [...new Set([...(tx.sku !== undefined ? [tx.sku] : []), ...previous.map((d) => d.sku)])];
        const list = tx.listId ?? tx.orderNo;
        const staging = list === undefined ? null : `${locations.stagingPrefix}${list}`;
        const skuIn = skus.length === 0 ? '' : `sku IN (${skus.map(() => '?').join(', ')}) OR `;
        const rows = yield* all<LevelRow>(`SELECT site, warehouse, sku, location_id, bucket, qty, updated_ms FROM stock_levels WHERE site = ? AND (${skuIn}location_id = ?)`, [site, ...skus, staging]);
        const levels: StockLevel[] = rows.map((r) => ({ warehouse: r.warehouse, sku: r.sku, locationId: r.location_id, bucket: r.bucket, qty: Number(r.qty) }));
        const fold = foldTransaction(tx, previous, levels, locations);
        const held = new Map(levels.map((l) => [keyOf(l), l.qty]));
        for (const c of fold.changes) {
          const qty = (held.get(keyOf(c)) ?? 0) + c.qty;
          const key = [site, c.warehouse, c.sku, c.locationId, c.bucket];
          if (qty <= 0) yield* run('DELETE FROM stock_levels WHERE site = ? AND warehouse = ? AND sku = ? AND location_id = ? AND bucket = ?', key);
          else yield* run('INSERT INTO stock_levels (site, warehouse, sku, location_id, bucket, qty, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, warehouse, sku, location_id, bucket) DO UPDATE SET qty = excluded.qty, updated_ms = excluded.updated_ms', [...key, qty, nowMs]);
        }
        yield* run(
          'INSERT INTO stock_transactions (site, transaction_id, seq, warehouse, op, contribution, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, transaction_id) DO UPDATE SET seq = excluded.seq, warehouse = excluded.warehouse, op = excluded.op, contribution = excluded.contribution, updated_ms = excluded.updated_ms',
          [site, tx.transactionId, seq, tx.warehouse, tx.op, JSON.stringify(fold.contribution), nowMs],
        );
        for (const [n, a] of fold.anomalies.entries()) {
          yield* run(
            'INSERT INTO stock_anomalies (site, transaction_id, seq, n, kind, warehouse, sku, location_id, bucket, have_qty, wanted_qty, detail, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, transaction_id, seq, n) DO NOTHING',
            [site, tx.transactionId, seq, n, a.kind, a.warehouse, a.sku, a.locationId, a.bucket, a.haveQty, a.wantedQty, a.detail.slice(0, 1000), nowMs],
          );
        }
        return { applied: true, changes: fold.changes, anomalies: fold.anomalies };
      });
    },

    async levels(q) {
      const w = where(q);
      const rows = await sql.all<LevelRow>(`SELECT site, warehouse, sku, location_id, bucket, qty, updated_ms FROM stock_levels WHERE ${w.sql} ORDER BY site, warehouse, sku, location_id, bucket LIMIT ?`, [...w.params, q.limit]);
      return rows.map((r) => ({ site: r.site, warehouse: r.warehouse, sku: r.sku, locationId: r.location_id, bucket: r.bucket, qty: Number(r.qty), updatedMs: Number(r.updated_ms) }));
    },

    async totals(q) {
      const w = where(q);
      const rows = await sql.all<{ sku: string; qty: number; sellable: number; quarantine: number }>(
        `SELECT sku, SUM(qty) AS qty, SUM(CASE WHEN bucket = 'sellable' THEN qty ELSE 0 END) AS sellable, SUM(CASE WHEN bucket = 'quarantine' THEN qty ELSE 0 END) AS quarantine
         FROM stock_levels WHERE ${w.sql} GROUP BY sku ORDER BY sku`,
        w.params,
      );
      return rows.map((r) => ({ sku: r.sku, qty: Number(r.qty), sellable: Number(r.sellable), quarantine: Number(r.quarantine) }));
    },

    async anomalies(q) {
      const parts: string[] = [];
      const params: SqlParam[] = [];
      if (q.site !== undefined) { parts.push('site = ?'); params.push(q.site); }
      if (q.sku !== undefined) { parts.push('sku = ?'); params.push(q.sku); }
      const rows = await sql.all<AnomalyRow>(
        `SELECT site, transaction_id, seq, kind, warehouse, sku, location_id, bucket, have_qty, wanted_qty, detail, at_ms FROM stock_anomalies
         ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY at_ms DESC, site, transaction_id, seq DESC, n LIMIT ?`,
        [...params, q.limit],
      );
      return rows.map((r) => ({
        site: r.site, transactionId: r.transaction_id, seq: Number(r.seq), kind: r.kind, warehouse: r.warehouse, sku: r.sku, locationId: r.location_id, bucket: r.bucket,
        haveQty: Number(r.have_qty), wantedQty: Number(r.wanted_qty), detail: r.detail, atMs: Number(r.at_ms),
      }));
    },
  };
}
