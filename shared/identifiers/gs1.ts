/**
 * GS1 keys and element strings: mod-10 check digits (GTIN, SSCC, GLN, GSIN, GSRN) and the parser of Application
 * Identifier element strings. No I/O, no clock, no logging.
 *
 * References: devices.md §3 (GS1), GS1 General Specifications §3 (AIs) and §7.8 (FNC1 / GS separators).
 */

import { GS1_AI_ENTRIES } from './gs1-ai-table.ts';
import type { AiCharset, AiComponent } from './gs1-syntax-dictionary.ts';

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
// 2. The AI table: GS1's Barcode Syntax Dictionary, plus the rules for AIs it does not (yet) list
// ---------------------------------------------------------------------------------------------

export interface AiSpec {
  ai: string;
  title?: string;
  /** A predefined-length AI (General Specifications Figure 7.8.5-2): never followed by a GS separator. */
  predefined: boolean;
  components: readonly AiComponent[];
  /** Shortest and longest value. */
  min: number;
  max: number;
  /** The value length when it cannot vary (every component fixed and mandatory). */
  fixed?: number;
  /** False for an AI absent from the dictionary: kept as an uninterpreted element (AI digits + value). */
  known: boolean;
}

/**
 * Predefined-length element strings by their first two digits, as [AI digits, value length] (GS1 General
 * Specifications Figure 7.8.5-2). The standard fixes this list so that a decoder can cut an element string at AIs
 * allocated after it was built; 04, 14, 18 and 19 are reserved there and have no dictionary entry yet.
 */
const PREDEFINED: Readonly<Record<string, readonly [number, number]>> = {
  '00': [2, 18], '01': [2, 14], '02': [2, 14], '03': [2, 14], '04': [2, 16],
  '11': [2, 6], '12': [2, 6], '13': [2, 6], '14': [2, 6], '15': [2, 6], '16': [2, 6], '17': [2, 6], '18': [2, 6], '19': [2, 6],
  '20': [2, 2],
  '31': [4, 6], '32': [4, 6], '33': [4, 6], '34': [4, 6], '35': [4, 6], '36': [4, 6],
  '41': [3, 13],
};

function specOf(ai: string, predefined: boolean, components: readonly AiComponent[], title: string | undefined, known: boolean): AiSpec {
  let min = 0;
  let max = 0;
  let fixed = true;
  for (const c of components) {
    if (!c.optional) min += c.min;
    max += c.max;
    if (c.optional || c.min !== c.max) fixed = false;
  }
  return { ai, ...(title !== undefined && { title }), predefined, components, min, max, ...(fixed && { fixed: max }), known };
}

function buildAiTable(): { ais: ReadonlyMap<string, AiSpec>; aiLength: ReadonlyMap<string, number> } {
  const ais = new Map<string, AiSpec>();
  const aiLength = new Map<string, number>();
  for (const e of GS1_AI_ENTRIES) {
    for (let n = Number(e.from); n <= Number(e.to); n++) {
      const ai = String(n).padStart(e.from.length, '0');
      ais.set(ai, specOf(ai, e.predefined, e.components, e.title, true));
      const prefix = ai.slice(0, 2);
      const seen = aiLength.get(prefix);
      // GS1 allocates AIs so that the first two digits fix the AI's length; a dictionary breaking that is unusable.
      if (seen !== undefined && seen !== ai.length) throw new Error(`GS1 AI table: AIs starting ${prefix} have lengths ${seen} and ${ai.length}`);
      aiLength.set(prefix, ai.length);
    }
  }
  for (const [prefix, [len]] of Object.entries(PREDEFINED)) if (!aiLength.has(prefix)) aiLength.set(prefix, len);
  return { ais, aiLength };
}

const TABLE = buildAiTable();

/** Every AI the dictionary defines (ranges expanded), by AI. No AI is the start of another. */
export const GS1_AIS: ReadonlyMap<string, AiSpec> = TABLE.ais;

/** The longest value any AI takes (91–99: X..90); the bound for an AI the dictionary does not list. */
const UNKNOWN_MAX = 90;

