/**
 * GS1 keys and element strings: mod-10 check digits (GTIN, SSCC, GLN, GSIN, GSRN) and the parser of Application
 * Identifier element strings. No I/O, no clock, no logging.
 *
 * References: devices.md §3 (GS1), GS1 General Specifications §3 (AIs) and §7.8 (FNC1 / GS separators).
 */

/** GS (0x1D): how FNC1 separators arrive from a scanner. */
export const GS = '\x1D';

// ---------------------------------------------------------------------------------------------
// 1. GS1 mod-10 check digits
// ---------------------------------------------------------------------------------------------

/** GS1 mod-10 check digit over the data digits (weights 3,1,3,1… from the rightmost data digit). */
export function gs1CheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new RangeError(`gs1CheckDigit: expected digits, got ${JSON.stringify(digits)}`);
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/** Lengths of GS1 keys carrying a mod-10 check digit: GTIN-8/12/13/14, GLN 13, GSIN 17, SSCC/GSRN 18. */
const GS1_KEY_LENGTHS = new Set([8, 12, 13, 14, 17, 18]);

/** A GS1 key (GTIN-8/12/13/14, GLN, GSIN, SSCC) whose last digit is its mod-10 check digit. */
export function isValidGs1Key(full: string): boolean {
  if (!/^\d+$/.test(full) || !GS1_KEY_LENGTHS.has(full.length)) return false;
  return gs1CheckDigit(full.slice(0, -1)) === Number(full[full.length - 1]);
}

// ---------------------------------------------------------------------------------------------
// 2. GS1 element strings
// ---------------------------------------------------------------------------------------------

type Charset = 'N' | 'X';

interface AiSpec {
  label: string;
  charset: Charset;
  /** Fixed value length; absent for variable-length AIs. */
  fixed?: number;
  min: number;
  max: number;
  /** Leading characters that must be digits (e.g. 421 = N3+X..9). */
  numericPrefix?: number;
  /** Length must be a multiple of this (423/425: lists of 3-digit country codes). */
  multipleOf?: number;
  /** The whole value (or its first `checkLength` digits) is a GS1 key with a mod-10 check digit. */
  check?: boolean;
  /** YYMMDD, day 00 allowed (= last day of the month). */
  date?: boolean;
  /** For AIs 3xxn: the implied decimal places. */
  decimals?: number;
}

const fixedN = (label: string, n: number, extra: Partial<AiSpec> = {}): AiSpec => ({
  label, charset: 'N', fixed: n, min: n, max: n, ...extra,
});
const varX = (label: string, max: number, extra: Partial<AiSpec> = {}): AiSpec => ({ label, charset: 'X', min: 1, max, ...extra });
const varN = (label: string, max: number, extra: Partial<AiSpec> = {}): AiSpec => ({ label, charset: 'N', min: 1, max, ...extra });

