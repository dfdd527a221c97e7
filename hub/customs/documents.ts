import { z } from 'zod';
import { decimalSchema } from '../../shared/decimal.ts';
import { BondgateError, fieldIssues, validationError, type FieldIssue } from '../../shared/errors.ts';

/**
 * The normalised customs documents the hub works with: one JSON shape per CEB business message (customs.md §2), field
 * names exactly as the 2022-05 XSDs spell them (`acturalPaid` included), head and lines flattened into one object with
 * `lines`. Envelope fields (guid, appType, appTime, appStatus, BaseTransfer, Signature) belong to the XML layer
 * (`hub/customs/ceb/`), not here. Lengths and cardinalities follow the XSDs; a field the XSD requires is required here
 * unless noted. Types are inferred from these schemas; nothing else declares them.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Scalars

/**
 * CEB amounts, quantities and weights are decimal(19,5): at most 14 integer and 5 fraction digits. They are held as
 * canonical decimal strings (`12345678912345.12345`, shared/decimal.ts), because a JS number cannot hold 19 digits:
 * JSON input may give a string or a number of up to 15 significant digits; output is always the string.
 */
/** An amount in the document's currency (RMB for imports), ≥ 0, up to 5 decimals. */
export const Amount = decimalSchema();
/** A quantity (qty, qty1, qty2): positive, up to 5 decimals. */
export const Quantity = decimalSchema({ sign: 'positive' });
/** A weight in kg: positive, up to 5 decimals. */
export const WeightKg = decimalSchema({ sign: 'positive' });

const text = (max: number) => z.string().min(1).max(max);
const optionalText = (max: number) => z.string().max(max).optional();
/** Customs registration codes (10-character customs code or 18-character unified social credit code). */
const enterpriseCode = text(18);
const enterpriseName = text(100);
const note = optionalText(1000);
// Issue 15 item 1: a field here is no stricter than the XSD's types and facets. The shapes only the XSD documentation
// or customs.md give (JGS-20 code tables, 4-digit districts, 10-digit HS codes, ID type 1/2, the list-number shape,
// packNo 1, statisticsFlag A/B) are checked in document-warnings.ts and recorded as warnings with the document.
/** JGS-20 parameter codes: units, countries, currencies (3 characters; some export fields allow fewer). */
const code3 = z.string().min(1).max(3);
/** JGS/T 18 customs district code (4 characters in the XSD; 4 digits in the code table). */
const customsDistrict = z.string().min(1).max(4);
/** 1 = resident ID card (the only value customs accepts for imports), 2 = other; one character in the XSD. */
const idType = z.string().length(1);
/** Imports are declared in RMB only: the XSD fixes `currency` to 142. */
const rmb = z.literal('142').default('142');

/** HS code: 8-digit tariff line + 2 additional digits (10 characters at most in the XSD; the shape is a warning). */
export const HsCode = z.string().min(1).max(10);

export const OrderNo = text(60).brand<'OrderNo'>();
export type OrderNo = z.infer<typeof OrderNo>;
export const LogisticsNo = text(60).brand<'LogisticsNo'>();
export type LogisticsNo = z.infer<typeof LogisticsNo>;
/** CEB505/603 (export) cap logisticsNo at 32. */
export const ExportLogisticsNo = text(32).brand<'LogisticsNo'>();
/**
 * The list number customs assigns: 18 characters (import), up to 20 (export), per the XSD. customs.md §7 gives its shape
 * (4-digit district + 4-digit year + I/E + serial), but only as practice: the hub never takes it apart (returns and
 * receipts find a list by the whole value), so a number of another shape is stored and matched by value, with a
 * DOC_INVT_NO_SHAPE warning (INVT_NO_SHAPE below).
 */
export const InvtNo = z.string().min(1).max(20).brand<'InvtNo'>();
export type InvtNo = z.infer<typeof InvtNo>;
const importInvtNo = z.string().min(1).max(18).brand<'InvtNo'>();
const exportInvtNo = z.string().min(1).max(20).brand<'InvtNo'>();
export const INVT_NO_SHAPE = { import: /^\d{8}I\d{9}$/, export: /^\d{8}E\d{9,11}$/ } as const;

const CEB_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** CEB times are Beijing time (UTC+8) without a zone: `YYYYMMDDhhmmss`, receipts add milliseconds. NaN if invalid. */
export function parseCebTime(value: string): number {
  const m = CEB_TIME.exec(value);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, m[7] ? Number(m[7]) : 0);
  const back = new Date(ms);
  // Date.UTC rolls 31 February over into March: a real calendar time survives the round trip.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s) return Number.NaN;
  return ms - BEIJING_OFFSET_MS;
}

/** Epoch ms → `YYYYMMDDhhmmss` in Beijing time (order, payment, waybill times). */
export function toCebTime(ms: number): string {
  const iso = new Date(ms + BEIJING_OFFSET_MS).toISOString(); // 2025-03-01T10:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Epoch ms → `YYYYMMDDhhmmssSSS` in Beijing time (receipt times). */
export function toReceiptTime(ms: number): string {
  return `${toCebTime(ms)}${new Date(ms).toISOString().slice(20, 23)}`;
}

/** A CEB time (14 or 17 digits) or date (8 digits) that is a real calendar moment. */
export function isCebTime(value: string): boolean {
  return !Number.isNaN(parseCebTime(value.length === 8 ? `${value}000000` : value));
}

// Issue 15: the XSD types these times as strings of a fixed length (payTime 14, returnTime 17, declTime/ieDate 8); the
// format (YYYYMMDDhhmmss…) is its documentation's. So any value of that length is stored as sent; one that is not a
// calendar time gets DOC_UNKNOWN_TIME (document-warnings.ts) and every consumer treats it as unknown (receiptOrderTime,
// the list's declaration year, an export's rate month, the timeline).
const cebTime = z.string().length(14, 'YYYYMMDDhhmmss: 14 characters');
const cebDate = z.string().length(8, 'YYYYMMDD: 8 characters');
/**
 * Receipt times: 17 characters (YYYYMMDDhhmmssSSS) in the XSD. A JSON client's 14-digit time is accepted and padded so
 * receipts sort as text, as before.
 */
const receiptTime = z
  .string()
  .refine((s) => s.length === 17 || /^\d{14}$/.test(s), 'YYYYMMDDhhmmssSSS: 17 characters')
  .transform((s) => (s.length === 14 ? `${s}000` : s));

/** Unknown elements a district adds (customs.md §2: keep them rather than fail), by element name. */
const extensions = z.record(z.string().min(1).max(100), z.string().max(1000)).optional();

/** Line numbers (gnum) are unique within a document: they pair order, list and return lines one-to-one. */
function uniqueGnum(lines: readonly { gnum: number }[], ctx: z.RefinementCtx): void {
  const seen = new Set<number>();
  lines.forEach((line, i) => {
    if (seen.has(line.gnum)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'gnum'], message: `gnum ${line.gnum} appears twice` });
    seen.add(line.gnum);
  });
}
const gnum = (max: number) => z.number().int().min(1).max(max);

