import type { Logger } from 'pino';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import type { SiteStockLevel, SkuTotal, StockAnomalyRecord, StockQuery, StockRepo } from '../repos/stock.ts';
import type { Projection } from './projections.ts';
import type { ReturnsService } from './returns.ts';

/**
 * The 'stock' projection: every `warehouse.transaction` a gateway's stations record moves stock at that site
 * (hub/customs/stock.ts says how), and each overseas return is matched with the export it came from.
 *
 * Idempotent as Projection requires: the stock repository skips an event at or below the seq it already applied for
 * the transaction, and export-return matching keeps its own seq, so a replay after a crash between the two completes
 * the second without repeating the first.
 */
export class StockService implements Projection {
  readonly name = 'stock';
  readonly types: readonly EventType[] = ['warehouse.transaction'];
  private readonly now: () => number;

  constructor(private readonly d: { stock: StockRepo; returns?: ReturnsService; log: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  async apply(gatewayId: string, events: readonly EdgeEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type !== 'warehouse.transaction') continue;
      const r = await this.d.stock.apply(gatewayId, e.seq, e.payload, this.now());
      if (r.applied && r.anomalies.length > 0) {
        this.d.log.warn({ gatewayId, seq: e.seq, transactionId: e.payload.transactionId, anomalies: r.anomalies.map((a) => `${a.kind} ${a.sku ?? '-'}@${a.locationId ?? '-'} ${a.haveQty}/${a.wantedQty}`) }, 'stock anomaly');
      }
      if (this.d.returns && e.payload.op === 'return') await this.d.returns.onExportReturn(gatewayId, e.seq, e.payload);
    }
  }

  async stock(q: StockQuery): Promise<{ items: SiteStockLevel[]; totals: SkuTotal[] }> {
    const { limit: _limit, ...filter } = q;
    const [items, totals] = await Promise.all([this.d.stock.levels(q), this.d.stock.totals(filter)]);
    return { items, totals };
  }

  anomalies(q: { site?: string; sku?: string; limit: number }): Promise<StockAnomalyRecord[]> {
    return this.d.stock.anomalies(q);
  }
}