/** The spec of an AI absent from the dictionary but well-formed by its first two digits. */
function unknownSpec(ai: string): AiSpec {
  const pre = PREDEFINED[ai.slice(0, 2)];
  const component: AiComponent = pre
    ? { cset: 'X', min: pre[1], max: pre[1], optional: false, linters: [] }
    : { cset: 'X', min: 1, max: UNKNOWN_MAX, optional: false, linters: [] };
  return specOf(ai, pre !== undefined, [component], undefined, false);
}

/** The AI starting at `pos` and its spec, known or not; or why there is no AI there. */
function aiAt(data: string, pos: number): { ai: string; spec: AiSpec } | { error: string } {
  const head = data.slice(pos, pos + 4);
  const len = TABLE.aiLength.get(data.slice(pos, pos + 2));
  if (!/^\d{2}/.test(head)) return { error: `expected an AI (digits) at position ${pos}, found "${head}"` };
  const ai = len === undefined ? undefined : data.slice(pos, pos + len);
  if (ai === undefined || !/^\d+$/.test(ai) || ai.length !== len) return { error: `unknown AI at position ${pos} (data "${head}…")` };
  return { ai, spec: GS1_AIS.get(ai) ?? unknownSpec(ai) };
}

const knownAiAt = (data: string, pos: number): boolean => {
  const len = TABLE.aiLength.get(data.slice(pos, pos + 2));
  return len !== undefined && GS1_AIS.has(data.slice(pos, pos + len));
};

// ---------------------------------------------------------------------------------------------
// 3. Values: character sets and the dictionary's syntax tests
// ---------------------------------------------------------------------------------------------

