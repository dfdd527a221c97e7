import { stagedList, stockState, type CustomsStockState, type ExitParcel, type StockStateRule } from '../customs/stock-state.ts';
import type { CaseRepo } from '../repos/cases.ts';
import type { ReleaseSlipRepo } from '../repos/release-slips.ts';
import type { StockClass, StockStateRepo } from '../repos/stock-states.ts';
import type { SiteStockLevel } from '../repos/stock.ts';

export interface StockStateQuery {
  site?: string;
  warehouse?: 'bonded' | 'overseas';
  sku?: string;
  locationId?: string;
  state?: CustomsStockState[];
  limit: number;
  cursor?: string;
}

export interface StockStateRow extends SiteStockLevel {
  state: CustomsStockState;
  rule: StockStateRule;
  /** The list or order the goods are staged for (picked), else null. */
  listId: string | null;
}

/** Which location classes can hold a row in each state (the SQL pre-filter; the pure rule decides). */
const CLASSES: Record<CustomsStockState, StockClass[]> = {
  non_bonded: ['overseas'],
  list_applied: ['dock', 'staging'],
  bonded: ['in_bond', 'staging'],
  slip_applied: ['staging'],
  written_off: ['staging'],
};
/** Staging lists resolved for the totals: beyond this the rest is reported as unresolved, not guessed. */
const MAX_STAGING_TOTALS = 100;
/** Pages read to fill one page when the state filter drops rows (staging rows only: the SQL pre-filter does the rest). */
const MAX_SCAN_PAGES = 5;

/**
 * `GET /api/stock/states`: stock by site, SKU and location with its customs state (hub/customs/stock-state.ts), and
 * totals per state. Staged rows need their order's cases and slip bindings: looked up per distinct list on the page
 * (bounded by the page size), by indexed order number and parcel key.
 */
export class StockStateService {
  constructor(private readonly d: { levels: StockStateRepo; cases: CaseRepo; slips: ReleaseSlipRepo }) {}

  async states(q: StockStateQuery): Promise<{ items: StockStateRow[]; nextCursor: string | null; totals: Record<CustomsStockState, number>; unresolvedQty: number }> {
    const filter = {
      ...(q.site !== undefined ? { site: q.site } : {}),
      ...(q.warehouse !== undefined ? { warehouse: q.warehouse } : {}),
      ...(q.sku !== undefined ? { sku: q.sku } : {}),
      ...(q.locationId !== undefined ? { locationId: q.locationId } : {}),
    };
    const wanted = q.state?.length ? new Set(q.state) : undefined;
    const classes = wanted ? [...new Set([...wanted].flatMap((s) => CLASSES[s]))] : undefined;
    const items: StockStateRow[] = [];
    let cursor = q.cursor;
    let nextCursor: string | null = null;
    for (let i = 0; i < MAX_SCAN_PAGES; i++) {
      const page = await this.d.levels.page({ ...filter, ...(classes ? { classes } : {}) }, q.limit - items.length, cursor);
      const rows = await this.classify(page.items);
      items.push(...(wanted ? rows.filter((r) => wanted.has(r.state)) : rows));
      nextCursor = page.nextCursor;
      if (!nextCursor || items.length >= q.limit) break;
      cursor = nextCursor;
    }
    return { items, nextCursor, ...(await this.totals(filter)) };
  }

  private async classify(levels: readonly SiteStockLevel[]): Promise<StockStateRow[]> {
    const lists = [...new Set(levels.map((l) => (l.warehouse === 'bonded' ? stagedList(l.locationId) : null)).filter((x): x is string => x !== null))];
    const exits = await this.exitFacts(lists);
    return levels.map((l) => {
      const listId = stagedList(l.locationId);
      return { ...l, ...stockState(l, listId === null ? [] : (exits.get(listId) ?? [])), listId };
    });
  }

  /** Each list's parcels with their case status and slip binding (a list is looked up as the order number it names). */
  private async exitFacts(lists: readonly string[]): Promise<Map<string, ExitParcel[]>> {
    const cases = new Map(await Promise.all(lists.map(async (l) => [l, await this.d.cases.byOrder(l)] as const)));
    const keys = [...cases.values()].flatMap((cs) => cs.map((c) => c.parcelKey));
    const bindings = keys.length ? await this.d.slips.bindings(keys) : new Map();
    return new Map([...cases].map(([l, cs]) => [l, cs.map((c) => ({ caseStatus: c.status, slipStatus: bindings.get(c.parcelKey)?.status ?? null }))]));
  }

  private async totals(filter: Omit<StockStateQuery, 'state' | 'limit' | 'cursor'>): Promise<{ totals: Record<CustomsStockState, number>; unresolvedQty: number }> {
    const t = await this.d.levels.totals(filter, MAX_STAGING_TOTALS);
    const totals: Record<CustomsStockState, number> = { non_bonded: t.byClass.overseas, bonded: t.byClass.in_bond, list_applied: t.byClass.dock, slip_applied: 0, written_off: 0 };
    const exits = await this.exitFacts(t.staging.map((s) => stagedList(s.locationId)!));
    let resolved = 0;
    for (const s of t.staging) {
      totals[stockState({ warehouse: 'bonded', locationId: s.locationId }, exits.get(stagedList(s.locationId)!) ?? []).state] += s.qty;
      resolved += s.qty;
    }
    return { totals, unresolvedQty: t.byClass.staging - resolved };
  }
}
