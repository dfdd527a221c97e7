import { z } from 'zod';

/**
 * Exact decimals for money, quantities and declared weights. CEB amounts are decimal(19,5) (14 integer + 5 fraction
 * digits): `12345678912345.12345` has 19 significant digits, beyond what a JS number (≈15.9) holds, so the hub keeps
 * such values as canonical decimal strings and computes on BigInt-scaled integers.
 *
 * Why BigInt-scaled integers and not decimal.js / big.js / bignumber.js: the hub only adds, subtracts, multiplies,
 * compares and rounds half-up at a chosen number of decimals — all exact on integers of 10^-scale with no precision
 * setting to get wrong (decimal.js rounds every result to 20 significant digits by default: a product of two
 * decimal(19,5) values needs 38). No division is ever needed: percentage tolerances are compared cross-multiplied.
 * It is ~150 lines with no dependency, and the values it produces are plain strings (JSON, SQL TEXT and PostgreSQL
 * NUMERIC all take them as they are).
 *
 * Canonical form (what the schemas output and the stores hold): optional `-`, integer digits without leading zeros
 * (`0` when none), a fraction without trailing zeros and no `.` when there is none; zero is `0`, never `-0`.
 * `+007.50` → `7.5`, `.5` → `0.5`, `-0.000` → `0`.
 */
export type Decimal = string;

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Text (as written in XML or JSON) → canonical decimal, or undefined if it is not a plain decimal (no exponent). */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return undefined;
  const [, sign = '', intRaw = '', fracRaw = ''] = m;
  if (intRaw === '' && fracRaw === '') return undefined;
  const int = intRaw.replace(/^0+/, '') || '0';
  const frac = fracRaw.replace(/0+$/, '');
  if (int === '0' && frac === '') return '0';
  return `${sign === '-' ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** True when `s` is already canonical (what the schemas guarantee). */
export function isCanonicalDecimal(s: string): boolean {
  return parseDecimal(s) === s;
}

/**
 * A JS number → canonical decimal of its shortest round-trip form (what JSON carries): `0.1` → `0.1`, `1e-7` →
 * `0.0000001`. Throws on NaN and ±Infinity.
 */
export function decimalFromNumber(n: number): Decimal {
  if (!Number.isFinite(n)) throw new RangeError(`${n} is not a finite number`);
  const s = String(n);
  const e = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!e) return parseDecimal(s)!;
  const [, sign = '', lead = '', rest = '', expText = '0'] = e;
  const digits = `${lead}${rest}`;
  const point = 1 + Number(expText); // position of the decimal point within `digits`
  const text = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? `${digits}${'0'.repeat(point - digits.length)}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return parseDecimal(`${sign}${text}`)!;
}

/** The significant digits of a canonical decimal (leading zeros of a fraction below 1 not counted). */
export function significantDigits(d: Decimal): number {
  const digits = d.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return Math.max(digits.length, 1);
}

// ---------------------------------------------------------------------------------------------------------------------
// Arithmetic on integers of 10^-scale

interface Scaled { units: bigint; scale: number }

function toScaled(d: Decimal): Scaled {
  const c = parseDecimal(d);
  if (c === undefined) throw new RangeError(`${JSON.stringify(d)} is not a decimal`);
  const dot = c.indexOf('.');
  if (dot < 0) return { units: BigInt(c), scale: 0 };
  return { units: BigInt(c.slice(0, dot) + c.slice(dot + 1)), scale: c.length - dot - 1 };
}

function fromScaled({ units, scale }: Scaled): Decimal {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return parseDecimal(`${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`)!;
}

const pow10 = (n: number) => 10n ** BigInt(n);

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale), scale];
}

/** The value as an integer count of 10^-scale, rounded half away from zero when it has more decimals. */
export function unitsAt(d: Decimal, scale: number): bigint {
  const s = toScaled(d);
  if (s.scale <= scale) return s.units * pow10(scale - s.scale);
  return divRoundHalfUp(s.units, pow10(s.scale - scale));
}

/** Integer division rounded half away from zero (the rounding customs and payments use for fen). */
function divRoundHalfUp(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const q = (abs + d / 2n) / d;
  return neg ? -q : q;
}

/** An integer count of 10^-scale → canonical decimal (`fromUnits(1250n, 2)` → `12.5`). */
export function fromUnits(units: bigint, scale: number): Decimal {
  return fromScaled({ units, scale });
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(toScaled(a), toScaled(b));
  return fromScaled({ units: x + y, scale });
}

export function sub(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(toScaled(a), toScaled(b));
  return fromScaled({ units: x - y, scale });
}

export function mul(a: Decimal, b: Decimal): Decimal {
  const x = toScaled(a);
  const y = toScaled(b);
  return fromScaled({ units: x.units * y.units, scale: x.scale + y.scale });
}