function buildAiTable(): ReadonlyMap<string, AiSpec> {
  const t = new Map<string, AiSpec>();
  t.set('00', fixedN('SSCC', 18, { check: true }));
  t.set('01', fixedN('GTIN', 14, { check: true }));
  t.set('02', fixedN('CONTENT', 14, { check: true }));
  t.set('10', varX('BATCH/LOT', 20));
  t.set('11', fixedN('PROD DATE', 6, { date: true }));
  t.set('12', fixedN('DUE DATE', 6, { date: true }));
  t.set('13', fixedN('PACK DATE', 6, { date: true }));
  t.set('15', fixedN('BEST BEFORE or BEST BY', 6, { date: true }));
  t.set('16', fixedN('SELL BY', 6, { date: true }));
  t.set('17', fixedN('USE BY OR EXPIRY', 6, { date: true }));
  t.set('20', fixedN('VARIANT', 2));
  t.set('21', varX('SERIAL', 20));
  t.set('22', varX('CPV', 20));
  t.set('235', varX('TPX', 28));
  t.set('240', varX('ADDITIONAL ID', 30));
  t.set('241', varX('CUST. PART No.', 30));
  t.set('250', varX('SECONDARY SERIAL', 30));
  t.set('251', varX('REF. TO SOURCE', 30));
  t.set('254', varX('GLN EXTENSION COMPONENT', 20));
  t.set('30', varN('VAR. COUNT', 8));
  const measures: [string, string][] = [
    ['310', 'NET WEIGHT (kg)'], ['311', 'LENGTH (m)'], ['312', 'WIDTH (m)'], ['313', 'HEIGHT (m)'],
    ['314', 'AREA (m2)'], ['315', 'NET VOLUME (l)'], ['316', 'NET VOLUME (m3)'], ['320', 'NET WEIGHT (lb)'],
    ['330', 'GROSS WEIGHT (kg)'], ['331', 'LENGTH (m), log'], ['332', 'WIDTH (m), log'], ['333', 'HEIGHT (m), log'],
    ['334', 'AREA (m2), log'], ['335', 'VOLUME (l), log'], ['336', 'VOLUME (m3), log'], ['340', 'GROSS WEIGHT (lb)'],
  ];
  for (const [prefix, label] of measures) {
    for (let n = 0; n <= 5; n++) t.set(`${prefix}${n}`, fixedN(label, 6, { decimals: n }));
  }
  t.set('37', varN('COUNT', 8));
  t.set('400', varX('ORDER NUMBER', 30));
  t.set('401', varX('GINC', 30));
  t.set('402', fixedN('GSIN', 17, { check: true }));
  t.set('403', varX('ROUTE', 30));
  const glns: [string, string][] = [
    ['410', 'SHIP TO LOC'], ['411', 'BILL TO'], ['412', 'PURCHASE FROM'], ['413', 'SHIP FOR LOC'],
    ['414', 'LOC No.'], ['415', 'PAY TO'], ['416', 'PROD/SERV LOC'], ['417', 'PARTY'],
  ];
  for (const [ai, label] of glns) t.set(ai, fixedN(label, 13, { check: true }));
  t.set('420', varX('SHIP TO POST', 20));
  t.set('421', varX('SHIP TO POST', 12, { min: 4, numericPrefix: 3 }));
  t.set('422', fixedN('ORIGIN', 3));
  t.set('423', varN('COUNTRY - INITIAL PROCESS', 15, { min: 3, multipleOf: 3 }));
  t.set('424', fixedN('COUNTRY - PROCESS', 3));
  t.set('425', varN('COUNTRY - DISASSEMBLY', 15, { min: 3, multipleOf: 3 }));
  t.set('426', fixedN('COUNTRY - FULL PROCESS', 3));
  t.set('7003', fixedN('EXPIRY TIME', 10));
  t.set('8004', varX('GIAI', 30));
  t.set('8005', fixedN('PRICE PER UNIT', 6));
  t.set('8018', fixedN('GSRN - RECIPIENT', 18, { check: true }));
  t.set('8020', varX('REF No.', 25));
  t.set('90', varX('INTERNAL', 30));
  for (let n = 91; n <= 99; n++) t.set(String(n), varX('INTERNAL', 90));
  return t;
}

/** The AI table (prefix-free: no AI is the start of another, so the longest-match question never arises). */
export const GS1_AIS: ReadonlyMap<string, AiSpec> = buildAiTable();

/** GS1 AI encodable character set 82 (ISO/IEC 646 subset) — no space, no GS. */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;

export interface Gs1Element {
  ai: string;
  value: string;
  label?: string;
  /** Date AIs (11–17): the date as YYYY-MM-DD, day 00 resolved to the month's last day. */
  date?: string;
}

