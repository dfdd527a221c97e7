/**
 * Pure parsing of what a barcode scanner read: AIM symbology identifiers, GS1 element strings,
 * UPU S10 postal identifiers and plain waybill (logisticsNo) numbers. No I/O, no clock, no logging.
 *
 * References: devices.md §2–3 (scanners, GS1), customs.md §7 (identifiers).
 */

/** GS (0x1D): how FNC1 separators arrive from a scanner. */
export const GS = '\x1D';

export type Symbology =
  | 'gs1-128'
  | 'code128'
  | 'gs1-datamatrix'
  | 'datamatrix'
  | 'gs1-qr'
  | 'qr'
  | 'gs1-databar'
  | 'dotcode'
  | 'gs1-dotcode'
  | 'ean13'
  | 'ean8'
  | 'pdf417'
  | 'code39'
  | 'itf'
  | 'unknown';

// ---------------------------------------------------------------------------------------------
// 1. AIM symbology identifiers
// ---------------------------------------------------------------------------------------------

/** `]` + code character + modifier → symbology; gs1 = the data is a GS1 element string (FNC1 first). */
const AIM_TABLE: Readonly<Record<string, { symbology: Symbology; gs1: boolean }>> = {
  C0: { symbology: 'code128', gs1: false },
  C1: { symbology: 'gs1-128', gs1: true },
  C2: { symbology: 'code128', gs1: false }, // FNC1 in second position: an AIM application, not GS1
  C4: { symbology: 'code128', gs1: false },
  d0: { symbology: 'datamatrix', gs1: false },
  d1: { symbology: 'datamatrix', gs1: false },
  d2: { symbology: 'gs1-datamatrix', gs1: true },
  d3: { symbology: 'datamatrix', gs1: false },
  d4: { symbology: 'datamatrix', gs1: false },
  d5: { symbology: 'gs1-datamatrix', gs1: true }, // ECI + FNC1 in first position
  d6: { symbology: 'datamatrix', gs1: false },
  Q0: { symbology: 'qr', gs1: false },
  Q1: { symbology: 'qr', gs1: false },
  Q2: { symbology: 'qr', gs1: false },
  Q3: { symbology: 'gs1-qr', gs1: true },
  Q4: { symbology: 'gs1-qr', gs1: true }, // ECI + FNC1 in first position
  Q5: { symbology: 'qr', gs1: false },
  Q6: { symbology: 'qr', gs1: false },
  e0: { symbology: 'gs1-databar', gs1: true },
  J0: { symbology: 'dotcode', gs1: false },
  J1: { symbology: 'gs1-dotcode', gs1: true },
  E0: { symbology: 'ean13', gs1: false }, // EAN-13 / UPC-A (13 digits): a bare GTIN, no AI
  E4: { symbology: 'ean8', gs1: false },
  L0: { symbology: 'pdf417', gs1: false },
  L1: { symbology: 'pdf417', gs1: false },
  L2: { symbology: 'pdf417', gs1: false },
  A0: { symbology: 'code39', gs1: false },
  A1: { symbology: 'code39', gs1: false },
  A3: { symbology: 'code39', gs1: false },
  A4: { symbology: 'code39', gs1: false },
  A5: { symbology: 'code39', gs1: false },
  A7: { symbology: 'code39', gs1: false },
  I0: { symbology: 'itf', gs1: false },
  I1: { symbology: 'itf', gs1: false },
};

export interface AimResult {
  symbology: Symbology;
  /** The identifier as read, e.g. `]C1`; absent when the text had no (known) prefix. */
  aim?: string;
  gs1: boolean;
  data: string;
}

/** Strip an AIM symbology identifier prefix. Unknown or missing prefix → 'unknown', text untouched. */
export function parseAimPrefix(text: string): AimResult {
  if (text.length >= 3 && text[0] === ']') {
    const code = text.slice(1, 3);
    const known = AIM_TABLE[code];
    if (known) return { symbology: known.symbology, aim: `]${code}`, gs1: known.gs1, data: text.slice(3) };
  }
  return { symbology: 'unknown', gs1: false, data: text };
}

// ---------------------------------------------------------------------------------------------
// 2. GS1 mod-10 check digits
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
// 3. GS1 element strings
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

// ---------------------------------------------------------------------------------------------
// 4. UPU S10
// ---------------------------------------------------------------------------------------------

export type S10Result =
  | { ok: true; value: string; serviceIndicator: string; serial: string; checkDigit: number; country: string }
  | { ok: false; reason: string };

const S10_SHAPE = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/;
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;