export function sum(values: Iterable<Decimal>): Decimal {
  let acc: Scaled = { units: 0n, scale: 0 };
  for (const v of values) {
    const [x, y, scale] = align(acc, toScaled(v));
    acc = { units: x + y, scale };
  }
  return fromScaled(acc);
}

export function neg(a: Decimal): Decimal {
  const s = toScaled(a);
  return fromScaled({ units: -s.units, scale: s.scale });
}

export function abs(a: Decimal): Decimal {
  return a.startsWith('-') ? a.slice(1) : a;
}

export function cmp(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(toScaled(a), toScaled(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export const eq = (a: Decimal, b: Decimal): boolean => cmp(a, b) === 0;
export const lt = (a: Decimal, b: Decimal): boolean => cmp(a, b) < 0;
export const gt = (a: Decimal, b: Decimal): boolean => cmp(a, b) > 0;

/** Rounded half away from zero to `decimals` places (`round('2.345', 2)` → `2.35`), canonical. */
export function round(a: Decimal, decimals: number): Decimal {
  return fromScaled({ units: unitsAt(a, decimals), scale: decimals });
}

/** Rounded to exactly `decimals` places, zeros kept: `toFixed('12.5', 2)` → `12.50` (for display). */
export function toFixed(a: Decimal, decimals: number): string {
  const units = unitsAt(a, decimals);
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  return `${neg ? '-' : ''}${int}${decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : ''}`;
}

/** The nearest JS number: for physical comparisons (a scale reads a float) and charts, never for money. */
export const toNumber = (a: Decimal): number => Number(a);

/**
 * |a − b| ≤ |b| × pct / 100, exact: cross-multiplied, no division (`pct` as configured, e.g. 5 or 2.5).
 */
export function withinPct(a: Decimal, b: Decimal, pct: number | Decimal): boolean {
  const p = typeof pct === 'number' ? decimalFromNumber(pct) : pct;
  return cmp(mul(abs(sub(a, b)), '100'), mul(abs(b), p)) <= 0;
}

// ---------------------------------------------------------------------------------------------------------------------
// zod

export interface DecimalOptions {
  /** Integer digits allowed (decimal(19,5): 14). */
  integerDigits: number;
  /** Fraction digits allowed (decimal(19,5): 5). */
  fractionDigits: number;
  /** `nonnegative`: ≥ 0; `positive`: > 0; `any`: signed. */
  sign: 'nonnegative' | 'positive' | 'any';
}

/**
 * JSON numbers with more significant digits than this may not be what the sender wrote (a double keeps 15 decimal
 * digits exactly, DBL_DIG): they are refused with a hint to send a string.
 */
export const MAX_EXACT_NUMBER_DIGITS = 15;

/**
 * A decimal in, its canonical string out. Input: a string as written (`"12345678912345.12345"`) or a JSON number of
 * at most 15 significant digits. Issues say what is wrong in the XSD's terms (`decimal(19,5)`).
 */
export function decimalSchema(opts: Partial<DecimalOptions> = {}) {
  const { integerDigits = 14, fractionDigits = 5, sign = 'nonnegative' } = opts;
  const type = `decimal(${integerDigits + fractionDigits},${fractionDigits})`;
  return z.union([z.string(), z.number()]).transform((v, ctx): Decimal => {
    let d: Decimal | undefined;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        ctx.addIssue({ code: 'custom', message: 'must be a finite number' });
        return z.NEVER;
      }
      d = decimalFromNumber(v);
      if (significantDigits(d) > MAX_EXACT_NUMBER_DIGITS) {
        ctx.addIssue({ code: 'custom', message: `${d} has more than ${MAX_EXACT_NUMBER_DIGITS} significant digits: send it as a string to keep it exact` });
        return z.NEVER;
      }
    } else {
      d = parseDecimal(v.trim());
      if (d === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a decimal number, got ${JSON.stringify(v.slice(0, 40))}` });
        return z.NEVER;
      }
    }
    const [int = '0', frac = ''] = abs(d).split('.');
    if (int.length > integerDigits) ctx.addIssue({ code: 'custom', message: `must be below 10^${integerDigits} (${type})` });
    if (frac.length > fractionDigits) ctx.addIssue({ code: 'custom', message: `at most ${fractionDigits} decimals (${type})` });
    if (sign !== 'any' && d.startsWith('-')) ctx.addIssue({ code: 'custom', message: 'must not be negative' });
    else if (sign === 'positive' && d === '0') ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
    return d;
  });
}

/** A canonical decimal string on the way out (API responses): what `decimalSchema` produces. */
export const DecimalString = z.string().refine(isCanonicalDecimal, 'a canonical decimal string');
