import { z } from 'zod';
import * as dec from '../../shared/decimal.ts';
import { isCebTime, type ExportInventoryList } from './documents.ts';

/**
 * Export values in CNY (issue 16 item 9): an export list's lines are priced in their own currency (CEB currency codes,
 * `142` is RMB), converted with the monthly rate configured for the month of the export date (customs publishes one
 * rate per currency per month). A line whose currency has no rate for that month leaves the whole value unknown —
 * shown as "no rate", never as ¥0.
 */
export const ExchangeRates = z
  .record(z.string().regex(/^\d{3}$/, 'a CEB currency code, e.g. "502" (USD)'), z.record(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM'), z.number().positive()))
  .default({});
export type ExchangeRates = z.output<typeof ExchangeRates>;

export const CNY_CURRENCY = '142';

/** YYYY-MM of a CEB date (YYYYMMDD…); null when it is no calendar date (kept with DOC_UNKNOWN_TIME): no month, no rate. */
const monthOf = (cebDate: string): string | null => (isCebTime(cebDate) ? `${cebDate.slice(0, 4)}-${cebDate.slice(4, 6)}` : null);

/** Pure: the list's goods value in CNY (exact, to the fen), or null when a line's currency has no rate for the month. */
export function exportValueCny(list: Pick<ExportInventoryList, 'ieDate' | 'lines'>, rates: ExchangeRates): dec.Decimal | null {
  const month = monthOf(list.ieDate);
  let total = '0';
  for (const l of list.lines) {
    const rate = l.currency === CNY_CURRENCY ? 1 : month === null ? undefined : rates[l.currency]?.[month];
    if (rate === undefined) return null;
    total = dec.add(total, dec.round(dec.mul(String(l.totalPrice), dec.decimalFromNumber(rate)), 2));
  }
  return total;
}