/** UPU S10 check digit over the 8 serial digits. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError(`s10CheckDigit: expected 8 digits, got ${JSON.stringify(serial)}`);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial.charCodeAt(i) - 48) * S10_WEIGHTS[i]!;
  const r = sum % 11;
  return r === 0 ? 5 : r === 1 ? 0 : 11 - r;
}

/** The S10 number with serial `n` (mod 10^8) and its check digit: `s10Number(12345678)` = `EA123456785CN`. */
export function s10Number(n: number, service = 'EA', country = 'CN'): string {
  const serial = String(Math.abs(Math.trunc(n)) % 100_000_000).padStart(8, '0');
  return `${service}${serial}${s10CheckDigit(serial)}${country}`;
}

/** Parse a UPU S10 identifier (e.g. `EA123456785CN`); trimmed and uppercased first. */
export function parseS10(text: string): S10Result {
  const value = text.trim().toUpperCase();
  const m = S10_SHAPE.exec(value);
  if (!m) return { ok: false, reason: `"${value}" is not a UPU S10 identifier (2 letters, 9 digits, 2 letters)` };
  const [, serviceIndicator, serial, check, country] = m as unknown as [string, string, string, string, string];
  const expected = s10CheckDigit(serial);
  const checkDigit = Number(check);
  if (checkDigit !== expected) {
    return { ok: false, reason: `S10 "${value}" has check digit ${checkDigit}, expected ${expected}` };
  }
  return { ok: true, value, serviceIndicator, serial, checkDigit, country };
}

// ---------------------------------------------------------------------------------------------
// 5. Classify one scanner read
// ---------------------------------------------------------------------------------------------

interface ReadSource {
  symbology: Symbology;
  aim?: string;
}

export type ClassifiedRead =
  | ({ kind: 'gs1'; elements: Gs1Element[]; derived: Gs1Derived } & ReadSource)
  | ({ kind: 's10'; value: string; serviceIndicator: string; serial: string; checkDigit: number; country: string } & ReadSource)
  | ({ kind: 'logistics_no'; value: string } & ReadSource)
  | ({ kind: 'rejected'; reason: string } & ReadSource);

/** CEB logisticsNo: 1–32 characters of letters, digits and '-'. */
const LOGISTICS_NO = /^[A-Za-z0-9-]{1,32}$/;

/**
 * Decide what one read is: a GS1 element string, a UPU S10 postal identifier, or a plain waybill number
 * (logisticsNo). Carrier numbers without a published check digit (SF, YTO, ZTO, JD, …) are never rejected for
 * lacking one; a bare digit string without an EAN/UPC symbology identifier is a waybill, not a GTIN.
 */
export function classifyRead(raw: string, options: Gs1Options = {}): ClassifiedRead {
  const text = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  const { symbology, aim, gs1, data } = parseAimPrefix(text);
  const src: ReadSource = aim === undefined ? { symbology } : { symbology, aim };
  if (data.length === 0) return { kind: 'rejected', reason: 'empty read', ...src };

  if (gs1) {
    const r = parseGs1(data, options);
    return r.ok
      ? { kind: 'gs1', elements: r.elements, derived: r.derived, ...src }
      : { kind: 'rejected', reason: `GS1 ${symbology}: ${r.reason}`, ...src };
  }

  if (symbology === 'ean13' || symbology === 'ean8') {
    const digits = symbology === 'ean13' ? 13 : 8;
    if (data.length !== digits || !isValidGs1Key(data)) {
      return { kind: 'rejected', reason: `${symbology} "${data}" is not a valid GTIN-${digits}`, ...src };
    }
    const gtin = data.padStart(14, '0');
    return { kind: 'gs1', elements: [{ ai: '01', value: gtin, label: 'GTIN' }], derived: { gtin }, ...src };
  }

  // No GS1 symbology identifier: GS1 only if it is unmistakably an element string.
  if (data.includes(GS)) {
    const r = parseGs1(data, options);
    return r.ok
      ? { kind: 'gs1', elements: r.elements, derived: r.derived, ...src }
      : { kind: 'rejected', reason: `contains GS separators but is not valid GS1: ${r.reason}`, ...src };
  }
  if (/^0[01]\d/.test(data)) {
    const r = parseGs1(data, options);
    // starts with (00) SSCC or (01) GTIN, which therefore passed the check digit, and parses to the end
    if (r.ok) return { kind: 'gs1', elements: r.elements, derived: r.derived, ...src };
  }

  const upper = data.toUpperCase();
  if (/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(upper)) {
    const s = parseS10(upper);
    return s.ok
      ? { kind: 's10', value: s.value, serviceIndicator: s.serviceIndicator, serial: s.serial, checkDigit: s.checkDigit, country: s.country, ...src }
      : { kind: 'rejected', reason: s.reason, ...src };
  }

  if (LOGISTICS_NO.test(data)) return { kind: 'logistics_no', value: data, ...src };
  return {
    kind: 'rejected',
    reason: data.length > 32
      ? `not a logisticsNo: ${data.length} characters (max 32)`
      : 'not a logisticsNo: only letters, digits and "-" are allowed',
    ...src,
  };
}
