import { documentKey, ReceiptMessageType, type CustomsDocument, type Receipt } from './documents.ts';

/**
 * Receipts as one normalised record, whatever CEB message they came in: which message, which document it answers (by
 * the kind and key that document is stored under, and the keys the receipt itself carries: copNo, preNo, invtNo,
 * logisticsNo…), customs' status and words. Pure.
 *
 * `effect` says who acts on it: the eleven receipt types the hub decided on before every message was mapped (312,
 * 412, 512, 514, 622, 624, 626, 304, 506, 604, 606) are `applied` — they reach the case through CustomsService.decide
 * exactly as before; the others (404, 508, 510, 608, 702, 712, 214, 216 and the e-port's 900) are `recorded`: stored,
 * queryable, and handed to the `onReceipts` listeners, with no effect on any case until a listener gives them one.
 */

export type ReceiptEffect = 'applied' | 'recorded';

export const APPLIED_RECEIPT_TYPES: ReadonlySet<ReceiptMessageType> = new Set(['CEB312', 'CEB412', 'CEB512', 'CEB514', 'CEB622', 'CEB624', 'CEB626', 'CEB304', 'CEB506', 'CEB604', 'CEB606']);

export interface NormalizedReceipt {
  messageType: ReceiptMessageType;
  /** The document answered, as stored: its kind and key (customs_documents.kind/key; a 900 names a message). */
  subject: { kind: Receipt['refersTo']['kind']; key: string };
  /** The keys the receipt carries to name it (copNo, preNo, invtNo, logisticsNo, orderNo, msgSeqNo…). */
  keys: Record<string, string | number>;
  returnStatus: number;
  returnTime: string;
  returnInfo: string;
  /** The receipt's other fields as written (new types only; see documents.ts Receipt.detail). */
  detail: Record<string, string | number>;
  effect: ReceiptEffect;
}

export function normalizeReceipt(r: Receipt): NormalizedReceipt {
  const { kind, ...keys } = r.refersTo;
  return {
    messageType: r.messageType,
    subject: { kind, key: documentKey(r.refersTo) },
    keys: Object.fromEntries(Object.entries(keys).filter((e): e is [string, string | number] => e[1] !== undefined)),
    returnStatus: r.returnStatus,
    returnTime: r.returnTime,
    returnInfo: r.returnInfo,
    detail: r.detail ?? {},
    effect: APPLIED_RECEIPT_TYPES.has(r.messageType) ? 'applied' : 'recorded',
  };
}

/** The receipts among documents, normalised (what CustomsService hands its `onReceipts` listeners). */
export function normalizedReceipts(docs: readonly CustomsDocument[]): NormalizedReceipt[] {
  return docs.filter((d): d is Receipt => d.kind === 'receipt').map(normalizeReceipt);
}

/** Reference fields by which a stored document of the supplementary kinds can be found (document_refs). */
export const REF_FIELDS = ['orderNo', 'logisticsNo', 'invtNo', 'copNo', 'preNo', 'billNo', 'sumNo', 'taxNo', 'coElNo'] as const;
export type RefField = (typeof REF_FIELDS)[number];

/** The document kinds the hub decides on (matching, risk, release); the others are stored, indexed and queryable. */
export const DECIDED_KINDS: ReadonlySet<CustomsDocument['kind']> = new Set(['order', 'payment', 'waybill', 'inventory', 'return', 'exportOrder', 'exportWaybill', 'exportInventory', 'receipt']);

/**
 * What a document of the supplementary kinds names (its own and its lines' reference fields), so that, say, every
 * arrival, departure and consolidation naming a parcel's logisticsNo is one lookup. Empty for the decided kinds,
 * which are found by their key and order as before.
 */
export function documentRefs(doc: CustomsDocument): { ref: RefField; value: string }[] {
  // An import list or return without copNo (optional in the XSD) is where its receipts, which always name a copNo,
  // find it by preNo or invtNo instead (CustomsService.correlate): those, and only those, are indexed.
  if ((doc.kind === 'inventory' || doc.kind === 'return') && doc.copNo === undefined) {
    return (['preNo', 'invtNo'] as const).flatMap((ref) => (doc[ref] ? [{ ref, value: doc[ref] as string }] : []));
  }
  if (DECIDED_KINDS.has(doc.kind)) return [];
  const out = new Map<string, { ref: RefField; value: string }>();
  const scan = (o: Record<string, unknown>) => {
    for (const ref of REF_FIELDS) {
      const v = o[ref];
      if (typeof v === 'string' && v !== '') out.set(`${ref}\u0000${v}`, { ref, value: v });
    }
  };
  scan(doc as unknown as Record<string, unknown>);
  const lines = (doc as { lines?: unknown }).lines;
  if (Array.isArray(lines)) for (const l of lines) if (l && typeof l === 'object') scan(l as Record<string, unknown>);
  return [...out.values()];
}