export interface Gs1Derived {
  sscc?: string;
  gtin?: string;
  /** (02) GTIN of the trade items contained in a logistic unit. */
  contentGtin?: string;
  /** (37) count of trade items. */
  count?: number;
  netWeightKg?: number;
  grossWeightKg?: number;
  batch?: string;
  serial?: string;
  /** (17) YYYY-MM-DD. */
  expiry?: string;
  /** (15) YYYY-MM-DD. */
  bestBefore?: string;
  /** (11) YYYY-MM-DD. */
  productionDate?: string;
  /** (420), or the postal part of (421). */
  shipToPostal?: string;
  /** (421) ISO 3166 numeric country code. */
  shipToCountry?: string;
  orderNo?: string;
  /** (401) consignment number (GINC). */
  consignment?: string;
  /** (402) shipment number (GSIN). */
  shipmentId?: string;
  /** (410) ship-to GLN. */
  shipToGln?: string;
  /** (422) ISO 3166 numeric country of origin. */
  countryOfOrigin?: string;
  /** (8004) GIAI. */
  giai?: string;
}

export type Gs1Result =
  | { ok: true; elements: Gs1Element[]; derived: Gs1Derived }
  | { ok: false; reason: string; at?: number };

export interface Gs1Options {
  /**
   * Resolve YY with the GS1 sliding window (−49…+50 years around this year). Without it YY is read as 20YY,
   * which keeps the parser free of clock reads.
   */
  referenceYear?: number;
}

const LB_TO_KG = 0.45359237;
const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function resolveYear(yy: number, referenceYear: number | undefined): number {
  if (referenceYear === undefined) return 2000 + yy;
  const refCentury = Math.floor(referenceYear / 100) * 100;
  const diff = yy - (referenceYear % 100);
  if (diff >= 51) return refCentury - 100 + yy;
  if (diff <= -50) return refCentury + 100 + yy;
  return refCentury + yy;
}

