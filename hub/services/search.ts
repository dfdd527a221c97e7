import { decodeStoredOriginal } from '../customs/ceb/xml.ts';
import { BondgateError } from '../../shared/errors.ts';
import { maskPersonal } from '../../shared/mask.ts';
import type { EdgeEvent, EventType } from '../../shared/schemas/events.ts';
import type { AuditEntry } from '../audit.ts';
import { identifiersOf, mergeHits, planSearch, type KeyHit, type MatchKind } from '../customs/identifiers.ts';
import type { CaseRepo } from '../repos/cases.ts';
import type { IdentifierRepo } from '../repos/identifiers.ts';
import type { Role, Storage } from '../storage/storage.ts';
import type { Projection } from './projections.ts';

/**
 * Parcel search (issue 6, "find by waybill no., order no., SSCC/EPC, slip no."): one query string resolved against
 * every table that names parcels, merged into one keyset page, each hit saying what matched. Also what the parcel
 * timeline needs beyond GET /api/parcels/:key and /api/cases/:parcelKey: the parcel's audit history (its decisions,
 * officer actions and the slips that carried it) and the original CEB message for officers.
 */
export interface SearchHit {
  parcelKey: string;
  matched: { kind: MatchKind; value: string }[];
  /** The edge's view (null: declared, not yet seen by a station). */
  parcel: { state: string; lastStationId: string; lastWallMs: number } | null;
  /** Customs' view (null: seen at the edge, no documents yet). Buyer ID masked: these are list rows for every role. */
  customs: { status: string; orderNo: string; riskLevel: string; buyerIdMasked: string | null; updatedMs: number } | null;
}

export interface SearchPage {
  items: SearchHit[];
  nextCursor: string | null;
}

const encodeCursor = (key: string) => Buffer.from(key).toString('base64url');
const decodeCursor = (cursor: string | undefined) => (cursor ? Buffer.from(cursor, 'base64url').toString() : '');

/** A parcel's audit history page. */
export interface HistoryPage {
  items: AuditEntry[];
  /** Release slips listing the parcel: their issue, void and gate passages are in `items` too. */
  slips: { passportNo: string; open: boolean }[];
  nextAfterSeq: number | null;
}

/** Events that tie other identifiers to a parcel (hub/customs/identifiers.ts, identifiersOf). */
const IDENTIFIER_EVENTS: readonly EventType[] = ['warehouse.transaction', 'rfid.sighting', 'parcel.scanned', 'parcel.inspected', 'gate.passed', 'gate.alarmed'];

export class SearchService {
  constructor(private readonly d: { storage: Storage; identifiers: IdentifierRepo; cases: CaseRepo; now?: () => number }) {}

  async search(q: string, limit: number, cursor?: string): Promise<SearchPage> {
    const plan = planSearch(q);
    const after = decodeCursor(cursor);
    const ids = this.d.identifiers;
    const lookups: KeyHit[][] = [
      ...(await ids.byKeyPrefix(plan.text, after, limit)),
      await ids.byOrderNo(plan.text, after, limit),
      ...(await ids.byIdentifier(plan.identifiers, after, limit)),
      await ids.bySlip(plan.text, after, limit),
    ];
    const merged = mergeHits(lookups, limit);
    const keys = merged.items.map((i) => i.parcelKey);
    const parcels = new Map((await ids.summaries(keys)).map((p) => [p.parcelKey, p]));
    const cases = new Map((await this.d.cases.getMany(keys)).map((c) => [c.parcelKey, c]));
    const items = merged.items.map((i): SearchHit => {
      const p = parcels.get(i.parcelKey);
      const c = cases.get(i.parcelKey);
      return {
        ...i,
        parcel: p ? { state: p.state, lastStationId: p.lastStationId, lastWallMs: p.lastWallMs } : null,
        customs: c ? { status: c.status, orderNo: c.orderNo, riskLevel: c.riskLevel, buyerIdMasked: c.buyerIdMasked, updatedMs: c.updatedMs } : null,
      };
    });
    const last = keys[keys.length - 1];
    return { items, nextCursor: merged.more && last !== undefined ? encodeCursor(last) : null };
  }

  /**
   * The parcel's audit entries (engine decisions, officer actions, PII views) and those of the release slips that
   * list it (issued, voided, gate passages), in chain order. Details are masked: the audit trail is read by managers.
   */
  async history(parcelKey: string, afterSeq: number, limit: number): Promise<HistoryPage> {
    const slips = await this.d.identifiers.slipsOf(parcelKey, 20);
    const rows = await this.d.identifiers.auditFor([parcelKey, ...slips.map((s) => s.passportNo)], afterSeq, limit + 1);
    const items = rows.slice(0, limit);
    return { items: maskPersonal(items), slips, nextAfterSeq: rows.length > limit ? items[items.length - 1]!.seq : null };
  }

  /**
   * The CEB message one of the parcel's documents came in, as received (officers only: it carries the buyer's ID and
   * phone unmasked). The view is put on the audit chain like the unmasked case detail.
   */
  async original(parcelKey: string, kind: string, viewer: { username: string; role: Role }): Promise<{ kind: string; key: string; sha256: string; xml: string }> {
    if (viewer.role !== 'officer') throw new BondgateError('FORBIDDEN', 'only customs officers read original messages');
    const c = await this.d.cases.get(parcelKey);
    if (!c) throw new BondgateError('NOT_FOUND', `no customs case for parcel ${parcelKey}`);
    const doc = (await this.d.storage.documentsByOrder(c.orderNo)).find((x) => x.kind === kind);
    if (!doc) throw new BondgateError('NOT_FOUND', `parcel ${parcelKey} has no ${kind} document`);
    if (doc.originalSha256 === null) throw new BondgateError('NOT_FOUND', `the ${kind} document came as JSON: there is no original message`);
    const original = await this.d.storage.getOriginal(doc.originalSha256);
    if (!original) throw new BondgateError('NOT_FOUND', `the original message of the ${kind} document (sha256 ${doc.originalSha256}) is not in the store`);
    // Stored as received (bytes, in the encoding the message declares); it was decoded strictly once at intake.
    const text = decodeStoredOriginal(original.xml);
    if (!text.ok) throw new BondgateError('STORAGE_FAILED', `the stored original ${doc.originalSha256} no longer decodes`);
    await this.d.storage.appendAudit({ actor: viewer.username, action: 'document.original.view', subject: parcelKey, detail: { kind, key: doc.key, orderNo: c.orderNo, sha256: doc.originalSha256 } }, (this.d.now ?? Date.now)());
    return { kind, key: doc.key, sha256: doc.originalSha256, xml: text.text };
  }

  /** The identifiers read model's feed. Idempotent: an upsert that only widens first/last seen. */
  readonly projection: Projection = {
    name: 'identifiers',
    types: IDENTIFIER_EVENTS,
    apply: async (gatewayId: string, events: readonly EdgeEvent[]) => {
      await this.d.identifiers.record(events.flatMap((e) => identifiersOf(gatewayId, e)));
    },
  };
}