// ---------------------------------------------------------------------------------------------------------------------
// Import: CEB311 order, CEB411 payment, CEB511 waybill, CEB621 inventory list, CEB625 return

export const OrderLine = z.object({
  gnum: gnum(99),
  itemNo: optionalText(30),
  itemName: text(250),
  gmodel: text(510),
  itemDescribe: optionalText(1000),
  barCode: optionalText(50),
  unit: code3,
  qty: Quantity,
  price: Amount,
  totalPrice: Amount,
  currency: rmb,
  country: code3,
  note,
});
export type OrderLine = z.infer<typeof OrderLine>;

/** CEB311 import order (电子订单). */
export const Order = z
  .object({
    kind: z.literal('order'),
    orderNo: OrderNo,
    ebpCode: enterpriseCode,
    ebpName: enterpriseName,
    ebcCode: enterpriseCode,
    ebcName: enterpriseName,
    goodsValue: Amount,
    freight: Amount,
    discount: Amount,
    taxTotal: Amount,
    /** Sic: the XSD's spelling. goodsValue + freight + taxTotal − discount, and the payment's amountPaid. */
    acturalPaid: Amount,
    currency: rmb,
    buyerRegNo: text(60),
    buyerName: text(60),
    buyerTelephone: text(30),
    buyerIdType: idType,
    buyerIdNumber: text(60),
    payCode: optionalText(18),
    payName: optionalText(100),
    payTransactionId: optionalText(60),
    batchNumbers: optionalText(100),
    consignee: text(100),
    consigneeTelephone: text(50),
    consigneeAddress: text(200),
    /** A 6-digit administrative division code (6 characters in the XSD; the digits are a warning). */
    consigneeDistrict: z.string().length(6).optional(),
    note,
    lines: z.array(OrderLine).min(1).max(99),
    extensions,
  })
  .superRefine((o, ctx) => uniqueGnum(o.lines, ctx));
export type Order = z.infer<typeof Order>;

/** CEB411 payment voucher (支付单). */
export const Payment = z.object({
  kind: z.literal('payment'),
  payCode: enterpriseCode,
  payName: enterpriseName,
  payTransactionId: text(60),
  orderNo: OrderNo,
  ebpCode: enterpriseCode,
  ebpName: enterpriseName,
  payerIdType: idType,
  payerIdNumber: text(60),
  payerName: text(60),
  telephone: optionalText(60),
  amountPaid: Amount,
  currency: rmb,
  payTime: cebTime,
  note,
  extensions,
});
export type Payment = z.infer<typeof Payment>;

/** CEB511 import waybill (运单): logisticsNo is the parcel label. */
export const Waybill = z.object({
  kind: z.literal('waybill'),
  logisticsCode: enterpriseCode,
  logisticsName: enterpriseName,
  logisticsNo: LogisticsNo,
  billNo: optionalText(37),
  orderNo: OrderNo,
  freight: Amount.optional(),
  insuredFee: Amount.optional(),
  currency: rmb,
  /** Gross weight, kg. */
  weight: WeightKg,
  /**
   * The XSD's documentation says "限定为1" (one package per import waybill), but its type is an int of 9 digits and
   * real waybills carry other counts: kept as sent, with a DOC_WAYBILL_PACK_NO warning when it is not 1.
   */
  packNo: z.number().int().min(-999_999_999).max(999_999_999).default(1),
  goodsInfo: optionalText(200),
  consignee: text(100),
  consigneeAddress: text(200),
  consigneeTelephone: text(50),
  note,
  extensions,
});
export type Waybill = z.infer<typeof Waybill>;

/**
 * The import supervision modes the hub knows (customs.md §1). The XSD's tradeMode is any 4 characters (its
 * documentation names 9610 and 1210 only), so another mode is stored as sent with a DOC_UNKNOWN_CODE warning. Where the
 * hub's logic branches on the mode, an unknown one is treated as follows, each the conservative side:
 * - personal import limits (risk.ts): applied to a mode the hub has never heard of (in neither list here) — it must not
 *   escape the ¥5,000 / ¥26,000 check; a mode the hub knows (an export mode such as 9710 on an import list included)
 *   follows `riskRules.valueLimits.tradeModes`, as it did;
 * - bonded fields (matching.ts: emsNo, areaCode, itemRecordNo): not required — the hub cannot say an account book
 *   applies, and a guessed requirement would fail the match of a list that may rightly have none;
 * - CEB711 entry details (eport/emit.ts): not sent — only a 9610 direct-purchase parcel arrives under a bill.
 */
export const KNOWN_IMPORT_TRADE_MODES = ['9610', '1210', '1239'] as const;
export type KnownImportTradeMode = (typeof KNOWN_IMPORT_TRADE_MODES)[number];
/** An import list's tradeMode: 4 characters, the XSD's only facet (KNOWN_IMPORT_TRADE_MODES for the hub's list). */
export const ImportTradeMode = z.string().length(4);
export type ImportTradeMode = z.infer<typeof ImportTradeMode>;

export const InventoryLine = z.object({
  /** = the order line's gnum (one-to-one). */
  gnum: gnum(99),
  /** Account-book item number: required for bonded (1210/1239) lists. */
  itemRecordNo: optionalText(30),
  itemNo: optionalText(20),
  itemName: optionalText(250),
  gcode: HsCode,
  /** = the order line's itemName. */
  gname: text(250),
  gmodel: text(510),
  barCode: optionalText(50),
  country: code3,
  tradeCountry: code3.optional(),
  currency: rmb,
  qty: Quantity,
  unit: code3,
  /** Legal quantity in the legal unit (unit1). */
  qty1: Quantity,
  unit1: code3,
  qty2: Quantity.optional(),
  unit2: code3.optional(),
  price: Amount,
  totalPrice: Amount,
  note,
});
export type InventoryLine = z.infer<typeof InventoryLine>;

