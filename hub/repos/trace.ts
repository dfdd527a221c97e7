import { lotLinks, type DeclaredLine, type LotLink } from '../customs/trace.ts';
import { all, lock, one, run, type Migration, type Sql, type SqlBody } from '../storage/sql.ts';

/**
 * Traceability links (质量追溯): product (GTIN, lot) ↔ parcel, order, buyer, and product ↔ the inbound entry lists and
 * sites it came through — both directions indexed, because a recall asks "where did lot L go" and a complaint asks
 * "where did this parcel's goods come from".
 *
 * Sources, each upserted on its natural key so redeliveries and replays change nothing:
 * - trace_order / trace_order_line: what an order's inventory list declared (parcel, buyer, GTINs from barCode), keyed by
 *   orderNo (one list, one waybill per order in CEB); a resent list replaces its lines;
 * - trace_pick: pick/pack transactions that named a lot, keyed by (gateway, transactionId); an amendment (same id,
 *   later seq) replaces the row, an older replay does not;
 * - trace_inbound: receive transactions, keyed the same way.
 * The link table trace_item is derived per order from the first two (`lotLinks`), rebuilt under the order's lock
 * whenever either changes, so it is the same whatever order documents and scans arrive in.
 *
 * Empty string stands for "lot not known" (a primary-key column cannot be NULL on PostgreSQL); this module's API says
 * null. Buyers are stored as the SHA-256 of the normalised ID number plus a masked ID and name: no clear personal
 * data is kept here at all.
 */

export interface TraceBuyer {
  /** SHA-256 hex of the normalised ID number (the same key as the customs case's buyerKey). */
  key: string;
  idMasked: string;
  nameMasked: string;
}

export interface TraceOrder {
  orderNo: string;
  parcelKey: string;
  direction: 'import' | 'export';
  /** Export lists carry no buyer. */
  buyer: TraceBuyer | null;
  lines: DeclaredLine[];
  atMs: number;
}

export interface TracePick {
  gatewayId: string;
  transactionId: string;
  seq: number;
  orderNo: string;
  gtin: string;
  lot: string;
  op: 'pick' | 'pack';
  outcome: string;
  qty: number;
  atMs: number;
}

export interface TraceInbound {
  /** The receiving site: the gateway that journalled it. */
  gatewayId: string;
  transactionId: string;
  seq: number;
  gtin: string;
  lot: string | null;
  entryListId: string;
  sscc: string | null;
  outcome: string;
  qty: number;
  atMs: number;
}

export interface TraceItem {
  orderNo: string;
  gtin: string;
  lot: string | null;
  /** Null when a pick named the order before its inventory list (and so its parcel) reached the hub. */
  parcelKey: string | null;
  buyer: { idMasked: string; nameMasked: string } | null;
  qty: number;
  source: LotLink['source'];
  atMs: number;
}

/** Where a page of a product's links ends: the sort key of its last row. */
export interface ItemCursor {
  lot: string | null;
  parcelKey: string | null;
  orderNo: string;
}

export interface ProductTotals {
  /** Link rows (order × GTIN × lot). */
  links: number;
  parcels: number;
  orders: number;
  buyers: number;
  qty: number;
}

export interface LotSummary {
  lot: string | null;
  parcels: number;
  qty: number;
}

export interface InboundSummary {
  lot: string | null;
  entryListId: string;
  site: string;
  receipts: number;
  qty: number;
  firstAtMs: number;
  lastAtMs: number;
}

export interface ParcelOrder {
  orderNo: string;
  parcelKey: string;
  direction: 'import' | 'export';
  buyer: { idMasked: string; nameMasked: string } | null;
  atMs: number;
}

