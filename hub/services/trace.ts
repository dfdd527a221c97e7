import { z } from 'zod';
import { sha256Hex } from '../../shared/canonical.ts';
import { BondgateError } from '../../shared/errors.ts';
import { maskIdNumber } from '../../shared/mask.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import type { CustomsDocument } from '../customs/documents.ts';
import { normalizeIdentity } from '../customs/matching.ts';
import { gtin14, maskName } from '../customs/trace.ts';
import type { InboundSummary, ItemCursor, LotSummary, ParcelOrder, ProductTotals, TraceInbound, TraceItem, TraceOrder, TracePick, TraceRepo } from '../repos/trace.ts';
import type { Projection } from './projections.ts';

/**
 * Traceability (质量追溯): from a product (GTIN, lot) to every parcel, order and buyer it went to, and from a parcel
 * back to the lots and inbound entry lists its goods came through — what a recall needs.
 *
 * Fed from two sides: the customs documents (`onDocuments`, called after they are stored: an inventory list names the
 * parcel, the order, the buyer and, per line, a barCode) and the warehouse stations' events (the `projection`:
 * receipts name the lot and the inbound entry list, picks name the lot going into an order).
 *
 * Buyers appear masked (ID number and name) for every role, officers included: a recall reaches buyers through the
 * platform that sold to them, and the hub never needs to hand a clear identity out for it. Phones are not kept at all.
 */

export interface ProductTrace {
  gtin: string;
  lot: string | null;
  totals: ProductTotals;
  lots: LotSummary[];
  /** Entry lists and sites the product (this lot, or every lot) was received through. */
  inbound: InboundSummary[];
  parcels: {
    parcelKey: string | null;
    orderNo: string;
    lot: string | null;
    qty: number;
    source: TraceItem['source'];
    buyer: TraceItem['buyer'];
    atMs: number;
  }[];
  nextCursor: string | null;
}

export interface ParcelTrace {
  parcelKey: string;
  orders: Omit<ParcelOrder, 'parcelKey'>[];
  items: {
    orderNo: string;
    gtin: string;
    lot: string | null;
    qty: number;
    source: TraceItem['source'];
    /** The entry lists and sites this lot came through; for a lot not known, every lot of the GTIN (candidates). */
    inbound: InboundSummary[];
    inboundIsCandidates: boolean;
  }[];
}

/** Groups of inbound rows returned per product or per parcel item: a recall screen, not an export. */
const INBOUND_LIMIT = 200;

const CursorShape = z.tuple([z.string().nullable(), z.string().nullable(), z.string()]);

export function encodeCursor(c: ItemCursor): string {
  return Buffer.from(JSON.stringify([c.lot, c.parcelKey, c.orderNo])).toString('base64url');
}

export function decodeCursor(text: string): ItemCursor {
  try {
    const [lot, parcelKey, orderNo] = CursorShape.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return { lot, parcelKey, orderNo };
  } catch {
    throw new BondgateError('VALIDATION_FAILED', 'the cursor is not one this API returned', [{ field: 'query.cursor', message: 'not a cursor from a previous page' }]);
  }
}

/** An inventory list (import or export) as the orders/parcel/buyer/GTIN links it declares. */
export function traceOrderOf(doc: CustomsDocument, atMs: number): TraceOrder | null {
  if (doc.kind !== 'inventory' && doc.kind !== 'exportInventory') return null;
  const lines = doc.lines.flatMap((l) => {
    const gtin = l.barCode === undefined ? null : gtin14(l.barCode);
    // Traceability counts units scanned at stations (numbers); a declared decimal qty is a count of the same units.
    return gtin === null ? [] : [{ gtin, qty: Number(l.qty) }];
  });
  const buyer =
    doc.kind === 'inventory'
      ? {
          // The same key as the customs case's buyerKey (SHA-256 of the normalised ID), so the two can be joined.
          key: sha256Hex(normalizeIdentity(doc.buyerIdNumber)),
          idMasked: maskIdNumber(normalizeIdentity(doc.buyerIdNumber)),
          nameMasked: maskName(doc.buyerName),
        }
      : null;
  return { orderNo: doc.orderNo, parcelKey: doc.logisticsNo, direction: doc.kind === 'inventory' ? 'import' : 'export', buyer, lines, atMs };
}

export class TraceService {
  /** The read model fed from warehouse events; wire it into Projections. */
  readonly projection: Projection;
  private readonly now: () => number;