/** CEB621 import inventory list (清单), signed by the declaring agent. */
export const InventoryList = z
  .object({
    kind: z.literal('inventory'),
    orderNo: OrderNo,
    ebpCode: enterpriseCode,
    ebpName: enterpriseName,
    ebcCode: enterpriseCode,
    ebcName: enterpriseName,
    logisticsNo: LogisticsNo,
    logisticsCode: enterpriseCode,
    logisticsName: enterpriseName,
    /**
     * The enterprise's own list number, optional in the XSD (InventoryHead copNo minOccurs=0). When present it is the
     * list's key (every 622/624 requires one and echoes it). A list without one is keyed by what the XSD does require —
     * ebpCode + orderNo, unique per platform by the XSD's own words ("同一交易平台的订单编号应唯一"), and the hub keeps
     * one list per order — and its receipts are matched by preNo/invtNo instead (documentKey, DOC_NO_COP_NO).
     */
    copNo: text(20).optional(),
    /** Assigned by the e-port. */
    preNo: z.string().min(1).max(18).optional(),
    assureCode: text(30),
    /** 1210/1239: the zone account book (金二账册). */
    emsNo: optionalText(30),
    /** Assigned by customs on acceptance. */
    invtNo: importInvtNo.optional(),
    ieFlag: z.literal('I').default('I'),
    declTime: cebDate.optional(),
    customsCode: customsDistrict,
    portCode: customsDistrict,
    ieDate: cebDate.optional(),
    buyerIdType: idType,
    buyerIdNumber: text(60),
    buyerName: text(60),
    buyerTelephone: text(30),
    consigneeAddress: text(200),
    agentCode: enterpriseCode,
    agentName: enterpriseName,
    /** 1210/1239: the zone warehouse enterprise. */
    areaCode: optionalText(18),
    areaName: optionalText(100),
    tradeMode: ImportTradeMode,
    trafMode: z.string().length(1),
    trafNo: optionalText(100),
    voyageNo: optionalText(32),
    billNo: optionalText(37),
    loctNo: optionalText(10),
    licenseNo: optionalText(19),
    country: code3,
    freight: Amount,
    insuredFee: Amount,
    currency: rmb,
    wrapType: z.string().length(1).optional(),
    packNo: z.number().int().min(1).max(999_999_999).default(1),
    grossWeight: WeightKg,
    netWeight: WeightKg,
    note,
    lines: z.array(InventoryLine).min(1).max(99),
    extensions,
  })
  .superRefine((l, ctx) => uniqueGnum(l.lines, ctx));
export type InventoryList = z.infer<typeof InventoryList>;

export const ReturnLine = z.object({
  /** The original list line. */
  gnum: gnum(99),
  gcode: HsCode,
  gname: text(250),
  /** ≤ the original line's qty. */
  qty: Quantity,
  unit: code3,
  note,
});
export type ReturnLine = z.infer<typeof ReturnLine>;

/** CEB625 return request (退货申请) against a released import list. */
export const ReturnRequest = z
  .object({
    kind: z.literal('return'),
    customsCode: customsDistrict,
    orderNo: OrderNo,
    ebpCode: enterpriseCode,
    ebpName: enterpriseName,
    ebcCode: enterpriseCode,
    ebcName: enterpriseName,
    logisticsNo: LogisticsNo,
    logisticsCode: enterpriseCode,
    logisticsName: enterpriseName,
    /**
     * Optional in the XSD (InvtRefundHead copNo minOccurs=0); the request's key when present (the 626 echoes it). One
     * list may have several returns, so neither invtNo nor orderNo identifies a request: without copNo it is keyed by
     * `guid`, the head's own XSD-required "36位唯一序号" (documentKey).
     */
    copNo: text(20).optional(),
    /** The InvtRefundHead guid: kept only when the request carries no copNo (the CEB mapping puts it here). */
    guid: z.string().length(36).optional(),
    preNo: z.string().min(1).max(18).optional(),
    /** The original list. */
    invtNo: importInvtNo,
    buyerIdType: idType,
    buyerIdNumber: text(60),
    buyerName: text(60),
    buyerTelephone: text(30),
    agentCode: enterpriseCode,
    agentName: enterpriseName,
    reason: text(1000),
    note,
    lines: z.array(ReturnLine).min(1).max(99),
    extensions,
  })
  .superRefine((r, ctx) => {
    uniqueGnum(r.lines, ctx);
    if (r.copNo === undefined && r.guid === undefined) ctx.addIssue({ code: 'custom', path: ['copNo'], message: 'a return request needs copNo or, without one, the guid of its InvtRefundHead (its only identity)' });
  });
export type ReturnRequest = z.infer<typeof ReturnRequest>;

// ---------------------------------------------------------------------------------------------------------------------
// Export: CEB303 order, CEB505 waybill, CEB603 inventory list

export const ExportOrderLine = z.object({
  gnum: gnum(100),
  itemNo: text(30),
  itemName: text(250),
  itemDescribe: optionalText(1000),
  barCode: optionalText(50),
  unit: code3,
  currency: code3,
  qty: Quantity,
  price: Amount,
  totalPrice: Amount,
  note,
});
export type ExportOrderLine = z.infer<typeof ExportOrderLine>;

/** CEB303 export order: `E` B2C, `B` B2B (9710), `W` overseas-warehouse booking (9810). goodsValue is FOB. */
export const ExportOrder = z
  .object({
    kind: z.literal('exportOrder'),
    orderType: z.string().length(1),
    orderNo: OrderNo,
    ebpCode: enterpriseCode,
    ebpName: enterpriseName,
    ebcCode: enterpriseCode,
    ebcName: enterpriseName,
    goodsValue: Amount,
    freight: Amount,
    /** Exports may be priced in any currency (JGS-20 currency code). */
    currency: code3,
    note,
    lines: z.array(ExportOrderLine).min(1).max(100),
    extensions,
  })
  .superRefine((o, ctx) => uniqueGnum(o.lines, ctx));
export type ExportOrder = z.infer<typeof ExportOrder>;

/** CEB505 export waybill. It carries no orderNo: the list ties order and waybill together. */
export const ExportWaybill = z.object({
  kind: z.literal('exportWaybill'),
  logisticsCode: enterpriseCode,
  logisticsName: enterpriseName,
  logisticsNo: ExportLogisticsNo,
  freight: Amount,
  insuredFee: Amount,
  currency: code3,
  grossWeight: WeightKg,
  packNo: z.number().int().min(1).max(999_999_999),
  goodsInfo: text(200),
  ebcCode: enterpriseCode.optional(),
  ebcName: enterpriseName.optional(),
  ebcTelephone: optionalText(50),
  note,
  extensions,
});
export type ExportWaybill = z.infer<typeof ExportWaybill>;