/** GS1 AI encodable character set 82 (ISO/IEC 646 subset): no space, no GS. */
const CSET: Readonly<Record<AiCharset, RegExp>> = {
  N: /^\d*$/,
  X: /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/,
  Y: /^[#\-/0-9A-Z]*$/,
  Z: /^[A-Za-z0-9_\-=]*$/,
};

const CSET_NAME: Readonly<Record<AiCharset, string>> = {
  N: 'must be numeric',
  X: 'has characters outside the GS1 character set',
  Y: 'has characters outside GS1 character set 39',
  Z: 'has characters outside base64url',
};

export interface Gs1Options {
  /**
   * Resolve YY with the GS1 sliding window (−49…+50 years around this year). Without it YY is read as 20YY,
   * which keeps the parser free of clock reads.
   */
  referenceYear?: number;
  /**
   * 'transmitted': the source is known to send every FNC1 as GS (e.g. a decoder that keeps them), so the end of
   * the data ends the last element. 'unknown' (default): a read with no GS at all may come from a source that
   * drops them, and a variable-length value running to the end is checked for a following AI it may hide.
   */
  separators?: 'transmitted' | 'unknown';
}

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

/** YYMMDD / YYYYMMDD → YYYY-MM-DD (day 00, where allowed, = last day of the month), or an error text. */
function readDate(part: string, linter: string, referenceYear: number | undefined): { date: string } | { error: string } {
  const full = linter === 'yyyymmdd';
  const year = full ? Number(part.slice(0, 4)) : resolveYear(Number(part.slice(0, 2)), referenceYear);
  const md = part.slice(full ? 4 : 2);
  const mm = Number(md.slice(0, 2));
  const dd = Number(md.slice(2, 4));
  if (mm < 1 || mm > 12) return { error: `month ${md.slice(0, 2)} is not 01–12` };
  const last = daysInMonth(year, mm);
  if (dd === 0 && linter !== 'yymmd0') return { error: 'day 00 is not allowed here' };
  if (dd > last) return { error: `day ${md.slice(2, 4)} does not exist in ${year}-${md.slice(0, 2)}` };
  const day = dd === 0 ? last : dd;
  return { date: `${year}-${String(mm).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}

/**
 * The dictionary's syntax tests that can be run without reference lists. Not applied (the value is still checked
 * for length and character set): company-prefix tests (key, keyoff1, gcppos*), code lists (iso3166*, iso4217,
 * mediatype, packagetype, importeridx), IBAN, GMN/MUDI check characters (csumalpha), coupons, coordinates.
 */
function lint(linter: string, part: string): string | undefined {
  switch (linter) {
    case 'csum': {
      const expected = gs1CheckDigit(part.slice(0, -1));
      return Number(part.at(-1)) === expected ? undefined : `has check digit ${part.at(-1)}, expected ${expected}`;
    }
    case 'hh': return Number(part) <= 23 ? undefined : `hour ${part} is not 00–23`;
    case 'mi': case 'ss': return Number(part) <= 59 ? undefined : `"${part}" is not 00–59`;
    case 'hhmi': case 'hhmm': return Number(part.slice(0, 2)) <= 23 && Number(part.slice(2)) <= 59 ? undefined : `time ${part} is not HHMM`;
    case 'yesno': return part === '0' || part === '1' ? undefined : `"${part}" is not 0 or 1`;
    case 'zero': return /^0+$/.test(part) ? undefined : `"${part}" must be zero`;
    case 'nonzero': return /[1-9]/.test(part) ? undefined : `"${part}" must not be zero`;
    case 'nozeroprefix': return part === '0' || !part.startsWith('0') ? undefined : `"${part}" must not start with 0`;
    case 'hyphen': return /^-*$/.test(part) ? undefined : `"${part}" must be "-"`;
    case 'hasnondigit': return /\D/.test(part) ? undefined : `"${part}" must contain a non-digit`;
    case 'winding': return /^[019]$/.test(part) ? undefined : `winding "${part}" is not 0, 1 or 9`;
    case 'iso5218': return /^[0129]$/.test(part) ? undefined : `"${part}" is not an ISO/IEC 5218 sex code`;
    case 'pcenc': return /%(?![0-9A-Fa-f]{2})/.test(part) ? `"${part}" has a bad percent-encoding` : undefined;
    case 'pieceoftotal': {
      const piece = Number(part.slice(0, 2));
      const total = Number(part.slice(2, 4));
      return piece >= 1 && total >= 1 && piece <= total ? undefined : `piece ${part.slice(0, 2)} of ${part.slice(2, 4)} is not a piece of the total`;
    }
    default: return undefined;
  }
}

const DATE_LINTERS = new Set(['yymmd0', 'yymmdd', 'yyyymmdd']);

/** Check one value against its AI spec, component by component; the date of a date AI on success. */
function checkValue(ai: string, spec: AiSpec, value: string, options: Gs1Options): { error: string } | { date?: string } {
  if (value.length < spec.min) return { error: `AI (${ai}) value "${value}" is shorter than ${spec.min} characters` };
  if (value.length > spec.max) return { error: `AI (${ai}) value is ${value.length} characters, longer than its maximum ${spec.max} (missing GS separator?)` };
  let date: string | undefined;
  let p = 0;
  const many = spec.components.length > 1;
  for (const c of spec.components) {
    if (c.optional && p >= value.length) break;
    const rest = value.length - p;
    const len = c.min === c.max ? c.min : Math.min(rest, c.max);
    if (rest < len || len < c.min) return { error: `AI (${ai}) value "${value}" is too short for its format` };
    const part = value.slice(p, p + len);
    const where = many ? ` in characters ${p + 1}–${p + len}` : '';
    if (!CSET[c.cset].test(part)) return { error: `AI (${ai}) value "${value}" ${CSET_NAME[c.cset]}${where}` };
    for (const linter of c.linters) {
      if (DATE_LINTERS.has(linter)) {
        const d = readDate(part, linter, options.referenceYear);
        if ('error' in d) return { error: `AI (${ai}) date "${part}": ${d.error}` };
        date ??= d.date;
        continue;
      }
      const error = lint(linter, part);
      if (error) return { error: `AI (${ai}) ${spec.title ?? 'value'} "${part}" ${error}` };
    }
    p += len;
  }
  if (p < value.length) return { error: `AI (${ai}) value "${value}" is longer than its format` };
  return date === undefined ? {} : { date };
}

// ---------------------------------------------------------------------------------------------
// 4. Element strings
// ---------------------------------------------------------------------------------------------

export interface Gs1Element {
  ai: string;
  value: string;
  /** The dictionary's title; absent for an uninterpreted element. */
  label?: string;
  /** Date AIs (11–17, 4326, 7006, …): the (first) date as YYYY-MM-DD, day 00 resolved to the month's last day. */
  date?: string;
  /** An AI the dictionary does not list, well-formed by its first two digits: kept as read, not interpreted. */
  uninterpreted?: true;
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
  | { status: 'ok'; elements: Gs1Element[]; derived: Gs1Derived }
  /**
   * Read without GS separators, the data has more than one valid reading (a variable-length value may have
   * swallowed the AIs after it), or only readings other than the standard one. Never guess: keep the text, flag it.
   */
  | { status: 'ambiguous'; reason: string; readings: Gs1Element[][]; /** false: more readings exist than listed. */ complete: boolean }
  | { status: 'invalid'; reason: string; at?: number };

type Step = { elements: Gs1Element[] } | { error: string; at: number };

/** Add an element unless its AI was read already: the same value twice is one element, two values are an error. */
function addElement(elements: Gs1Element[], element: Gs1Element): string | undefined {
  const earlier = elements.find((e) => e.ai === element.ai);
  if (earlier) return earlier.value === element.value ? undefined : `AI (${element.ai}) appears twice with different values`;
  elements.push(element);
  return undefined;
}

function elementOf(ai: string, spec: AiSpec, value: string, date: string | undefined): Gs1Element {
  return {
    ai,
    value,
    ...(spec.title !== undefined && { label: spec.title }),
    ...(date !== undefined && { date }),
    ...(!spec.known && { uninterpreted: true as const }),
  };
}

/**
 * The standard reading (General Specifications §7.8.5): fixed-length values are cut by length, variable-length ones
 * run to the next GS or the end of the data.
 */
function readStandard(data: string, options: Gs1Options): Step {
  const elements: Gs1Element[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === GS) return { error: `unexpected GS separator at position ${pos} (empty element)`, at: pos };
    const found = aiAt(data, pos);
    if ('error' in found) return { error: found.error, at: pos };
    const { ai, spec } = found;
    const start = pos + ai.length;
    let value: string;
    if (spec.fixed !== undefined) {
      value = data.slice(start, start + spec.fixed);
      const gsAt = value.indexOf(GS);
      if (gsAt >= 0) value = value.slice(0, gsAt);
      if (value.length < spec.fixed) return { error: `AI (${ai}) needs ${spec.fixed} characters, found ${value.length}`, at: start };
      pos = start + spec.fixed;
    } else {
      const gsAt = data.indexOf(GS, start);
      const end = gsAt < 0 ? data.length : gsAt;
      value = data.slice(start, end);
      if (value.length === 0) return { error: `AI (${ai}) has an empty value`, at: start };
      pos = end;
    }
    const checked = checkValue(ai, spec, value, options);
    if ('error' in checked) return { error: checked.error, at: start };
    const duplicate = addElement(elements, elementOf(ai, spec, value, checked.date));
    if (duplicate) return { error: duplicate, at: pos - value.length - ai.length };
    if (data[pos] === GS) pos++; // separator (or a trailing GS)
  }
  return { elements };
}

/** How many readings to look for, and how many steps to spend, before calling a GS-less read ambiguous anyway. */
const MAX_READINGS = 8;
const MAX_STEPS = 5_000;

/**
 * Every valid reading of GS-less data, letting each variable-length value end early where a known AI follows
 * (an AI the dictionary does not list is never assumed after a cut: that would make any digits look like one).
 */
function allReadings(data: string, options: Gs1Options): { readings: Gs1Element[][]; exhausted: boolean } {
  const readings: Gs1Element[][] = [];
  let steps = 0;
  const visit = (pos: number, elements: Gs1Element[], afterCut: boolean): void => {
    if (readings.length > MAX_READINGS || ++steps > MAX_STEPS) return;
    if (pos === data.length) {
      readings.push(elements);
      return;
    }
    const found = aiAt(data, pos);
    if ('error' in found || (afterCut && !found.spec.known)) return;
    const { ai, spec } = found;
    const start = pos + ai.length;
    const ends = spec.fixed !== undefined
      ? [start + spec.fixed]
      : Array.from({ length: Math.min(spec.max, data.length - start) - spec.min + 1 }, (_, i) => start + spec.min + i);
    for (const end of ends) {
      if (end > data.length) continue;
      const cut = spec.fixed === undefined && end < data.length;
      if (cut && !knownAiAt(data, end)) continue;
      const value = data.slice(start, end);
      const checked = checkValue(ai, spec, value, options);
      if ('error' in checked) continue;
      const next = [...elements];
      if (addElement(next, elementOf(ai, spec, value, checked.date))) continue;
      visit(end, next, cut);
    }
  };
  visit(0, [], false);
  return { readings: readings.slice(0, MAX_READINGS), exhausted: steps > MAX_STEPS || readings.length > MAX_READINGS };
}

const sameReading = (a: readonly Gs1Element[], b: readonly Gs1Element[]) =>
  a.length === b.length && a.every((e, i) => e.ai === b[i]!.ai && e.value === b[i]!.value);

/** `(01)06901234000016 (10)LOT42`: how a reading is shown to a person. */
export function formatGs1(elements: readonly Pick<Gs1Element, 'ai' | 'value'>[]): string {
  return elements.map((e) => `(${e.ai})${e.value}`).join(' ');
}

/**
 * Parse a GS1 element string (no symbology identifier; FNC1 separators as GS). Fixed-length AIs are read by
 * length and need no separator; variable-length AIs end at GS or the end of the data; one trailing GS and one
 * leading GS (an FNC1 in first position passed through) are tolerated. AIs the dictionary does not list are kept as
 * uninterpreted elements when their first two digits say how long the AI is.
 *
 * A read with no GS at all may come from a source that drops them (@zxing/library's GS1-128, a scanner set up
 * without FNC1 transmission): then `10LOT4221SN0001` may be one batch or a batch and a serial. Such a read is
 * `ambiguous` when it has another valid reading, and carries them all; the standard reading is never guessed.
 */
export function parseGs1(data: string, options: Gs1Options = {}): Gs1Result {
  const body = data.startsWith(GS) ? data.slice(1) : data;
  if (body.length === 0) return { status: 'invalid', reason: 'empty GS1 data' };
  const offset = data.length - body.length;
  const standard = readStandard(body, options);
  // Any GS after the first element shows the source sends its separators: the standard reading is the reading.
  if (options.separators === 'transmitted' || body.includes(GS)) {
    return 'error' in standard
      ? { status: 'invalid', reason: standard.error, at: standard.at + offset }
      : { status: 'ok', elements: standard.elements, derived: derive(standard.elements) };
  }
  const { readings, exhausted } = allReadings(body, options);
  const others = 'error' in standard ? readings : readings.filter((r) => !sameReading(r, standard.elements));
  if (others.length === 0 && !exhausted) {
    return 'error' in standard
      ? { status: 'invalid', reason: standard.error, at: standard.at + offset }
      : { status: 'ok', elements: standard.elements, derived: derive(standard.elements) };
  }
  const all = 'error' in standard ? others : [standard.elements, ...others];
  const shown = all.map((r) => formatGs1(r)).join(' | ');
  const reason = 'error' in standard
    ? `no GS separators and not valid as read (${standard.error}); it could be read as ${shown}`
    : `no GS separators: a variable-length value may hide the AIs after it; it could be read as ${shown}`;
  return { status: 'ambiguous', reason: exhausted ? `${reason} | …` : reason, readings: all, complete: !exhausted };
}

/** Element string for these elements: a GS after every element that is not predefined-length, except the last. */
export function encodeGs1(elements: readonly Pick<Gs1Element, 'ai' | 'value'>[]): string {
  return elements
    .map((e, i) => {
      const predefined = GS1_AIS.get(e.ai)?.predefined ?? PREDEFINED[e.ai.slice(0, 2)] !== undefined;
      return e.ai + e.value + (predefined || i === elements.length - 1 ? '' : GS);
    })
    .join('');
}

const LB_TO_KG = 0.45359237;
const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

/** AIs 31nn–36nn: the last digit is the number of decimal places. */
const measure = (ai: string, value: string) => Number(value) / 10 ** Number(ai[3]);

function derive(elements: Gs1Element[]): Gs1Derived {
  const d: Gs1Derived = {};
  for (const { ai, value, date, uninterpreted } of elements) {
    if (uninterpreted) continue;
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
      case '310': d.netWeightKg ??= round9(measure(ai, value)); break;
      case '320': d.netWeightKg ??= round9(measure(ai, value) * LB_TO_KG); break;
      case '330': d.grossWeightKg ??= round9(measure(ai, value)); break;
      case '340': d.grossWeightKg ??= round9(measure(ai, value) * LB_TO_KG); break;
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