export interface TraceRepo {
  migrate(): Promise<void>;
  /** Record orders (a later version of an order replaces the earlier) and relink them. */
  putOrders(orders: readonly TraceOrder[]): Promise<void>;
  /** Record pick/pack transactions that named a lot and relink their orders. */
  putPicks(picks: readonly TracePick[]): Promise<void>;
  putInbound(rows: readonly TraceInbound[]): Promise<void>;
  /** One page of a product's links, ordered by (lot, parcel, order); lot-unknown links come first. */
  productItems(q: { gtin: string; lot?: string; after?: ItemCursor; limit: number }): Promise<TraceItem[]>;
  productTotals(gtin: string, lot?: string): Promise<ProductTotals>;
  productLots(gtin: string, lot?: string): Promise<LotSummary[]>;
  /** Entry lists and sites a product (all lots, or one) came in through, per lot; at most `limit` groups. */
  inbound(gtin: string, lot: string | undefined, limit: number): Promise<InboundSummary[]>;
  parcelItems(parcelKey: string): Promise<TraceItem[]>;
  parcelOrders(parcelKey: string): Promise<ParcelOrder[]>;
}

const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE trace_order (
     order_no TEXT PRIMARY KEY, parcel_key TEXT NOT NULL, direction TEXT NOT NULL,
     buyer_key TEXT, buyer_id_masked TEXT, buyer_name_masked TEXT, at_ms BIGINT NOT NULL)`,
  'CREATE INDEX trace_order_parcel ON trace_order (parcel_key)',
  'CREATE TABLE trace_order_line (order_no TEXT NOT NULL, gtin TEXT NOT NULL, qty DOUBLE PRECISION NOT NULL, PRIMARY KEY (order_no, gtin))',
  `CREATE TABLE trace_pick (
     gateway_id TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, order_no TEXT NOT NULL, gtin TEXT NOT NULL,
     lot TEXT NOT NULL, op TEXT NOT NULL, outcome TEXT NOT NULL, qty DOUBLE PRECISION NOT NULL, at_ms BIGINT NOT NULL,
     PRIMARY KEY (gateway_id, transaction_id))`,
  'CREATE INDEX trace_pick_order ON trace_pick (order_no)',
  `CREATE TABLE trace_item (
     order_no TEXT NOT NULL, gtin TEXT NOT NULL, lot TEXT NOT NULL, parcel_key TEXT NOT NULL,
     buyer_key TEXT, buyer_id_masked TEXT, buyer_name_masked TEXT,
     qty DOUBLE PRECISION NOT NULL, source TEXT NOT NULL, at_ms BIGINT NOT NULL,
     PRIMARY KEY (order_no, gtin, lot))`,
  // The recall direction: a range on (gtin, lot) already in page order (lot, parcel, order), so a page is an index walk.
  'CREATE INDEX trace_item_product ON trace_item (gtin, lot, parcel_key, order_no)',
  // The complaint direction: a parcel's goods.
  'CREATE INDEX trace_item_parcel ON trace_item (parcel_key)',
  `CREATE TABLE trace_inbound (
     gateway_id TEXT NOT NULL, transaction_id TEXT NOT NULL, seq BIGINT NOT NULL, gtin TEXT NOT NULL, lot TEXT NOT NULL,
     entry_list_id TEXT NOT NULL, sscc TEXT, outcome TEXT NOT NULL, qty DOUBLE PRECISION NOT NULL, at_ms BIGINT NOT NULL,
     PRIMARY KEY (gateway_id, transaction_id))`,
  'CREATE INDEX trace_inbound_product ON trace_inbound (gtin, lot)',
  'CREATE INDEX trace_inbound_list ON trace_inbound (entry_list_id)',
];

interface OrderRow { order_no: string; parcel_key: string; direction: 'import' | 'export'; buyer_key: string | null; buyer_id_masked: string | null; buyer_name_masked: string | null; at_ms: number }
interface ItemRow { order_no: string; gtin: string; lot: string; parcel_key: string; buyer_id_masked: string | null; buyer_name_masked: string | null; qty: number; source: LotLink['source']; at_ms: number }

const ITEM_COLUMNS = 'order_no, gtin, lot, parcel_key, buyer_id_masked, buyer_name_masked, qty, source, at_ms';
const fromDb = (s: string): string | null => (s === '' ? null : s);
const toDb = (s: string | null | undefined): string => s ?? '';
const maskedBuyer = (id: string | null, name: string | null) => (id === null ? null : { idMasked: id, nameMasked: name ?? '' });

function toItem(r: ItemRow): TraceItem {
  return {
    orderNo: r.order_no,
    gtin: r.gtin,
    lot: fromDb(r.lot),
    parcelKey: fromDb(r.parcel_key),
    buyer: maskedBuyer(r.buyer_id_masked, r.buyer_name_masked),
    qty: Number(r.qty),
    source: r.source,
    atMs: Number(r.at_ms),
  };
}

/** Lock orders in one order (sorted): two transactions on overlapping orders never wait on each other in a cycle. */
function* lockOrders(orderNos: Iterable<string>): SqlBody<void> {
  for (const o of [...new Set(orderNos)].sort()) yield* lock(`trace:order:${o}`);
}

/** Rebuild one order's links from its declared lines and its lot scans. The caller holds the order's lock. */
function* relink(orderNo: string): SqlBody<void> {
  const order = yield* one<OrderRow>('SELECT order_no, parcel_key, direction, buyer_key, buyer_id_masked, buyer_name_masked, at_ms FROM trace_order WHERE order_no = ?', [orderNo]);
  const lines = yield* all<{ gtin: string; qty: number }>('SELECT gtin, qty FROM trace_order_line WHERE order_no = ?', [orderNo]);
  const picks = yield* all<{ gtin: string; lot: string; op: 'pick' | 'pack'; outcome: string; qty: number; at_ms: number }>(
    'SELECT gtin, lot, op, outcome, qty, at_ms FROM trace_pick WHERE order_no = ?',
    [orderNo],
  );
  const links = lotLinks(
    lines.map((l) => ({ gtin: l.gtin, qty: Number(l.qty) })),
    picks.map((p) => ({ gtin: p.gtin, lot: p.lot, op: p.op, outcome: p.outcome, qty: Number(p.qty) })),
  );
  yield* run('DELETE FROM trace_item WHERE order_no = ?', [orderNo]);
  for (const l of links) {
    const pickedAt = picks.filter((p) => p.gtin === l.gtin && p.lot === toDb(l.lot)).reduce((m, p) => Math.max(m, Number(p.at_ms)), 0);
    yield* run(`INSERT INTO trace_item (${ITEM_COLUMNS}, buyer_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      orderNo,
      l.gtin,
      toDb(l.lot),
      order?.parcel_key ?? '',
      order?.buyer_id_masked ?? null,
      order?.buyer_name_masked ?? null,
      l.qty,
      l.source,
      Math.max(Number(order?.at_ms ?? 0), pickedAt),
      order?.buyer_key ?? null,
    ]);
  }
}