/**
 * The export modes the hub knows. As for imports, the XSD has only `length 4`: another mode is kept with a
 * DOC_UNKNOWN_CODE warning; bonded-field checks (matching-export.ts) apply to the configured bonded modes only, so an
 * unknown mode is not held to them (nothing else in the hub branches on an export's mode).
 */
export const KNOWN_EXPORT_TRADE_MODES = ['9610', '1210', '1239', '9710', '9810'] as const;
export const ExportTradeMode = z.string().length(4);
export type ExportTradeMode = z.infer<typeof ExportTradeMode>;
/**
 * CEB303 order types the hub knows: `E` B2C, `B` B2B (9710), `W` (9810 bookings; the XSD text says 外综服订单). The
 * XSD's facet is one character; its documentation lists I/E/B/W (CEB_DOCUMENTED_ENUMERATION outside those). Nothing in
 * the hub branches on the type: another is stored as sent, with a DOC_UNKNOWN_CODE warning.
 */
/** Every supervision mode the hub knows, either direction (risk.ts: an unknown one is held to the personal limits). */
export const KNOWN_TRADE_MODES: readonly string[] = [...new Set<string>([...KNOWN_IMPORT_TRADE_MODES, ...KNOWN_EXPORT_TRADE_MODES])];
export const KNOWN_EXPORT_ORDER_TYPES = ['E', 'B', 'W'] as const;

export const ExportInventoryLine = z.object({
  gnum: gnum(100),
  itemNo: text(20),
  /** Required for bonded exports. */
  itemRecordNo: optionalText(30),
  itemName: optionalText(250),
  gcode: HsCode,
  gname: text(250),
  gmodel: text(250),
  barCode: text(50),
  /** Final destination country. */
  country: code3,
  currency: code3,
  qty: Quantity,
  qty1: Quantity,
  qty2: Quantity.optional(),
  unit: code3,
  unit1: code3,
  unit2: code3.optional(),
  price: Amount,
  totalPrice: Amount,
  note,
});
export type ExportInventoryLine = z.infer<typeof ExportInventoryLine>;

/** CEB603 export inventory list: released per list, declared monthly in summary (statisticsFlag B) or simplified (A). */
export const ExportInventoryList = z
  .object({
    kind: z.literal('exportInventory'),
    customsCode: customsDistrict,
    ebpCode: enterpriseCode,
    ebpName: enterpriseName,
    orderNo: OrderNo,
    logisticsCode: enterpriseCode,
    logisticsName: enterpriseName,
    logisticsNo: ExportLogisticsNo,
    copNo: text(30),
    preNo: z.string().length(18).optional(),
    invtNo: exportInvtNo.optional(),
    ieFlag: z.literal('E').default('E'),
    portCode: customsDistrict,
    ieDate: cebDate,
    /** A (simplified) or B (summary declaration) per the XSD documentation; one character by its facets (604s carry others). */
    statisticsFlag: z.string().length(1),
    agentCode: enterpriseCode,
    agentName: enterpriseName,
    ebcCode: enterpriseCode,
    ebcName: enterpriseName,
    ownerCode: enterpriseCode,
    ownerName: enterpriseName,
    /** Zone exports: the zone enterprise and its account book. */
    iacCode: enterpriseCode.optional(),
    iacName: enterpriseName.optional(),
    emsNo: optionalText(30),
    tradeMode: ExportTradeMode,
    trafMode: z.string().length(1),
    trafName: optionalText(100),
    voyageNo: optionalText(32),
    billNo: optionalText(37),
    totalPackageNo: optionalText(37),
    loctNo: optionalText(10),
    licenseNo: optionalText(19),
    country: code3,
    POD: z.string().min(3).max(4),
    freight: Amount,
    fCurrency: code3,
    fFlag: z.literal('3').default('3'),
    insuredFee: Amount,
    iCurrency: code3,
    iFlag: z.literal('3').default('3'),
    wrapType: z.string().length(1),
    packNo: z.number().int().min(1).max(999_999_999),
    grossWeight: WeightKg,
    netWeight: WeightKg,
    note,
    lines: z.array(ExportInventoryLine).min(1).max(100),
    extensions,
  })
  .superRefine((l, ctx) => uniqueGnum(l.lines, ctx));
export type ExportInventoryList = z.infer<typeof ExportInventoryList>;

// ---------------------------------------------------------------------------------------------------------------------
// The other business messages of import-business.xsd and export-business.xsd: 403 collection, 513 waybill status,
// 623/605 cancellation requests, 711 entry detail, 507 arrival, 509 departure, 607 consolidation, 701/792 summary,
// 213/215 export returns and tally, 816/818 tax bill and status. Fields are the XSD's own (written out from the rule
// table, gen: the facets only — what the XSD states in words alone is the validator's concern, never a refusal here),
// so a mapped message keeps every value it carried. Keys and effects: documentKey and hub/customs/receipts.ts.

/** A string of exactly `n` characters (an XSD length facet). */
const fixed = (n: number) => z.string().length(n);
/** xs:int: integers, 32-bit. */
const xsdInt = z.number().int().min(-2147483648).max(2147483647);

/** CEB403 */
export const ExportCollection = z.object({
  kind: z.literal('exportCollection'),
  ebpCode: text(18),
  ebpName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  orderNo: text(60),
  payCode: optionalText(18),
  payName: text(100),
  payNo: optionalText(60),
  charge: Amount,
  currency: fixed(3),
  accountingDate: fixed(14),
  note: optionalText(1000),
  extensions,
});
export type ExportCollection = z.infer<typeof ExportCollection>;

/** CEB513 */
export const WaybillStatus = z.object({
  kind: z.literal('waybillStatus'),
  logisticsCode: text(18),
  logisticsName: text(100),
  logisticsNo: text(60),
  logisticsStatus: fixed(1),
  logisticsTime: fixed(14),
  note: optionalText(1000),
  extensions,
});
export type WaybillStatus = z.infer<typeof WaybillStatus>;

