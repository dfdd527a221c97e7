import { INVT_NO_SHAPE, isCebTime, KNOWN_EXPORT_ORDER_TYPES, KNOWN_EXPORT_TRADE_MODES, KNOWN_IMPORT_TRADE_MODES, KNOWN_TRADE_MODES, type CustomsDocument } from './documents.ts';
import { quoteValue, type DocumentWarning } from './warnings.ts';

/**
 * The shapes a customs document's fields have by the code tables and customs practice (customs.md), not by the XSD's
 * types and facets: a document that breaks one is stored as sent, with a warning (issue 15 item 1). Pure; runs on
 * every document the hub takes, JSON or CEB XML alike. Paths are document paths (`lines.0.gcode`).
 */

const JGS20 = /^[0-9A-Z]{3}$/;
const DISTRICT = /^\d{4}$/;
const HS = /^\d{10}$/;
const DIVISION = /^\d{6}$/;
const ID_TYPES: readonly string[] = ['1', '2'];

type Fields = Record<string, unknown>;

function shape(out: DocumentWarning[], field: string, value: unknown, re: RegExp, expected: string): void {
  if (typeof value !== 'string' || re.test(value)) return;
  out.push({ code: 'DOC_CODE_SHAPE', field, message: `expected ${expected}, got ${quoteValue(value)}`, params: { expected, got: value.slice(0, 60) } });
}

const CODE_FIELDS: readonly (readonly [string, RegExp, string])[] = [
  ['unit', JGS20, 'a 3-character JGS-20 code'],
  ['unit1', JGS20, 'a 3-character JGS-20 code'],
  ['unit2', JGS20, 'a 3-character JGS-20 code'],
  ['country', JGS20, 'a 3-character JGS-20 code'],
  ['tradeCountry', JGS20, 'a 3-character JGS-20 code'],
  ['currency', JGS20, 'a 3-character JGS-20 code'],
  ['fCurrency', JGS20, 'a 3-character JGS-20 code'],
  ['iCurrency', JGS20, 'a 3-character JGS-20 code'],
  ['customsCode', DISTRICT, 'a 4-digit customs district code'],
  ['portCode', DISTRICT, 'a 4-digit customs district code'],
  ['gcode', HS, 'a 10-digit HS code'],
  ['consigneeDistrict', DIVISION, 'a 6-digit administrative division code'],
];

function codes(out: DocumentWarning[], fields: Fields, prefix: string): void {
  for (const [name, re, expected] of CODE_FIELDS) shape(out, `${prefix}${name}`, fields[name], re, expected);
  for (const name of ['buyerIdType', 'payerIdType']) {
    const v = fields[name];
    if (typeof v === 'string' && !ID_TYPES.includes(v)) out.push({ code: 'DOC_CODE_SHAPE', field: `${prefix}${name}`, message: `expected 1 (resident ID card) or 2 (other), got ${quoteValue(v)}`, params: { expected: '1, 2', got: v } });
  }
}

function invtNo(out: DocumentWarning[], value: unknown, re: RegExp, field = 'invtNo'): void {
  if (typeof value !== 'string' || re.test(value)) return;
  out.push({ code: 'DOC_INVT_NO_SHAPE', field, message: `not the district(4) + year(4) + I/E + serial shape (customs.md §7); stored and matched by its whole value: ${quoteValue(value)}`, params: { got: value } });
}

/** A value outside the hub's own list where the XSD has no enumeration: kept; `effect` says what the hub does with it. */
function known(out: DocumentWarning[], field: string, value: string, list: readonly string[], effect: string): void {
  if (list.includes(value)) return;
  out.push({ code: 'DOC_UNKNOWN_CODE', field, message: `${quoteValue(value)} is not one of the hub's ${list.join('/')}; kept as sent: ${effect}`, params: { expected: list.join(', '), got: value } });
}