/** YYMMDD → YYYY-MM-DD (day 00 = last day of the month), or an error text. */
function parseGs1Date(value: string, referenceYear: number | undefined): { date: string } | { error: string } {
  const yy = Number(value.slice(0, 2));
  const mm = Number(value.slice(2, 4));
  const dd = Number(value.slice(4, 6));
  if (mm < 1 || mm > 12) return { error: `month ${value.slice(2, 4)} is not 01–12` };
  const year = resolveYear(yy, referenceYear);
  const last = daysInMonth(year, mm);
  if (dd > last) return { error: `day ${value.slice(4, 6)} does not exist in ${year}-${value.slice(2, 4)}` };
  const day = dd === 0 ? last : dd;
  return { date: `${year}-${String(mm).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}

function findAi(data: string, pos: number): string | undefined {
  for (let len = 2; len <= 4; len++) {
    const key = data.slice(pos, pos + len);
    if (key.length === len && GS1_AIS.has(key)) return key;
  }
  return undefined;
}

/** Check one value against its AI spec; returns an error text or undefined. */
function validateValue(ai: string, spec: AiSpec, value: string): string | undefined {
  if (value.length < spec.min) return `AI (${ai}) value "${value}" is shorter than ${spec.min} characters`;
  if (value.length > spec.max) return `AI (${ai}) value is ${value.length} characters, longer than its maximum ${spec.max} (missing GS separator?)`;
  if (spec.charset === 'N' && !/^\d+$/.test(value)) return `AI (${ai}) value "${value}" must be numeric`;
  if (spec.charset === 'X' && !CSET82.test(value)) return `AI (${ai}) value "${value}" has characters outside the GS1 character set`;
  if (spec.numericPrefix !== undefined && !/^\d+$/.test(value.slice(0, spec.numericPrefix))) {
    return `AI (${ai}) value "${value}" must start with ${spec.numericPrefix} digits`;
  }
  if (spec.multipleOf !== undefined && value.length % spec.multipleOf !== 0) {
    return `AI (${ai}) value "${value}" must be a list of ${spec.multipleOf}-digit codes`;
  }
  if (spec.check && !isValidGs1Key(value)) {
    const expected = gs1CheckDigit(value.slice(0, -1));
    return `AI (${ai}) ${spec.label} "${value}" has check digit ${value[value.length - 1]}, expected ${expected}`;
  }
  return undefined;
}

/**
 * Parse a GS1 element string (no symbology identifier; FNC1 separators as GS). Fixed-length AIs are read by
 * length and need no separator; variable-length AIs end at GS or the end of the data; one trailing GS and one
 * leading GS (an FNC1 in first position passed through) are tolerated.
 */
export function parseGs1(data: string, options: Gs1Options = {}): Gs1Result {
  const elements: Gs1Element[] = [];
  let pos = data.startsWith(GS) ? 1 : 0;
  if (pos >= data.length) return { ok: false, reason: 'empty GS1 data' };

  while (pos < data.length) {
    if (data[pos] === GS) return { ok: false, reason: `unexpected GS separator at position ${pos} (empty element)`, at: pos };
    const ai = findAi(data, pos);
    if (ai === undefined) {
      const head = data.slice(pos, pos + 4);
      return /^\d{2}/.test(head)
        ? { ok: false, reason: `unknown AI at position ${pos} (data "${head}…")`, at: pos }
        : { ok: false, reason: `expected an AI (digits) at position ${pos}, found "${head}"`, at: pos };
    }
    const spec = GS1_AIS.get(ai)!;
    const start = pos + ai.length;
    let value: string;
    if (spec.fixed !== undefined) {
      value = data.slice(start, start + spec.fixed);
      const gsAt = value.indexOf(GS);
      if (gsAt >= 0) value = value.slice(0, gsAt);
      if (value.length < spec.fixed) {
        return { ok: false, reason: `AI (${ai}) needs ${spec.fixed} characters, found ${value.length}`, at: start };
      }
      pos = start + spec.fixed;
    } else {
      const gsAt = data.indexOf(GS, start);
      const end = gsAt < 0 ? data.length : gsAt;
      value = data.slice(start, end);
      if (value.length === 0) return { ok: false, reason: `AI (${ai}) has an empty value`, at: start };
      pos = end;
    }
    const error = validateValue(ai, spec, value);
    if (error) return { ok: false, reason: error, at: start };

    const element: Gs1Element = { ai, value, label: spec.label };
    if (spec.date) {
      const d = parseGs1Date(value, options.referenceYear);
      if ('error' in d) return { ok: false, reason: `AI (${ai}) date "${value}": ${d.error}`, at: start };
      element.date = d.date;
    }
    const earlier = elements.find((e) => e.ai === ai);
    if (earlier && earlier.value !== value) {
      return { ok: false, reason: `AI (${ai}) appears twice with different values`, at: start - ai.length };
    }
    if (!earlier) elements.push(element);
    if (data[pos] === GS) pos++; // separator (or a trailing GS)
  }
  return { ok: true, elements, derived: derive(elements) };
}

function measure(value: string, decimals: number): number {
  return Number(value) / 10 ** decimals;
}

function derive(elements: Gs1Element[]): Gs1Derived {
  const d: Gs1Derived = {};
  for (const { ai, value, date } of elements) {
    const spec = GS1_AIS.get(ai)!;
    switch (ai.length === 4 && ai.startsWith('3') ? ai.slice(0, 3) : ai) {
      case '00': d.sscc = value; break;
      case '01': d.gtin = value; break;
      case '02': d.contentGtin = value; break;
      case '10': d.batch = value; break;
      case '11': d.productionDate = date; break;
      case '15': d.bestBefore = date; break;
      case '17': d.expiry = date; break;
      case '21': d.serial = value; break;
      case '37': d.count = Number(value); break;
      case '310': d.netWeightKg ??= round9(measure(value, spec.decimals!)); break;
      case '320': d.netWeightKg ??= round9(measure(value, spec.decimals!) * LB_TO_KG); break;
      case '330': d.grossWeightKg ??= round9(measure(value, spec.decimals!)); break;
      case '340': d.grossWeightKg ??= round9(measure(value, spec.decimals!) * LB_TO_KG); break;
      case '400': d.orderNo = value; break;
      case '401': d.consignment = value; break;
      case '402': d.shipmentId = value; break;
      case '410': d.shipToGln = value; break;
      case '420': d.shipToPostal ??= value; break;
      case '421': d.shipToCountry = value.slice(0, 3); d.shipToPostal ??= value.slice(3); break;
      case '422': d.countryOfOrigin = value; break;
      case '8004': d.giai = value; break;
      default: break;
    }
  }
  return d;
}