/** Orders per transaction when indexing a batch of documents. */
const ORDERS_PER_TX = 500;

function* putOrderChunk(orders: readonly TraceOrder[]): SqlBody<void> {
  yield* lockOrders(orders.map((o) => o.orderNo));
  for (const o of orders) {
    yield* run(
      `INSERT INTO trace_order (order_no, parcel_key, direction, buyer_key, buyer_id_masked, buyer_name_masked, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_no) DO UPDATE SET parcel_key = excluded.parcel_key, direction = excluded.direction, buyer_key = excluded.buyer_key,
         buyer_id_masked = excluded.buyer_id_masked, buyer_name_masked = excluded.buyer_name_masked, at_ms = excluded.at_ms`,
      [o.orderNo, o.parcelKey, o.direction, o.buyer?.key ?? null, o.buyer?.idMasked ?? null, o.buyer?.nameMasked ?? null, o.atMs],
    );
    // A resent list replaces what the order declared.
    yield* run('DELETE FROM trace_order_line WHERE order_no = ?', [o.orderNo]);
    const summed = new Map<string, number>();
    for (const l of o.lines) summed.set(l.gtin, (summed.get(l.gtin) ?? 0) + l.qty);
    for (const [gtin, qty] of summed) yield* run('INSERT INTO trace_order_line (order_no, gtin, qty) VALUES (?, ?, ?)', [o.orderNo, gtin, qty]);
    yield* relink(o.orderNo);
  }
}

