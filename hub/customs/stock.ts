import { z } from 'zod';
import type { Payloads } from '../../shared/schemas/events.ts';
import { OverseasConfig } from '../../shared/stations/overseas.ts';

/**
 * Warehouse stock at the hub, folded from the stations' `warehouse.transaction` events, as a pure core: what one
 * transaction does to stock by (warehouse, SKU, location, bucket), for one site (a gateway). The repository
 * (hub/repos/stock.ts) runs it inside one SQL transaction per event.
 *
 * The movements are the overseas station's (shared/stations/overseas.ts), rebuilt from the event's public payload,
 * which carries no ledger effect:
 * - receive: ok → the dock; unexpected or surplus → quarantine;
 * - putaway: dock → the scanned location;
 * - pick (ok only): the pick location → the order's staging location `STAGING/<listId>`. The bonded station picks
 *   without a location scan: the hub then takes from storage locations in order, returns location last;
 * - ship: everything staged for the list leaves (the payload has no SKU: an order ships whole);
 * - return: sellable goods → the returns location, anything else → quarantine;
 * - pack, and rejected outcomes: nothing.
 *
 * A station re-sends a transaction under the same transactionId when it amends it (a re-scan, a carton put away
 * elsewhere, a corrected return condition), so each transaction keeps what it contributed and an amendment applies
 * only the difference. Stock never goes below zero: a change that would is applied down to zero and reported as a
 * shortfall (the event was real, the hub's picture of the shelf was not); the destination of a move still gets the
 * full quantity, because the goods did arrive there.
 */

export type WarehouseTransaction = z.output<(typeof Payloads)['warehouse.transaction']>;

export const WarehouseKind = z.enum(['bonded', 'overseas']);
export const StockBucket = z.enum(['sellable', 'quarantine']);
export type StockBucket = z.infer<typeof StockBucket>;

export const StockKey = z.object({ warehouse: WarehouseKind, sku: z.string(), locationId: z.string(), bucket: StockBucket });
export type StockKey = z.infer<typeof StockKey>;
/** A signed change to one stock key. */
export const StockDelta = StockKey.extend({ qty: z.number().int() });
export type StockDelta = z.infer<typeof StockDelta>;
/** Stock held at one key (qty > 0). */
export type StockLevel = StockDelta;

export const StockAnomalyKind = z.enum([
  /** The change would have taken stock below zero: applied down to zero. */
  'below_zero',
  /** A movement of goods that names no SKU: stock cannot be moved. */
  'no_sku',
  /** A putaway without a location, or a ship without a list or order. */
  'no_location',
  /** A pick without a location found too little pickable stock of the SKU. */
  'no_pickable_stock',
]);
export const StockAnomaly = z.object({
  kind: StockAnomalyKind,
  warehouse: WarehouseKind,
  sku: z.string().nullable(),
  locationId: z.string().nullable(),
  bucket: StockBucket.nullable(),
  /** What the hub held there, and what the transaction needed. */
  haveQty: z.number().int(),
  wantedQty: z.number().int(),
  detail: z.string(),
});
export type StockAnomaly = z.infer<typeof StockAnomaly>;

/** The station's special locations (its OverseasConfig; both stations default to the same names). */
export type StockLocations = Pick<OverseasConfig, 'dockLocationId' | 'returnsLocationId' | 'quarantineLocationId' | 'stagingPrefix'>;
const defaults = OverseasConfig.parse({});
export const DEFAULT_STOCK_LOCATIONS: StockLocations = {
  dockLocationId: defaults.dockLocationId,
  returnsLocationId: defaults.returnsLocationId,
  quarantineLocationId: defaults.quarantineLocationId,
  stagingPrefix: defaults.stagingPrefix,
};

export const keyOf = (k: StockKey): string => JSON.stringify([k.warehouse, k.sku, k.locationId, k.bucket]);