/** A time of the XSD's length that is not a calendar time: kept as sent; `effect` says how the hub treats it. */
function time(out: DocumentWarning[], field: string, value: string | undefined, effect: string): void {
  if (value === undefined || isCebTime(value)) return;
  out.push({ code: 'DOC_UNKNOWN_TIME', field, message: `${quoteValue(value)} is not a calendar time; kept as sent, treated as unknown: ${effect}`, params: { got: value } });
}

export function documentWarnings(doc: CustomsDocument): DocumentWarning[] {
  const out: DocumentWarning[] = [];
  if (doc.kind === 'receipt') {
    time(out, 'returnTime', doc.returnTime, 'placed among the receipts at the time the hub received it');
    const ref = doc.refersTo;
    if ('invtNo' in ref && ref.invtNo !== undefined) invtNo(out, ref.invtNo, ref.kind === 'exportInventory' ? INVT_NO_SHAPE.export : INVT_NO_SHAPE.import, 'refersTo.invtNo');
    return out;
  }
  codes(out, doc as unknown as Fields, '');
  if ('lines' in doc) doc.lines.forEach((line, i) => codes(out, line as unknown as Fields, `lines.${i}.`));
  switch (doc.kind) {
    case 'waybill':
      if (doc.packNo !== 1) out.push({ code: 'DOC_WAYBILL_PACK_NO', field: 'packNo', message: `the CEB511 documentation limits an import waybill to one package ("限定为1"), got ${doc.packNo}`, params: { got: doc.packNo } });
      break;
    case 'payment':
      time(out, 'payTime', doc.payTime, 'nothing in the hub reads it');
      break;
    case 'exportOrder':
      known(out, 'orderType', doc.orderType, KNOWN_EXPORT_ORDER_TYPES, 'nothing in the hub depends on it');
      break;
    case 'inventory':
    case 'return':
      // documents.ts KNOWN_IMPORT_TRADE_MODES says why each of these is the conservative side.
      if (doc.kind === 'inventory') {
        time(out, 'declTime', doc.declTime, "the buyer's annual total counts it in the year the hub received it");
        time(out, 'ieDate', doc.ieDate, 'nothing in the hub reads it');
        const limits = KNOWN_TRADE_MODES.includes(doc.tradeMode) ? 'personal import limits as riskRules.valueLimits.tradeModes says' : 'personal import limits apply';
        known(out, 'tradeMode', doc.tradeMode, KNOWN_IMPORT_TRADE_MODES, `${limits}, bonded fields are not required, no CEB711 is sent`);
      }
      invtNo(out, doc.invtNo, INVT_NO_SHAPE.import);
      if (doc.copNo === undefined) {
        const keyedBy = doc.kind === 'inventory' ? 'ebpCode + orderNo' : 'the InvtRefundHead guid';
        const matchedBy = doc.kind === 'inventory' ? 'preNo or invtNo' : 'preNo';
        out.push({ code: 'DOC_NO_COP_NO', field: 'copNo', message: `no copNo (optional in the XSD): stored under ${keyedBy}; its receipts, which always name a copNo, are matched by ${matchedBy} only, and one naming neither finds no document`, params: { keyedBy, matchedBy } });
      }
      break;
    case 'exportInventory':
      known(out, 'tradeMode', doc.tradeMode, KNOWN_EXPORT_TRADE_MODES, 'bonded fields are not required');
      time(out, 'ieDate', doc.ieDate, 'no monthly rate applies: a value in another currency than RMB is shown as "no rate"');
      invtNo(out, doc.invtNo, INVT_NO_SHAPE.export);
      if (doc.statisticsFlag !== 'A' && doc.statisticsFlag !== 'B') out.push({ code: 'DOC_STATISTICS_FLAG', field: 'statisticsFlag', message: `the CEB603 documentation lists A (simplified) and B (summary declaration), got ${quoteValue(doc.statisticsFlag)}`, params: { got: doc.statisticsFlag } });
      break;
    default:
      break;
  }
  return out;
}