/** CEB623 */
export const InventoryCancel = z.object({
  kind: z.literal('inventoryCancel'),
  customsCode: fixed(4),
  orderNo: text(60),
  ebpCode: text(18),
  ebpName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  logisticsNo: text(60),
  logisticsCode: text(18),
  logisticsName: text(100),
  copNo: optionalText(20),
  preNo: optionalText(18),
  invtNo: text(18),
  buyerIdType: fixed(1),
  buyerIdNumber: text(60),
  buyerName: text(60),
  buyerTelephone: text(30),
  agentCode: text(18),
  agentName: text(100),
  reason: text(1000),
  note: optionalText(1000),
  extensions,
});
export type InventoryCancel = z.infer<typeof InventoryCancel>;

/** CEB711 */
export const Delivery = z.object({
  kind: z.literal('delivery'),
  customsCode: fixed(4),
  copNo: optionalText(20),
  preNo: optionalText(18),
  rkdNo: optionalText(18),
  operatorCode: text(18),
  operatorName: text(100),
  ieFlag: fixed(1),
  trafMode: fixed(1),
  trafNo: text(100),
  voyageNo: text(32),
  billNo: text(37),
  logisticsCode: text(18),
  logisticsName: text(100),
  unloadLocation: optionalText(100),
  note: optionalText(1000),
  lines: z.array(z.object({
    gnum: xsdInt,
    logisticsNo: text(60),
    note: optionalText(1000),
  })).min(1),
  extensions,
});
export type Delivery = z.infer<typeof Delivery>;

/** CEB507 */
export const Arrival = z.object({
  kind: z.literal('arrival'),
  customsCode: fixed(4),
  copNo: text(30),
  preNo: fixed(18).optional(),
  operatorCode: text(18),
  operatorName: text(100),
  loctNo: optionalText(10),
  ieFlag: fixed(1),
  trafMode: fixed(1),
  billNo: optionalText(37),
  domesticTrafNo: text(100),
  logisticsCode: text(18),
  logisticsName: text(100),
  msgCount: xsdInt,
  msgSeqNo: xsdInt,
  note: optionalText(1000),
  lines: z.array(z.object({
    gnum: xsdInt,
    logisticsNo: text(32),
    totalPackageNo: optionalText(37),
    note: optionalText(1000),
  })),
  extensions,
});
export type Arrival = z.infer<typeof Arrival>;

/** CEB509 */
export const Departure = z.object({
  kind: z.literal('departure'),
  customsCode: fixed(4),
  copNo: text(30),
  preNo: fixed(18).optional(),
  logisticsCode: text(18),
  logisticsName: text(100),
  trafMode: fixed(1),
  trafName: optionalText(100),
  voyageNo: optionalText(32),
  billNo: optionalText(37),
  leaveTime: fixed(14),
  msgCount: xsdInt,
  msgSeqNo: xsdInt,
  note: optionalText(1000),
  lines: z.array(z.object({
    gnum: xsdInt,
    totalPackageNo: optionalText(37),
    logisticsNo: text(32),
    note: optionalText(1000),
  })).min(1),
  extensions,
});
export type Departure = z.infer<typeof Departure>;

/** CEB605 */
export const ExportInventoryCancel = z.object({
  kind: z.literal('exportInventoryCancel'),
  customsCode: fixed(4),
  copNo: text(30),
  preNo: fixed(18).optional(),
  invtNo: text(20),
  reason: text(1000),
  agentCode: text(18),
  agentName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  note: optionalText(1000),
  extensions,
});
export type ExportInventoryCancel = z.infer<typeof ExportInventoryCancel>;

/** CEB607 */
export const Consolidation = z.object({
  kind: z.literal('consolidation'),
  customsCode: fixed(4),
  copNo: text(30),
  preNo: fixed(18).optional(),
  agentCode: text(18),
  agentName: text(100),
  loctNo: optionalText(10),
  trafMode: fixed(1),
  trafName: text(100),
  voyageNo: text(32),
  billNo: text(37),
  domesticTrafNo: optionalText(100),
  grossWeight: Amount,
  logisticsCode: text(18),
  logisticsName: text(100),
  msgCount: xsdInt,
  msgSeqNo: xsdInt,
  note: optionalText(1000),
  lines: z.array(z.object({
    gnum: xsdInt,
    totalPackageNo: optionalText(60),
    logisticsNo: text(32),
    invtNo: optionalText(20),
    note: optionalText(1000),
  })).min(1),
  extensions,
});
export type Consolidation = z.infer<typeof Consolidation>;

/** CEB701 */
export const SummaryApply = z.object({
  kind: z.literal('summaryApply'),
  customsCode: fixed(4),
  copNo: text(30),
  preNo: optionalText(18),
  sumNo: optionalText(18),
  agentCode: text(18),
  agentName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  declAgentCode: text(18),
  declAgentName: text(100),
  startTime: fixed(14).optional(),
  endTime: fixed(14).optional(),
  loctNo: optionalText(10),
  summaryFlag: fixed(1),
  itemNameFlag: fixed(1),
  msgCount: xsdInt,
  msgSeqNo: xsdInt,
  note: optionalText(1000),
  lines: z.array(z.object({
    invtNo: text(20),
  })),
  extensions,
});
export type SummaryApply = z.infer<typeof SummaryApply>;

/** CEB792 */
export const SummaryResult = z.object({
  kind: z.literal('summaryResult'),
  customsCode: fixed(4),
  sumNo: fixed(18),
  opDate: fixed(17),
  declSeqNo: fixed(18),
  decTmpNo: fixed(18).optional(),
  decPreNo: fixed(18).optional(),
  entryId: fixed(18).optional(),
  decState: text(3),
  agentCode: text(18),
  agentName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  declAgentCode: text(18),
  declAgentName: text(100),
  grossWeight: Amount,
  netWeight: Amount,
  msgCount: xsdInt,
  msgSeqNo: xsdInt,
  note: optionalText(1000),
  lines: z.array(z.object({
    /** 2018: exactly 18 characters; 2022-05: at most 20 (edition.ts). */
    invtNo: text(20),
    /** 2018: at most 80; 2022-05: at most 32. */
    logisticsNo: text(80),
    /** 2022-05 only (the 2018 list numbers goods by gnum alone). */
    gseqno: xsdInt.optional(),
    gnum: xsdInt,
    gcode: fixed(10),
  })),
  extensions,
});
export type SummaryResult = z.infer<typeof SummaryResult>;

