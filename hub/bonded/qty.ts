/**
 * Exact quantities for the account book. 金二 carries quantities with at most 5 decimals (dclQty, inQty, actlIncQty…
 * in the public SAS models, eport.md §3), so a quantity here is a bigint count of 0.00001 units: sums and differences
 * are exact, never a float. Stored and sent as the decimal string ("12.5"), never as a JSON number.
 *
 * Kept to these few functions so the shared decimal module (issue 15, t15-decimal) can replace it at merge: every
 * caller goes through parseQty/formatQty and bigint arithmetic.
 */
export type Qty = bigint;

export const QTY_SCALE = 5;
const FACTOR = 10n ** BigInt(QTY_SCALE);
/** 14 integer digits: 金二's NUMBER(19,5). */
const QTY_TEXT = /^(\d{1,14})(?:\.(\d{1,5}))?$/;

export const ZERO: Qty = 0n;

export function isQtyText(s: string): boolean {
  return QTY_TEXT.test(s);
}

/** "12.5" → 1250000n. Throws on anything that is not a non-negative decimal with at most 5 places. */
export function parseQty(s: string): Qty {
  const m = QTY_TEXT.exec(s);
  if (!m) throw new RangeError(`not a quantity (≤14 digits, ≤5 decimals): ${JSON.stringify(s)}`);
  return BigInt(m[1]!) * FACTOR + BigInt((m[2] ?? '').padEnd(QTY_SCALE, '0'));
}

/** Integers (piece counts from the warehouse) as quantities. */
export function qtyOf(units: number): Qty {
  if (!Number.isSafeInteger(units)) throw new RangeError(`not an integer count: ${units}`);
  return BigInt(units) * FACTOR;
}

/** 1250000n → "12.5"; negatives keep their sign (differences in reconciliation). */
export function formatQty(q: Qty): string {
  const neg = q < 0n;
  const a = neg ? -q : q;
  const int = a / FACTOR;
  const frac = (a % FACTOR).toString().padStart(QTY_SCALE, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export const sumQty = (xs: Iterable<Qty>): Qty => {
  let s = ZERO;
  for (const x of xs) s += x;
  return s;
};
