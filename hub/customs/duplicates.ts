import { maskField } from '../../shared/mask.ts';
import { documentKey, type CustomsDocument } from './documents.ts';

/**
 * Conflicting duplicates within one message (issue 15 item 5). A message may repeat a block (a resend of the same
 * order inside a batch): identical repeats are harmless. But two blocks with the same identity and different content —
 * one waybill number given to two orders, one order with two different amounts — cannot both be true, and storing
 * them in order kept the last one without a word. The message is refused instead, naming the key and every field
 * that differs: the sender knows which block to fix, and nothing is half-stored.
 *
 * Identities compared: the document's own key (documentKey: what a later document of the same key replaces), and for
 * documents that tie a parcel to an order (waybill, import and export lists) the parcel itself — two lists in one
 * message naming one logisticsNo for two orders are the same contradiction under two copNos.
 */
export interface DuplicateConflict {
  /** `waybill:3118960A01:SF1234567890` or `parcel:inventory:3118960A01:SF1234567890`. */
  key: string;
  /** Indexes of the two documents (the first one seen with the key, and the one that contradicts it). */
  first: number;
  second: number;
  /** Top-level fields whose values differ (`lines` when any line differs). */
  fields: string[];
  /** The differing values, personal data masked (shared/mask.ts): [first, second] per field. */
  values: Record<string, [unknown, unknown]>;
}

/** Stable JSON for comparing values (key order ignored). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

const shown = (field: string, v: unknown): unknown => (typeof v === 'string' ? (maskField(field, v) ?? v) : v);

function differing(a: Record<string, unknown>, b: Record<string, unknown>, only?: readonly string[]): string[] {
  const keys = only ?? [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => stable(a[k]) !== stable(b[k]));
}

/** The parcel a document ties to an order, when it does. */
function parcelIdentity(doc: CustomsDocument): string | undefined {
  if (doc.kind === 'waybill' || doc.kind === 'inventory' || doc.kind === 'exportInventory') return `parcel:${doc.kind}:${doc.logisticsCode}:${doc.logisticsNo}`;
  return undefined;
}

/** Every pair of documents in one message that share an identity and disagree; empty when there are none. Pure. */
export function conflictingDuplicates(docs: readonly CustomsDocument[]): DuplicateConflict[] {
  const out: DuplicateConflict[] = [];
  const byKey = new Map<string, number>();
  const byParcel = new Map<string, number>();
  const record = (key: string, first: number, second: number, fields: string[]) => {
    const a = docs[first] as unknown as Record<string, unknown>;
    const b = docs[second] as unknown as Record<string, unknown>;
    const values: Record<string, [unknown, unknown]> = {};
    for (const f of fields) values[f] = f === 'lines' ? ['(lines differ)', '(lines differ)'] : [shown(f, a[f]), shown(f, b[f])];
    out.push({ key, first, second, fields, values });
  };
  docs.forEach((doc, i) => {
    const key = documentKey(doc);
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, i);
    else {
      const fields = differing(docs[seen] as unknown as Record<string, unknown>, doc as unknown as Record<string, unknown>);
      if (fields.length > 0) record(key, seen, i, fields);
      return; // an identical repeat, or already reported under its own key
    }
    const parcel = parcelIdentity(doc);
    if (parcel === undefined) return;
    const other = byParcel.get(parcel);
    if (other === undefined) byParcel.set(parcel, i);
    else if ((docs[other] as { orderNo?: string }).orderNo !== (doc as { orderNo?: string }).orderNo) record(parcel, other, i, ['orderNo']);
  });
  return out;
}

/** One line a person can act on: `documents 0 and 2 both give waybill:…: orderNo "A" ≠ "B"`. */
export function describeConflict(c: DuplicateConflict, field: string, name: (index: number) => string): string {
  const [a, b] = c.values[field] ?? [undefined, undefined];
  const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'absent' : String(v));
  return `${name(c.first)} and ${name(c.second)} both give ${c.key} with different content: ${field} ${show(a)} ≠ ${show(b)}`;
}
