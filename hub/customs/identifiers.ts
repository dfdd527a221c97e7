import type { EdgeEvent } from '../../shared/schemas/events.ts';

/**
 * Parcel search, the pure half: what one query string could be (a waybill number or its start, an order number, an
 * SSCC, an EPC, a release-slip number), which other identifiers an edge event ties to a parcel, and how hits from
 * several lookups are merged into one page. No I/O: hub/services/search.ts runs the lookups.
 */

/** How a hit was found: shown beside each result so the user sees why a parcel came up. */
export const MATCH_KINDS = ['parcelKey', 'parcelKeyPrefix', 'orderNo', 'sscc', 'epc', 'listId', 'slipNo', 'code'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** Kinds the identifiers read model keeps (the others are looked up in their own tables). */
export type IdentifierKind = Extract<MatchKind, 'sscc' | 'epc' | 'orderNo' | 'listId' | 'slipNo' | 'code'>;

export interface KeyHit {
  parcelKey: string;
  kind: MatchKind;
  value: string;
}

export interface SearchPlan {
  /** The query as typed, trimmed: a waybill number or its start, an order number, a slip number. */
  text: string;
  /** Values to look for in the identifiers read model (the text, and its SSCC / EPC normal forms). */
  identifiers: string[];
}

const SSCC = /^\d{18}$/;
const EPC = /^[0-9A-F]{8,64}$/;

/**
 * An SSCC as scanned may carry its GS1 application identifier: "(00)123456789012345675" or "00123456789012345675"
 * (20 digits). The read model keeps the bare 18 digits, as warehouse.transaction does.
 */
export function normalSscc(code: string): string | null {
  const s = code.replace(/[\s()]/g, '');
  if (SSCC.test(s)) return s;
  if (/^00\d{18}$/.test(s)) return s.slice(2);
  return null;
}

/** An EPC is hex, upper case in rfid.sighting; readers and people type it in either case. */
export function normalEpc(code: string): string | null {
  const s = code.replace(/\s/g, '').toUpperCase();
  return EPC.test(s) ? s : null;
}

export function planSearch(q: string): SearchPlan {
  const text = q.trim();
  const ids = new Set([text]);
  const sscc = normalSscc(text);
  if (sscc) ids.add(sscc);
  const epc = normalEpc(text);
  if (epc) ids.add(epc);
  return { text, identifiers: [...ids] };
}

/** One identifier seen tied to a parcel (or, with no parcel key, to an order whose case names the parcel). */
export interface IdentifierSighting {
  value: string;
  kind: IdentifierKind;
  /** '' when the event named no parcel: then `orderNo` links it. */
  parcelKey: string;
  orderNo: string;
  gatewayId: string;
  stationId: string;
  atMs: number;
}

/** What a scanned code is, for the label beside a hit. */
function codeKind(code: string, source?: string): IdentifierKind {
  if (normalSscc(code)) return 'sscc';
  if (source === 'rfid' && normalEpc(code)) return 'epc';
  return 'code';
}

/**
 * The identifiers an event ties to its parcel. A code equal to the parcel key is left out: the parcel is found by its
 * key already, and rfid sightings and scans are the most frequent events — the read model stays small.
 */
export function identifiersOf(gatewayId: string, e: EdgeEvent): IdentifierSighting[] {
  const out: IdentifierSighting[] = [];
  const parcelKey = e.parcelKey ?? '';
  const at = { gatewayId, stationId: e.stationId, atMs: e.time.wallMs };
  const add = (value: string | undefined, kind: IdentifierKind, orderNo = '') => {
    if (!value || value.length > 128) return;
    // A pallet or carton that is itself the event's subject (parcelKey = SSCC) ties only through its order.
    const p = value === parcelKey ? '' : parcelKey;
    if (!p && !orderNo) return; // ties nothing to anything
    out.push({ value, kind, parcelKey: p, orderNo, ...at });
  };
  switch (e.type) {
    case 'warehouse.transaction': {
      // A carton or pallet (SSCC) picked for an order: with no parcel key yet, the order's case names the parcel.
      const orderNo = e.payload.orderNo ?? '';
      add(e.payload.sscc, 'sscc', orderNo);
      add(e.payload.listId, 'listId', orderNo);
      if (parcelKey) add(e.payload.orderNo, 'orderNo');
      break;
    }
    case 'rfid.sighting':
      add(e.payload.epc, 'epc');
      break;
    case 'parcel.scanned': {
      const sscc = normalSscc(e.payload.code);
      add(sscc ?? e.payload.code, codeKind(e.payload.code, e.payload.source));
      break;
    }
    case 'parcel.inspected':
      for (const code of e.payload.codes) add(normalSscc(code) ?? code, codeKind(code));
      break;
    case 'gate.passed':
    case 'gate.alarmed':
      // A gate event about a tagged parcel or vehicle names its slip: slips put into the feed by hand are found so too.
      add(e.payload.slipNo, 'slipNo');
      break;
    default:
      break;
  }
  return out;
}

/** Keys compare in UTF-8 byte order: SQLite's BINARY and PostgreSQL's "C" collation, which the lookups sort by. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Merge the hits of several lookups into one page of parcels in key order. Each lookup returned its first `limit + 1`
 * distinct parcel keys after the cursor, or fewer when it had no more. Every key up to the smallest "last key" of a
 * lookup that had more is complete in all lookups, and the first `limit` keys of the union are below it — so the page
 * is exact and the next page starts after its last key.
 */
export function mergeHits(lookups: readonly (readonly KeyHit[])[], limit: number): { items: { parcelKey: string; matched: { kind: MatchKind; value: string }[] }[]; more: boolean } {
  const byKey = new Map<string, { kind: MatchKind; value: string }[]>();
  for (const hits of lookups) {
    for (const h of hits) {
      const m = byKey.get(h.parcelKey) ?? [];
      if (!m.some((x) => x.kind === h.kind && x.value === h.value)) m.push({ kind: h.kind, value: h.value });
      byKey.set(h.parcelKey, m);
    }
  }
  const keys = [...byKey.keys()].sort(compareKeys);
  const more = keys.length > limit;
  const order = (k: MatchKind) => MATCH_KINDS.indexOf(k);
  return {
    items: keys.slice(0, limit).map((parcelKey) => ({ parcelKey, matched: byKey.get(parcelKey)!.sort((a, b) => order(a.kind) - order(b.kind)) })),
    more,
  };
}