/** CEB213 */
export const ExportReturn = z.object({
  kind: z.literal('exportReturn'),
  customsCode: fixed(4),
  loctNo: optionalText(10),
  ebpCode: text(18),
  ebpName: text(100),
  ebcCode: text(18),
  ebcName: text(100),
  logisticsNo: text(80),
  logisticsCode: text(18),
  logisticsName: text(100),
  coElNo: text(30),
  preNo: optionalText(18),
  invtNo: text(20),
  tradeMode: fixed(4).optional(),
  agentCode: text(18),
  agentName: text(100),
  billNo: text(37),
  ieFlag: text(1),
  trafMode: text(1),
  trafName: text(100),
  portCode: text(4),
  reason: text(500),
  country: text(3),
  voyageNo: text(32),
  note: optionalText(500),
  lines: z.array(z.object({
    gnum: xsdInt,
    gcode: text(10),
    gname: text(250),
    gmodel: text(250),
    qty: Amount,
    qty1: Amount,
    unit: fixed(3),
    unit1: fixed(3),
    qty2: Amount.optional(),
    unit2: fixed(3).optional(),
    note: optionalText(500),
  })).min(1).max(100),
  extensions,
});
export type ExportReturn = z.infer<typeof ExportReturn>;

/** CEB215 */
export const ExportReturnTally = z.object({
  kind: z.literal('exportReturnTally'),
  customsCode: fixed(4),
  operatorCode: text(18),
  operatorName: text(100),
  logisticsCode: text(18),
  logisticsName: text(100),
  logisticsNo: text(80),
  invtNo: optionalText(20),
  coElNo: text(20),
  preNo: optionalText(18),
  billNo: text(37),
  ieFlag: fixed(1),
  trafMode: fixed(1),
  trafName: text(100),
  voyageNo: text(32),
  location: optionalText(250),
  note: optionalText(250),
  extensions,
});
export type ExportReturnTally = z.infer<typeof ExportReturnTally>;

/** CEB816 */
export const TaxBill = z.object({
  kind: z.literal('taxBill'),
  returnTime: fixed(17),
  invtNo: text(18),
  taxNo: text(50),
  customsTax: Amount,
  valueAddedTax: Amount,
  consumptionTax: Amount,
  status: fixed(1),
  entDutyNo: optionalText(50),
  note: optionalText(1000),
  assureCode: optionalText(64),
  ebcCode: optionalText(64),
  logisticsCode: optionalText(64),
  agentCode: optionalText(18),
  customsCode: fixed(4).optional(),
  lines: z.array(z.object({
    gnum: xsdInt,
    gcode: fixed(10),
    taxPrice: Amount,
    customsTax: Amount,
    valueAddedTax: Amount,
    consumptionTax: Amount,
  })).min(1).max(99),
  extensions,
});
export type TaxBill = z.infer<typeof TaxBill>;

/** CEB818 */
export const TaxStatus = z.object({
  kind: z.literal('taxStatus'),
  returnTime: fixed(17),
  invtNo: text(18),
  taxNo: text(50),
  status: fixed(1),
  entDutyNo: optionalText(50),
  assureCode: optionalText(64),
  extensions,
});
export type TaxStatus = z.infer<typeof TaxStatus>;


// ---------------------------------------------------------------------------------------------------------------------
// Receipts (回执): 312/412/512/514/622/624/626 import, 304/506/604/606 export

/** What a receipt refers to, by the keys the receipt itself carries. */
export const ReceiptRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('order'), orderNo: OrderNo, ebpCode: enterpriseCode, ebcCode: enterpriseCode.optional() }),
  z.object({ kind: z.literal('payment'), payCode: enterpriseCode, payTransactionId: text(60) }),
  z.object({ kind: z.literal('waybill'), logisticsCode: enterpriseCode, logisticsNo: LogisticsNo }),
  z.object({ kind: z.literal('inventory'), copNo: text(20), preNo: z.string().min(1).max(18).optional(), invtNo: InvtNo.optional(), ebpCode: enterpriseCode.optional(), ebcCode: enterpriseCode.optional(), agentCode: enterpriseCode.optional() }),
  z.object({ kind: z.literal('return'), copNo: text(20), preNo: z.string().min(1).max(18).optional(), invtNo: InvtNo.optional() }),
  z.object({ kind: z.literal('exportOrder'), orderNo: OrderNo, ebpCode: enterpriseCode, ebcCode: enterpriseCode.optional() }),
  z.object({ kind: z.literal('exportWaybill'), logisticsCode: enterpriseCode, logisticsNo: ExportLogisticsNo }),
  z.object({ kind: z.literal('exportInventory'), copNo: text(30), preNo: z.string().min(1).max(18).optional(), invtNo: InvtNo.optional() }),
  // The receipts of the other business messages (404, 508, 510, 608, 702, 712, 214, 216) and the e-port's CEB900.
  z.object({ kind: z.literal('exportCollection'), ebcCode: text(18), orderNo: text(60), payNo: optionalText(60) }),
  z.object({ kind: z.literal('arrival'), copNo: text(30), msgSeqNo: xsdInt, preNo: optionalText(18), operatorCode: optionalText(18), logisticsCode: optionalText(18), billNo: optionalText(37) }),
  z.object({ kind: z.literal('departure'), copNo: text(30), msgSeqNo: xsdInt, preNo: optionalText(18), logisticsCode: optionalText(18) }),
  z.object({ kind: z.literal('consolidation'), copNo: text(30), msgSeqNo: xsdInt, preNo: optionalText(18), agentCode: optionalText(18), logisticsCode: optionalText(18), billNo: optionalText(37) }),
  z.object({ kind: z.literal('summaryApply'), copNo: text(30), msgSeqNo: xsdInt, preNo: optionalText(18), sumNo: optionalText(18), agentCode: optionalText(18), ebcCode: optionalText(18) }),
  /** CEB712 names its 711 by whichever of copNo, preNo and rkdNo it carries (all optional in the XSD). */
  z.object({ kind: z.literal('delivery'), copNo: optionalText(20), preNo: optionalText(18), rkdNo: optionalText(18), operatorCode: optionalText(18), customsCode: optionalText(4) }),
  z.object({ kind: z.literal('exportReturn'), coElNo: text(30), invtNo: optionalText(20), preNo: optionalText(18), agentCode: optionalText(18), ebpCode: optionalText(18), ebcCode: optionalText(18) }),
  z.object({ kind: z.literal('exportReturnTally'), coElNo: text(30), logisticsNo: text(80), logisticsCode: optionalText(18), operatorCode: optionalText(18), preNo: optionalText(18) }),
  /** CEB900 (format check) answers a message, not a document: the original's message id and type. */
  z.object({ kind: z.literal('message'), oriMessageType: text(15), oriCopMsgId: text(255) }),
]);
export type ReceiptRef = z.infer<typeof ReceiptRef>;

