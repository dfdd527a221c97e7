import { z } from 'zod';

/**
 * A warning recorded with a customs document (issue 15): something the document or its CEB message does that only
 * the XSD's documentation text, or the hub's own expectation of a shape, rules out. The schema's types and facets
 * refuse a message; these never do. They are stored in the document's body (`warnings`), returned by the intake,
 * shown to officers with the document and counted in `bondgate_hub_document_warnings_total{code}`.
 *
 * `field` is the CEB path (`Order[0].OrderHead.guid`, `@guid`) for message-level warnings and the document path
 * (`invtNo`, `lines.0.gcode`) for document-level ones; `params` carries what a translated text needs.
 */
export const WARNING_CODES = [
  /** The value is outside a list the XSD documentation gives ("1-新增 2-变更 3-删除", "限定为1"). */
  'CEB_DOCUMENTED_ENUMERATION',
  /** The value is not the time format the documentation gives ("格式:YYYYMMDDhhmmss"), or not a calendar time. */
  'CEB_DOCUMENTED_FORMAT',
  /** The documentation asks for upper-case letters ("英文字母大写", on guids). */
  'CEB_DOCUMENTED_UPPERCASE',
  /** An attribute on an element the XSD does not declare (a district addition): kept, not used. */
  'CEB_EXTENSION_ATTRIBUTE',
  /** An unknown element whose name is a known field's in another case (`payTransactionID`): kept as an extension. */
  'CEB_FIELD_CASE',
  /** A list number (invtNo) not in the district + year + I/E + serial shape (customs.md §7); matched by value. */
  'DOC_INVT_NO_SHAPE',
  /** An import waybill whose packNo is not 1 (CEB511 documentation: "限定为1"). */
  'DOC_WAYBILL_PACK_NO',
  /** An export list whose statisticsFlag is neither A (simplified) nor B (summary declaration). */
  'DOC_STATISTICS_FLAG',
  /** A code not in its code table's shape: JGS-20 codes (3 letters/digits), districts (4 digits), HS (10 digits)… */
  'DOC_CODE_SHAPE',
  /**
   * An import list or return request without copNo (optional in the XSD): stored under another key, and its receipts —
   * which always name a copNo — are matched by preNo/invtNo only, so one that names neither finds no document.
   */
  'DOC_NO_COP_NO',
  /** A receipt whose copNo names no stored document, matched to one by preNo or invtNo instead. */
  'DOC_RECEIPT_MATCHED_BY',
  /** A value outside the hub's list where the XSD has none (tradeMode, orderType): kept; the hub's default applies. */
  'DOC_UNKNOWN_CODE',
  /** A time (payTime, returnTime…) the XSD's type accepts but that is not a calendar time: kept raw, treated as unknown. */
  'DOC_UNKNOWN_TIME',
] as const;
export const WarningCode = z.enum(WARNING_CODES);
export type WarningCode = z.infer<typeof WarningCode>;

export const DocumentWarning = z.object({
  code: WarningCode,
  field: z.string().max(300),
  message: z.string().max(1000),
  params: z.record(z.string(), z.union([z.string().max(200), z.number()])).optional(),
});
export type DocumentWarning = z.infer<typeof DocumentWarning>;

/** A value for a warning's text, shortened: warnings are kept and shown, and a value may be long. */
export function quoteValue(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}…` : s);
}
