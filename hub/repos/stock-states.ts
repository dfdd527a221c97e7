import { DEFAULT_STOCK_LOCATIONS, type StockLocations } from '../customs/stock.ts';
import type { Sql, SqlParam } from '../storage/sql.ts';
import type { SiteStockLevel } from './stock.ts';

/**
 * Keyset pages and class totals over the stock module's `stock_levels` (hub/repos/stock.ts owns and writes it; this
 * only reads, in its primary-key order, so no index of its own is needed). A row's customs state depends on where it
 * sits: the "class" — overseas, dock, staging, or elsewhere in bond — is what SQL can tell; the rest
 * (hub/customs/stock-state.ts) needs the staged order's cases and slips.
 */
export type StockClass = 'overseas' | 'dock' | 'staging' | 'in_bond';

export interface StockFilter {
  site?: string;
  warehouse?: 'bonded' | 'overseas';
  sku?: string;
  locationId?: string;
  classes?: readonly StockClass[];
}

export interface StockStateRepo {
  /** Stock held (qty > 0) in primary-key order, after `cursor` (opaque). */
  page(f: StockFilter, limit: number, cursor?: string): Promise<{ items: SiteStockLevel[]; nextCursor: string | null }>;
  /** Quantity per class, and per staging location (at most `maxStaging` of them; `more` when there are others). */
  totals(f: Omit<StockFilter, 'classes'>, maxStaging: number): Promise<{ byClass: Record<StockClass, number>; staging: { locationId: string; qty: number }[]; more: boolean }>;
}

interface LevelRow { site: string; warehouse: SiteStockLevel['warehouse']; sku: string; location_id: string; bucket: SiteStockLevel['bucket']; qty: number; updated_ms: number }

export function openStockStateRepo(sql: Sql, loc: StockLocations = DEFAULT_STOCK_LOCATIONS): StockStateRepo {
  // A prefix LIKE pattern: the staging prefix's own % and _ escaped.
  const stagingLike = `${loc.stagingPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const classSql: Record<StockClass, { sql: string; params: SqlParam[] }> = {
    overseas: { sql: "warehouse = 'overseas'", params: [] },
    dock: { sql: "(warehouse = 'bonded' AND location_id = ?)", params: [loc.dockLocationId] },
    staging: { sql: "(warehouse = 'bonded' AND location_id LIKE ? ESCAPE '\\')", params: [stagingLike] },
    in_bond: { sql: "(warehouse = 'bonded' AND location_id <> ? AND location_id NOT LIKE ? ESCAPE '\\')", params: [loc.dockLocationId, stagingLike] },
  };
  const where = (f: StockFilter) => {
    const parts = ['qty > 0'];
    const params: SqlParam[] = [];
    const add = (s: string, ...p: SqlParam[]) => (parts.push(s), params.push(...p));
    if (f.site !== undefined) add('site = ?', f.site);
    if (f.warehouse !== undefined) add('warehouse = ?', f.warehouse);
    if (f.sku !== undefined) add('sku = ?', f.sku);
    if (f.locationId !== undefined) add('location_id = ?', f.locationId);
    if (f.classes) {
      const cs = f.classes.map((c) => classSql[c]);
      add(cs.length ? `(${cs.map((c) => c.sql).join(' OR ')})` : '1 = 0', ...cs.flatMap((c) => c.params));
    }
    return { sql: parts.join(' AND '), params };
  };
  return {
    async page(f, limit, cursor) {
      const w = where(f);
      let after = '';
      const params = [...w.params];
      const key = cursor ? decode(cursor) : undefined;
      if (key) {
        // Row-value comparison spelled out: (a, b, …) > (?, ?, …) in both dialects' terms.
        after = ' AND (site > ? OR (site = ? AND (warehouse > ? OR (warehouse = ? AND (sku > ? OR (sku = ? AND (location_id > ? OR (location_id = ? AND bucket > ?))))))))';
        const [s, wh, sku, l, b] = key;
        params.push(s, s, wh, wh, sku, sku, l, l, b);
      }
      const rows = await sql.all<LevelRow>(
        `SELECT site, warehouse, sku, location_id, bucket, qty, updated_ms FROM stock_levels WHERE ${w.sql}${after} ORDER BY site, warehouse, sku, location_id, bucket LIMIT ?`,
        [...params, limit + 1],
      );
      const items = rows.slice(0, limit).map((r) => ({ site: r.site, warehouse: r.warehouse, sku: r.sku, locationId: r.location_id, bucket: r.bucket, qty: Number(r.qty), updatedMs: Number(r.updated_ms) }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last ? encode([last.site, last.warehouse, last.sku, last.locationId, last.bucket]) : null };
    },

    async totals(f, maxStaging) {
      const w = where(f);
      const byClass: Record<StockClass, number> = { overseas: 0, dock: 0, staging: 0, in_bond: 0 };
      for (const c of Object.keys(byClass) as StockClass[]) {
        const row = (await sql.all<{ qty: number | null }>(`SELECT SUM(qty) AS qty FROM stock_levels WHERE ${w.sql} AND ${classSql[c].sql}`, [...w.params, ...classSql[c].params]))[0];
        byClass[c] = Number(row?.qty ?? 0);
      }
      const rows = await sql.all<{ location_id: string; qty: number }>(
        `SELECT location_id, SUM(qty) AS qty FROM stock_levels WHERE ${w.sql} AND ${classSql.staging.sql} GROUP BY location_id ORDER BY location_id LIMIT ?`,
        [...w.params, ...classSql.staging.params, maxStaging + 1],
      );
      return { byClass, staging: rows.slice(0, maxStaging).map((r) => ({ locationId: r.location_id, qty: Number(r.qty) })), more: rows.length > maxStaging };
    },
  };
}

const encode = (k: string[]) => Buffer.from(JSON.stringify(k)).toString('base64url');
function decode(c: string): [string, string, string, string, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString()) as unknown;
    return Array.isArray(v) && v.length === 5 && v.every((x) => typeof x === 'string') ? (v as [string, string, string, string, string]) : undefined;
  } catch {
    return undefined;
  }
}