/** Which receipt messages may answer which document kind (a receipt is the business message's number + 1). */
export const RECEIPT_TYPES = {
  order: ['CEB312'],
  payment: ['CEB412'],
  waybill: ['CEB512', 'CEB514'],
  inventory: ['CEB622', 'CEB624'],
  return: ['CEB626'],
  exportOrder: ['CEB304'],
  exportWaybill: ['CEB506'],
  exportInventory: ['CEB604', 'CEB606'],
  exportCollection: ['CEB404'],
  arrival: ['CEB508'],
  departure: ['CEB510'],
  consolidation: ['CEB608'],
  summaryApply: ['CEB702'],
  delivery: ['CEB712'],
  exportReturn: ['CEB214'],
  exportReturnTally: ['CEB216'],
  message: ['CEB900'],
} as const satisfies Record<ReceiptRef['kind'], readonly string[]>;

export const ReceiptMessageType = z.enum(['CEB312', 'CEB412', 'CEB512', 'CEB514', 'CEB622', 'CEB624', 'CEB626', 'CEB304', 'CEB506', 'CEB604', 'CEB606', 'CEB404', 'CEB508', 'CEB510', 'CEB608', 'CEB702', 'CEB712', 'CEB214', 'CEB216', 'CEB900']);
export type ReceiptMessageType = z.infer<typeof ReceiptMessageType>;

/**
 * A receipt. returnStatus (customs.md §2): < 0 format or business error, 1–4 e-port states, 100 rejected, 120 accepted,
 * 300 manual review, 399 concluded, 500 inspection, 501–599 detained, 700 returned, 800 released, 899 closed.
 */
export const Receipt = z
  .object({
    kind: z.literal('receipt'),
    messageType: ReceiptMessageType,
    refersTo: ReceiptRef,
    /** A string in the XSD; a number here (customs' own errors are negative, e.g. -621005). */
    returnStatus: z.number().int().min(-999_999_999).max(9_999_999_999),
    returnTime: receiptTime,
    /** 1000 characters in every receipt but CEB900, whose returnInfo may hold 5000. */
    returnInfo: z.string().max(5000).default(''),
    /**
     * The receipt's other XSD fields (customsCode, logisticsStatus, sumNo, oriBizMessage…), as written. Kept for the
     * receipt types added with the full message map (404, 508, 510, 608, 702, 712, 214, 216, 900); the eleven types
     * read before keep their stored shape unchanged.
     */
    detail: z.record(z.string().min(1).max(100), z.union([z.string(), z.number()])).optional(),
    /**
     * Set by the hub, never taken from a sender (CustomsService.ingest overwrites it): when `returnTime` is not a
     * calendar time, the moment the hub received the receipt (YYYYMMDDhhmmssSSS, Beijing time), by which it is placed
     * among the others (receiptOrderTime).
     */
    receivedTime: z.string().regex(/^\d{17}$/).optional(),
    extensions,
  })
  .superRefine((r, ctx) => {
    const allowed: readonly string[] = RECEIPT_TYPES[r.refersTo.kind];
    if (!allowed.includes(r.messageType)) ctx.addIssue({ code: 'custom', path: ['messageType'], message: `a ${r.messageType} does not answer a ${r.refersTo.kind} (expected ${allowed.join(' or ')})` });
  });
export type Receipt = z.infer<typeof Receipt>;

/**
 * Where a receipt stands among a document's receipts: its returnTime when that is a calendar time, else the time the
 * hub received it. Why reception and not "before" or "after" every dated receipt: either fixed place lets an undated
 * receipt be read out of the order it happened in — an old 800 retold with a broken time would override a later
 * detention, or a broken-time detention would sink under the release it followed — while reception is when the hub
 * learnt it, which is the order it acted in. Empty (earliest) only for a stored receipt from before the field.
 */
export function receiptOrderTime(r: Pick<Receipt, 'returnTime' | 'receivedTime'>): string {
  return isCebTime(r.returnTime) ? r.returnTime : (r.receivedTime ?? '');
}

// ---------------------------------------------------------------------------------------------------------------------
// The union, keys and parsing

export const CustomsDocument = z.discriminatedUnion('kind', [
  Order, Payment, Waybill, InventoryList, ReturnRequest, ExportOrder, ExportWaybill, ExportInventoryList, Receipt,
  ExportCollection, WaybillStatus, InventoryCancel, Delivery, Arrival, Departure, ExportInventoryCancel, Consolidation, SummaryApply, SummaryResult, ExportReturn, ExportReturnTally, TaxBill, TaxStatus,
]);
export type CustomsDocument = z.infer<typeof CustomsDocument>;
export type DocumentKind = CustomsDocument['kind'];
export type DocumentOf<K extends DocumentKind> = Extract<CustomsDocument, { kind: K }>;

const SCHEMAS = {
  order: Order, payment: Payment, waybill: Waybill, inventory: InventoryList, return: ReturnRequest, exportOrder: ExportOrder, exportWaybill: ExportWaybill, exportInventory: ExportInventoryList, receipt: Receipt,
  exportCollection: ExportCollection, waybillStatus: WaybillStatus, inventoryCancel: InventoryCancel, delivery: Delivery, arrival: Arrival, departure: Departure, exportInventoryCancel: ExportInventoryCancel, consolidation: Consolidation, summaryApply: SummaryApply, summaryResult: SummaryResult, exportReturn: ExportReturn, exportReturnTally: ExportReturnTally, taxBill: TaxBill, taxStatus: TaxStatus,
} as const;
export const DOCUMENT_KINDS = Object.keys(SCHEMAS) as DocumentKind[];

/** The CEB business message each kind travels in (receipts carry their own). */
export const MESSAGE_TYPES = {
  order: 'CEB311', payment: 'CEB411', waybill: 'CEB511', inventory: 'CEB621', return: 'CEB625', exportOrder: 'CEB303', exportWaybill: 'CEB505', exportInventory: 'CEB603',
  exportCollection: 'CEB403', waybillStatus: 'CEB513', inventoryCancel: 'CEB623', delivery: 'CEB711', arrival: 'CEB507', departure: 'CEB509', exportInventoryCancel: 'CEB605', consolidation: 'CEB607', summaryApply: 'CEB701', summaryResult: 'CEB792', exportReturn: 'CEB213', exportReturnTally: 'CEB215', taxBill: 'CEB816', taxStatus: 'CEB818',
} as const satisfies Record<Exclude<DocumentKind, 'receipt'>, string>;