/** Sum deltas per key, zeros dropped, in a stable order. */
export function mergeDeltas(...lists: readonly (readonly StockDelta[])[]): StockDelta[] {
  const sum = new Map<string, StockDelta>();
  for (const list of lists) {
    for (const d of list) {
      const k = keyOf(d);
      const cur = sum.get(k);
      sum.set(k, { warehouse: d.warehouse, sku: d.sku, locationId: d.locationId, bucket: d.bucket, qty: (cur?.qty ?? 0) + d.qty });
    }
  }
  return [...sum.entries()].filter(([, d]) => d.qty !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
}

const negate = (ds: readonly StockDelta[]) => ds.map((d) => ({ ...d, qty: -d.qty }));

function stagingOf(tx: WarehouseTransaction, loc: StockLocations): string | undefined {
  const list = tx.listId ?? tx.orderNo;
  return list === undefined ? undefined : `${loc.stagingPrefix}${list}`;
}

const bucketAt = (locationId: string, loc: StockLocations): StockBucket => (locationId === loc.quarantineLocationId ? 'quarantine' : 'sellable');

function isPickable(locationId: string, loc: StockLocations): boolean {
  return locationId !== loc.dockLocationId && locationId !== loc.quarantineLocationId && !locationId.startsWith(loc.stagingPrefix);
}

interface Effect {
  deltas: StockDelta[];
  anomalies: StockAnomaly[];
}

/**
 * What a transaction does to stock. `view` is the stock as it would be without this transaction: only a ship and a
 * pick without a location look at it, so an amendment of either re-decides from the same shelf.
 */
export function effectOf(tx: WarehouseTransaction, view: readonly StockLevel[], loc: StockLocations = DEFAULT_STOCK_LOCATIONS): Effect {
  const wh = tx.warehouse;
  const none: Effect = { deltas: [], anomalies: [] };
  if (tx.outcome === 'rejected' || tx.op === 'pack') return none;
  const anomaly = (kind: StockAnomaly['kind'], detail: string, at: Partial<Pick<StockAnomaly, 'sku' | 'locationId' | 'bucket' | 'haveQty'>> = {}): StockAnomaly => ({
    kind,
    warehouse: wh,
    sku: at.sku ?? tx.sku ?? null,
    locationId: at.locationId ?? null,
    bucket: at.bucket ?? null,
    haveQty: at.haveQty ?? 0,
    wantedQty: tx.qty,
    detail,
  });

  if (tx.op === 'ship') {
    const staging = stagingOf(tx, loc);
    if (staging === undefined) return { deltas: [], anomalies: [anomaly('no_location', 'a ship names no list or order: nothing staged can leave')] };
    return { deltas: view.filter((l) => l.warehouse === wh && l.locationId === staging && l.qty > 0).map((l) => ({ ...l, qty: -l.qty })), anomalies: [] };
  }
  if (tx.qty === 0) return none;
  if (tx.op === 'pick' && tx.outcome !== 'ok') return none; // the station moves only what it counted against the order
  const sku = tx.sku;
  if (sku === undefined) return { deltas: [], anomalies: [anomaly('no_sku', `a ${tx.op} of ${tx.qty} names no SKU: stock not moved`)] };
  const at = (locationId: string, qty: number, bucket = bucketAt(locationId, loc)): StockDelta => ({ warehouse: wh, sku, locationId, bucket, qty });

  switch (tx.op) {
    case 'receive':
      return tx.outcome === 'ok' || tx.outcome === 'weight_off'
        ? { deltas: [at(tx.locationId ?? loc.dockLocationId, tx.qty)], anomalies: [] }
        : { deltas: [at(loc.quarantineLocationId, tx.qty, 'quarantine')], anomalies: [] };
    case 'putaway':
      if (tx.locationId === undefined) return { deltas: [], anomalies: [anomaly('no_location', `a putaway of ${tx.qty} ${sku} names no location: left on the dock`)] };
      return { deltas: [at(loc.dockLocationId, -tx.qty, 'sellable'), at(tx.locationId, tx.qty)], anomalies: [] };
    case 'pick': {
      const staging = stagingOf(tx, loc) ?? `${loc.stagingPrefix}-`;
      if (tx.locationId !== undefined) return { deltas: [at(tx.locationId, -tx.qty), at(staging, tx.qty, 'sellable')], anomalies: [] };
      // Storage before the returns location, as the overseas station picks; then by location id, so a replay decides alike.
      const candidates = view
        .filter((l) => l.warehouse === wh && l.sku === sku && l.bucket === 'sellable' && l.qty > 0 && isPickable(l.locationId, loc))
        .sort((a, b) => Number(a.locationId === loc.returnsLocationId) - Number(b.locationId === loc.returnsLocationId) || (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0));
      const deltas: StockDelta[] = [];
      let left = tx.qty;
      for (const c of candidates) {
        if (left === 0) break;
        const take = Math.min(left, c.qty);
        deltas.push(at(c.locationId, -take, 'sellable'));
        left -= take;
      }
      deltas.push(at(staging, tx.qty, 'sellable'));
      const held = tx.qty - left;
      return { deltas, anomalies: left > 0 ? [anomaly('no_pickable_stock', `picked ${tx.qty} ${sku} without a location: the hub holds ${held} pickable`, { haveQty: held, bucket: 'sellable' })] : [] };
    }
    case 'return': {
      // Only goods the station accepted as sellable go back to stock; a missing condition is not vouched for.
      const sellable = tx.outcome === 'ok' && tx.condition === 'sellable';
      const locationId = tx.locationId ?? (sellable ? loc.returnsLocationId : loc.quarantineLocationId);
      return { deltas: [at(locationId, tx.qty, sellable && locationId !== loc.quarantineLocationId ? 'sellable' : 'quarantine')], anomalies: [] };
    }
  }
}

export interface StockFold {
  /** What this transaction has contributed to stock after this event (what was actually applied). */
  contribution: StockDelta[];
  /** The changes to apply to stock now. */
  changes: StockDelta[];
  anomalies: StockAnomaly[];
}

/**
 * Fold one transaction event into stock. `previous`: what earlier events of the same transactionId contributed
 * (empty for a new one). `levels`: current stock, at least at every key of `previous`, of the event's SKU and of
 * the list's staging location; a key not given holds 0.
 */
export function foldTransaction(tx: WarehouseTransaction, previous: readonly StockDelta[], levels: readonly StockLevel[], loc: StockLocations = DEFAULT_STOCK_LOCATIONS): StockFold {
  const current = new Map(mergeDeltas(levels).map((l) => [keyOf(l), l.qty]));
  // Stock as if this transaction had never happened (never below zero: earlier shortfalls were clipped).
  const view = mergeDeltas(levels, negate(previous)).filter((l) => l.qty > 0);
  const effect = effectOf(tx, view, loc);
  const anomalies = [...effect.anomalies];
  const changes: StockDelta[] = [];
  for (const d of mergeDeltas(effect.deltas, negate(previous))) {
    const have = current.get(keyOf(d)) ?? 0;
    if (have + d.qty >= 0) {
      changes.push(d);
      continue;
    }
    if (have > 0) changes.push({ ...d, qty: -have });
    anomalies.push({ kind: 'below_zero', warehouse: d.warehouse, sku: d.sku, locationId: d.locationId, bucket: d.bucket, haveQty: have, wantedQty: -d.qty, detail: `${tx.op} needs ${-d.qty} ${d.sku} at ${d.locationId} (${d.bucket}), the hub holds ${have}: taken down to 0` });
  }
  return { contribution: mergeDeltas(previous, changes), changes: mergeDeltas(changes), anomalies };
}

/** One site's stock in memory: the same fold the repository runs, for tests and tools. */
export interface StockBook {
  levels: StockLevel[];
  /** transactionId → last applied seq and contribution. */
  transactions: Map<string, { seq: number; contribution: StockDelta[] }>;
  anomalies: (StockAnomaly & { transactionId: string; seq: number })[];
}

export function emptyStockBook(): StockBook {
  return { levels: [], transactions: new Map(), anomalies: [] };
}

/**
 * Apply one event to a book. A redelivery (an event at or below the seq already applied for its transactionId)
 * changes nothing: the journal's seq orders a transaction's amendments.
 */
export function applyToBook(book: StockBook, seq: number, tx: WarehouseTransaction, loc: StockLocations = DEFAULT_STOCK_LOCATIONS): StockBook {
  const prior = book.transactions.get(tx.transactionId);
  if (prior && seq <= prior.seq) return book;
  const fold = foldTransaction(tx, prior?.contribution ?? [], book.levels, loc);
  const transactions = new Map(book.transactions).set(tx.transactionId, { seq, contribution: fold.contribution });
  return {
    levels: mergeDeltas(book.levels, fold.changes).filter((l) => l.qty > 0),
    transactions,
    anomalies: [...book.anomalies, ...fold.anomalies.map((a) => ({ ...a, transactionId: tx.transactionId, seq }))],
  };
}