export function openTraceRepo(sql: Sql): TraceRepo {
  return {
    migrate: () => sql.migrate('trace', MIGRATIONS),

    async putOrders(orders) {
      // The last version of an order in the batch wins, as it would across batches.
      const latest = [...new Map(orders.map((o) => [o.orderNo, o])).values()];
      // Short transactions: on SQLite a transaction holds the connection the ingest path shares (see sql.ts).
      for (let from = 0; from < latest.length; from += ORDERS_PER_TX) {
        const chunk = latest.slice(from, from + ORDERS_PER_TX);
        await sql.tx(() => putOrderChunk(chunk));
      }
    },

    async putPicks(picks) {
      if (picks.length === 0) return;
      await sql.tx(function* () {
        const orders = new Set(picks.map((p) => p.orderNo));
        yield* lockOrders(orders);
        for (const p of picks) {
          // A replay of an older amendment (lower seq) leaves the newer one in place.
          yield* run(
            `INSERT INTO trace_pick (gateway_id, transaction_id, seq, order_no, gtin, lot, op, outcome, qty, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (gateway_id, transaction_id) DO UPDATE SET seq = excluded.seq, order_no = excluded.order_no, gtin = excluded.gtin, lot = excluded.lot,
               op = excluded.op, outcome = excluded.outcome, qty = excluded.qty, at_ms = excluded.at_ms
             WHERE excluded.seq >= trace_pick.seq`,
            [p.gatewayId, p.transactionId, p.seq, p.orderNo, p.gtin, p.lot, p.op, p.outcome, p.qty, p.atMs],
          );
        }
        for (const o of orders) yield* relink(o);
      });
    },

    async putInbound(rows) {
      if (rows.length === 0) return;
      await sql.tx(function* () {
        for (const r of rows) {
          yield* run(
            `INSERT INTO trace_inbound (gateway_id, transaction_id, seq, gtin, lot, entry_list_id, sscc, outcome, qty, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (gateway_id, transaction_id) DO UPDATE SET seq = excluded.seq, gtin = excluded.gtin, lot = excluded.lot, entry_list_id = excluded.entry_list_id,
               sscc = excluded.sscc, outcome = excluded.outcome, qty = excluded.qty, at_ms = excluded.at_ms
             WHERE excluded.seq >= trace_inbound.seq`,
            [r.gatewayId, r.transactionId, r.seq, r.gtin, toDb(r.lot), r.entryListId, r.sscc, r.outcome, r.qty, r.atMs],
          );
        }
      });
    },

    async productItems({ gtin, lot, after, limit }) {
      // With the lot fixed, the keyset is (parcel, order): a row-value range on the lot column too would stop SQLite
      // from using the index for the range (it falls back to filtering every row of the lot).
      let rows: ItemRow[];
      if (lot !== undefined) {
        rows = after
          ? await sql.all<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM trace_item WHERE gtin = ? AND lot = ? AND (parcel_key, order_no) > (?, ?) ORDER BY parcel_key, order_no LIMIT ?`, [gtin, lot, toDb(after.parcelKey), after.orderNo, limit])
          : await sql.all<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM trace_item WHERE gtin = ? AND lot = ? ORDER BY parcel_key, order_no LIMIT ?`, [gtin, lot, limit]);
      } else {
        rows = after
          ? await sql.all<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM trace_item WHERE gtin = ? AND (lot, parcel_key, order_no) > (?, ?, ?) ORDER BY lot, parcel_key, order_no LIMIT ?`, [gtin, toDb(after.lot), toDb(after.parcelKey), after.orderNo, limit])
          : await sql.all<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM trace_item WHERE gtin = ? ORDER BY lot, parcel_key, order_no LIMIT ?`, [gtin, limit]);
      }
      return rows.map(toItem);
    },

    async productTotals(gtin, lot) {
      const where = lot === undefined ? 'gtin = ?' : 'gtin = ? AND lot = ?';
      const params = lot === undefined ? [gtin] : [gtin, lot];
      const r = (
        await sql.all<{ links: number; parcels: number; orders: number; buyers: number; qty: number | null }>(
          `SELECT COUNT(*) AS links, COUNT(DISTINCT NULLIF(parcel_key, '')) AS parcels, COUNT(DISTINCT order_no) AS orders,
                  COUNT(DISTINCT buyer_key) AS buyers, SUM(qty) AS qty FROM trace_item WHERE ${where}`,
          params,
        )
      )[0];
      return { links: Number(r?.links ?? 0), parcels: Number(r?.parcels ?? 0), orders: Number(r?.orders ?? 0), buyers: Number(r?.buyers ?? 0), qty: Number(r?.qty ?? 0) };
    },

    async productLots(gtin, lot) {
      const where = lot === undefined ? 'gtin = ?' : 'gtin = ? AND lot = ?';
      const rows = await sql.all<{ lot: string; parcels: number; qty: number }>(
        `SELECT lot, COUNT(DISTINCT NULLIF(parcel_key, '')) AS parcels, SUM(qty) AS qty FROM trace_item WHERE ${where} GROUP BY lot ORDER BY lot`,
        lot === undefined ? [gtin] : [gtin, lot],
      );
      return rows.map((r) => ({ lot: fromDb(r.lot), parcels: Number(r.parcels), qty: Number(r.qty) }));
    },

    async inbound(gtin, lot, limit) {
      const where = lot === undefined ? 'gtin = ?' : 'gtin = ? AND lot = ?';
      const rows = await sql.all<{ lot: string; entry_list_id: string; gateway_id: string; receipts: number; qty: number; first_ms: number; last_ms: number }>(
        `SELECT lot, entry_list_id, gateway_id, COUNT(*) AS receipts, SUM(qty) AS qty, MIN(at_ms) AS first_ms, MAX(at_ms) AS last_ms
         FROM trace_inbound WHERE ${where} GROUP BY lot, entry_list_id, gateway_id ORDER BY lot, entry_list_id, gateway_id LIMIT ?`,
        lot === undefined ? [gtin, limit] : [gtin, lot, limit],
      );
      return rows.map((r) => ({ lot: fromDb(r.lot), entryListId: r.entry_list_id, site: r.gateway_id, receipts: Number(r.receipts), qty: Number(r.qty), firstAtMs: Number(r.first_ms), lastAtMs: Number(r.last_ms) }));
    },

    async parcelItems(parcelKey) {
      const rows = await sql.all<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM trace_item WHERE parcel_key = ? ORDER BY gtin, lot, order_no`, [parcelKey]);
      return rows.map(toItem);
    },

    async parcelOrders(parcelKey) {
      const rows = await sql.all<OrderRow>('SELECT order_no, parcel_key, direction, buyer_key, buyer_id_masked, buyer_name_masked, at_ms FROM trace_order WHERE parcel_key = ? ORDER BY order_no', [parcelKey]);
      return rows.map((r) => ({ orderNo: r.order_no, parcelKey: r.parcel_key, direction: r.direction, buyer: maskedBuyer(r.buyer_id_masked, r.buyer_name_masked), atMs: Number(r.at_ms) }));
    },
  };
}
