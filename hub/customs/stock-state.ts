import { z } from 'zod';
import type { CaseStatus } from '../repos/cases.ts';
import type { SlipStatus } from './release-slips.ts';
import { DEFAULT_STOCK_LOCATIONS, type StockLevel, type StockLocations } from './stock.ts';

/**
 * The customs state of a stock row, as a zone's customs district asks a warehouse to show it (customs.md §4: non-bonded,
 * bonded, entry/exit list applied, release slip applied, written off), decided from what the hub knows. Pure.
 *
 * Rules, first match wins:
 * 1. Overseas warehouse (9810 export stock abroad) → non-bonded: the goods have left Chinese customs supervision.
 * 2. Bonded, at the dock → entry list applied: received under the first-line entry list but not yet tallied and put
 *    away; the stock becomes bonded at putaway (customs.md §5 step 3).
 * 3. Bonded, staged for a list (`STAGING/<listId or orderNo>`, picked for an order), judged by the order's parcels:
 *    - every parcel is out of the account: its release slip passed the gate (二线出区核减, the account is deducted at
 *      the gate whether or not the warehouse has recorded its ship yet), or customs seized or destroyed it → written off;
 *    - every remaining parcel is bound to a live release slip (applied, approved, past the first of two gates) →
 *      release slip applied;
 *    - the hub holds a customs case for the order (its inventory list was declared) → exit list applied;
 *    - nothing known of the order → bonded (picked, but no exit list the hub has seen);
 *    - every parcel's list cancelled (624/606 399) → bonded again (cancelled parcels are left out of the rules above).
 * 4. Anything else bonded (storage, returns, quarantine) → bonded. Quarantine is NOT written off: unexpected,
 *    surplus or damaged goods are still under bond until customs decides (the bucket column says quarantine).
 *
 * Limits: the hub sees stock only through warehouse events; a staging location keyed by an inventory list number the
 * hub has no case for (cases are keyed by orderNo) reads as bonded; stock written off and already shipped is no longer
 * on the shelf, so it is not shown at all; entry lists themselves (ExpectedList) are not checked against the dock.
 */

export const CustomsStockState = z.enum(['non_bonded', 'bonded', 'list_applied', 'slip_applied', 'written_off']);
export type CustomsStockState = z.infer<typeof CustomsStockState>;

/** Which rule decided: shown next to the state so a person can check it. */
export const StockStateRule = z.enum(['overseas', 'entry_dock', 'exit_passed', 'exit_slip', 'exit_list', 'staged_unknown', 'list_cancelled', 'in_bond']);
export type StockStateRule = z.infer<typeof StockStateRule>;

export interface ExitParcel {
  caseStatus: CaseStatus;
  /** The status of the slip that binds the parcel (a passed slip included), null when none. */
  slipStatus: SlipStatus | null;
}

/** The list a staging location holds goods for, or null when the location is not a staging one. */
export function stagedList(locationId: string, loc: StockLocations = DEFAULT_STOCK_LOCATIONS): string | null {
  return locationId.startsWith(loc.stagingPrefix) && locationId.length > loc.stagingPrefix.length ? locationId.slice(loc.stagingPrefix.length) : null;
}

const LIVE_SLIP: ReadonlySet<SlipStatus> = new Set(['applied', 'approved', 'passed_gate1']);
const outOfAccount = (p: ExitParcel) => p.slipStatus === 'passed' || p.caseStatus === 'seized' || p.caseStatus === 'destroyed';

/**
 * `exit`: for a staging row, the parcels of its list's order (empty when the hub has no case for it); ignored otherwise.
 */
export function stockState(row: Pick<StockLevel, 'warehouse' | 'locationId'>, exit: readonly ExitParcel[] = [], loc: StockLocations = DEFAULT_STOCK_LOCATIONS): { state: CustomsStockState; rule: StockStateRule } {
  if (row.warehouse === 'overseas') return { state: 'non_bonded', rule: 'overseas' };
  if (row.locationId === loc.dockLocationId) return { state: 'list_applied', rule: 'entry_dock' };
  if (stagedList(row.locationId, loc) === null) return { state: 'bonded', rule: 'in_bond' };
  if (exit.length === 0) return { state: 'bonded', rule: 'staged_unknown' };
  // A cancelled list (624/606 399) declared nothing: its goods are back under bond, whatever shelf they wait on.
  const declared = exit.filter((p) => p.caseStatus !== 'cancelled');
  if (declared.length === 0) return { state: 'bonded', rule: 'list_cancelled' };
  if (declared.every(outOfAccount)) return { state: 'written_off', rule: 'exit_passed' };
  const remaining = declared.filter((p) => !outOfAccount(p));
  if (remaining.every((p) => p.slipStatus !== null && LIVE_SLIP.has(p.slipStatus))) return { state: 'slip_applied', rule: 'exit_slip' };
  return { state: 'list_applied', rule: 'exit_list' };
}