  constructor(private readonly d: { repo: TraceRepo; now?: () => number }) {
    this.now = d.now ?? Date.now;
    this.projection = { name: 'trace', types: ['warehouse.transaction'], apply: (gatewayId, events) => this.applyEvents(gatewayId, events) };
  }

  /** Index stored customs documents: inventory lists give parcel, order, buyer and the GTINs on lines with a barCode. */
  async onDocuments(docs: readonly CustomsDocument[]): Promise<void> {
    const at = this.now();
    const orders = docs.map((doc) => traceOrderOf(doc, at)).filter((o): o is TraceOrder => o !== null);
    await this.d.repo.putOrders(orders);
  }

  /** Idempotent: every row is upserted on (gateway, transactionId), and an older amendment never replaces a newer one. */
  private async applyEvents(gatewayId: string, events: readonly EdgeEvent[]): Promise<void> {
    const inbound: TraceInbound[] = [];
    const picks: TracePick[] = [];
    for (const e of events) {
      if (e.type !== 'warehouse.transaction') continue;
      const p = e.payload;
      if (p.gtin === undefined) continue;
      const common = { gatewayId, transactionId: p.transactionId, seq: e.seq, gtin: p.gtin, outcome: p.outcome, qty: p.qty, atMs: e.time.wallMs };
      // Every receipt counts, even unexpected or over-quantity ones: the goods are physically in, whatever the list said.
      if (p.op === 'receive' && p.listId !== undefined && p.outcome !== 'rejected') {
        inbound.push({ ...common, lot: p.lot ?? null, entryListId: p.listId, sscc: p.sscc ?? null });
      } else if ((p.op === 'pick' || p.op === 'pack') && p.lot !== undefined && p.orderNo !== undefined) {
        // A pick without a lot says nothing the inventory list did not already say.
        picks.push({ ...common, lot: p.lot, orderNo: p.orderNo, op: p.op });
      }
    }
    await this.d.repo.putInbound(inbound);
    await this.d.repo.putPicks(picks);
  }

  async byProduct(q: { gtin: string; lot?: string; limit: number; cursor?: string }): Promise<ProductTrace> {
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const [items, totals, lots, inbound] = await Promise.all([
      // One more than asked: whether a next page exists, without an empty last page.
      this.d.repo.productItems({ gtin: q.gtin, ...(q.lot !== undefined && { lot: q.lot }), ...(after && { after }), limit: q.limit + 1 }),
      this.d.repo.productTotals(q.gtin, q.lot),
      this.d.repo.productLots(q.gtin, q.lot),
      this.d.repo.inbound(q.gtin, q.lot, INBOUND_LIMIT),
    ]);
    const page = items.slice(0, q.limit);
    const last = page.at(-1);
    return {
      gtin: q.gtin,
      lot: q.lot ?? null,
      totals,
      lots,
      inbound,
      parcels: page.map((i) => ({ parcelKey: i.parcelKey, orderNo: i.orderNo, lot: i.lot, qty: i.qty, source: i.source, buyer: i.buyer, atMs: i.atMs })),
      nextCursor: items.length > q.limit && last ? encodeCursor({ lot: last.lot, parcelKey: last.parcelKey, orderNo: last.orderNo }) : null,
    };
  }

  /** A parcel's goods with their lots and where each lot came in; null when the hub knows nothing of the parcel. */
  async byParcel(parcelKey: string): Promise<ParcelTrace | null> {
    const [items, orders] = await Promise.all([this.d.repo.parcelItems(parcelKey), this.d.repo.parcelOrders(parcelKey)]);
    if (items.length === 0 && orders.length === 0) return null;
    const inboundOf = new Map<string, Promise<InboundSummary[]>>();
    const lookup = (gtin: string, lot: string | null) => {
      const k = `${gtin}\n${lot ?? ''}`;
      let p = inboundOf.get(k);
      if (!p) {
        p = this.d.repo.inbound(gtin, lot ?? undefined, INBOUND_LIMIT);
        inboundOf.set(k, p);
      }
      return p;
    };
    return {
      parcelKey,
      orders: orders.map(({ parcelKey: _p, ...o }) => o),
      items: await Promise.all(
        items.map(async (i) => ({ orderNo: i.orderNo, gtin: i.gtin, lot: i.lot, qty: i.qty, source: i.source, inbound: await lookup(i.gtin, i.lot), inboundIsCandidates: i.lot === null })),
      ),
    };
  }
}