/** Inside a set the slot names the kind, so `kind` may be left out of each document. */
const inSet = <K extends 'order' | 'payment' | 'waybill' | 'inventory', S extends z.ZodType>(kind: K, schema: S) =>
  z.preprocess((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('kind' in v) ? { kind, ...v } : v), schema).optional();

/** The four import documents customs matches as one set (customs.md §3); any may not have arrived yet. */
export const DocumentSet = z.object({ order: inSet('order', Order), payment: inSet('payment', Payment), waybill: inSet('waybill', Waybill), inventory: inSet('inventory', InventoryList) });
export type DocumentSet = z.infer<typeof DocumentSet>;

const part = (s: string) => (s.includes(':') || s.includes('%') ? encodeURIComponent(s) : s);
const key = (...parts: string[]) => parts.map(part).join(':');

/**
 * A document's identity, stable across versions of it (a resent 311 has the same key): the keys customs itself uses.
 * Lists and returns are keyed by copNo, the enterprise's number, because that is what their receipts are sure to echo;
 * an import list or return sent without one (the XSD allows it) by what the XSD does guarantee (see the cases below).
 * A receipt's `refersTo` yields the key of the document it answers: `documentKey(refersTo) === documentKey(document)`.
 */
export function documentKey(doc: CustomsDocument | ReceiptRef): string {
  switch (doc.kind) {
    case 'order':
    case 'exportOrder':
      return key(doc.kind, doc.ebpCode, doc.orderNo);
    case 'payment':
      return key(doc.kind, doc.payCode, doc.payTransactionId);
    case 'waybill':
    case 'exportWaybill':
      return key(doc.kind, doc.logisticsCode, doc.logisticsNo);
    case 'inventory':
      // Without copNo (optional in CEB621): the XSD-required ebpCode + orderNo (see InventoryList.copNo). A copNo is at
      // most 20 characters, so the longer 'order' form never meets a copNo-keyed list.
      return doc.copNo !== undefined || !('orderNo' in doc) ? key(doc.kind, doc.copNo ?? '') : key(doc.kind, 'order', doc.ebpCode, doc.orderNo);
    case 'return':
      // Receipts (626) always carry a copNo; a request without one is keyed by its head guid (ReturnRequest.copNo).
      return doc.copNo !== undefined ? key(doc.kind, doc.copNo) : key(doc.kind, 'guid', 'guid' in doc && doc.guid !== undefined ? doc.guid : '');
    case 'exportInventory':
    case 'exportInventoryCancel':
      return key(doc.kind, doc.copNo);
    // Split messages (msgCount/msgSeqNo) are one document per part: their receipts name the part.
    case 'arrival':
    case 'departure':
    case 'consolidation':
    case 'summaryApply':
      return key(doc.kind, doc.copNo, String(doc.msgSeqNo));
    case 'delivery':
      // The 711's copNo, preNo and rkdNo are all optional, and its 712 echoes whichever it has: the first present.
      return doc.copNo ? key(doc.kind, doc.copNo) : doc.preNo ? key(doc.kind, 'preNo', doc.preNo) : doc.rkdNo ? key(doc.kind, 'rkdNo', doc.rkdNo) : key(doc.kind, 'billNo', 'billNo' in doc ? doc.billNo : '');
    case 'exportCollection':
      return key(doc.kind, doc.ebcCode, doc.orderNo);
    case 'waybillStatus':
      return key(doc.kind, doc.logisticsCode, doc.logisticsNo, doc.logisticsStatus);
    case 'inventoryCancel':
      return key(doc.kind, doc.invtNo);
    case 'summaryResult':
      return key(doc.kind, doc.sumNo, String(doc.msgSeqNo));
    case 'exportReturn':
      return key(doc.kind, doc.coElNo);
    case 'exportReturnTally':
      return key(doc.kind, doc.coElNo, doc.logisticsNo);
    case 'taxBill':
      return key(doc.kind, doc.taxNo);
    case 'taxStatus':
      return key(doc.kind, doc.taxNo, doc.status, doc.returnTime);
    case 'message':
      return key(doc.kind, doc.oriMessageType, doc.oriCopMsgId);
    case 'receipt':
      // The target's key is already escaped: embed it as it is, so it reads the same inside the receipt's key.
      return `${key('receipt', doc.messageType)}:${documentKey(doc.refersTo)}:${key(doc.returnTime, String(doc.returnStatus))}`;
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; fields: FieldIssue[] };

function prefixFor(input: unknown): string {
  const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && kind in SCHEMAS ? kind : '';
}

/** Parse any document by its `kind`; issues name the field as `order.lines.0.gcode`. Never throws. */
export function safeParseDocument(input: unknown): ParseResult<CustomsDocument> {
  const r = CustomsDocument.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, fields: fieldIssues(r.error, prefixFor(input)) };
}

/** Parse any document by its `kind`; throws `BondgateError('VALIDATION_FAILED')` whose `fields` name each bad field. */
export function parseDocument(input: unknown): CustomsDocument {
  const r = CustomsDocument.safeParse(input);
  if (!r.success) throw validationError(r.error, 'VALIDATION_FAILED', prefixFor(input));
  return r.data;
}

/** Parse a document known to be of `kind` (the `kind` property may be absent from the input). */
export function parseDocumentAs<K extends DocumentKind>(kind: K, input: unknown): DocumentOf<K> {
  const withKind = typeof input === 'object' && input !== null && !Array.isArray(input) ? { kind, ...input } : input;
  const r = SCHEMAS[kind].safeParse(withKind);
  if (!r.success) throw validationError(r.error, 'VALIDATION_FAILED', kind);
  return r.data as DocumentOf<K>;
}

/** JSON text → document: `DECODE_FAILED` when it is not JSON, `VALIDATION_FAILED` (fields named) when it is not a document. */
export function parseDocumentJson(json: string): CustomsDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new BondgateError('DECODE_FAILED', `The document is not JSON: ${(e as Error).message}`, [], { cause: e });
  }
  return parseDocument(value);
}

/** Parse a document set (order, payment, waybill, list); issues name the field as `payment.amountPaid`. */
export function parseDocumentSet(input: unknown): DocumentSet {
  const r = DocumentSet.safeParse(input);
  if (!r.success) throw validationError(r.error);
  return r.data;
}
