import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import { maskPersonal } from '../../shared/mask.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { applyOfficer, caseToParcelDecision, type OfficerAction } from '../customs/cases.ts';
import type { CaseQuery, CaseRecord, CaseRepo } from '../repos/cases.ts';
import type { Role, Storage } from '../storage/storage.ts';
import type { Projection } from './projections.ts';
import type { StationFeedService } from './station-feed.ts';

/**
 * The officers' queue and their actions (customs.md §6): release, hold, order inspection, record the result — one
 * parcel or a filtered set. Each action is checked by the pure rules (hub/customs/cases.ts), stored under the parcel's
 * lock, pushed to the stations and put on the audit chain with the officer and the reason.
 */
export const BULK_LIMIT = 5000;

export interface ActionResult {
  parcelKey: string;
  ok: boolean;
  status?: CaseRecord['status'];
  message?: string;
}

export class CaseService {
  private readonly now: () => number;
  constructor(private readonly d: { storage: Storage; cases: CaseRepo; feed: StationFeedService; log: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  list(q: CaseQuery) {
    return this.d.cases.list(q);
  }

  summary() {
    return this.d.cases.countByStatus();
  }

  /**
   * One case with its documents. Buyer ID numbers, phones and addresses are masked except for customs officers, who
   * identify the buyer at inspection; an officer's unmasked view is itself put on the audit chain.
   */
  async detail(parcelKey: string, viewer: { username: string; role: Role }) {
    const c = await this.d.cases.get(parcelKey);
    if (!c) throw new BondgateError('NOT_FOUND', `no customs case for parcel ${parcelKey}`);
    const docs = (await this.d.storage.documentsByOrder(c.orderNo)).map((doc) => ({ kind: doc.kind, key: doc.key, receivedMs: doc.receivedMs, body: doc.body }));
    const receipts = (await this.d.storage.receiptsFor(docs.map((x) => x.key))).map((r) => r.body);
    const unmasked = viewer.role === 'officer';
    if (unmasked) await this.d.storage.appendAudit({ actor: viewer.username, action: 'pii.view', subject: parcelKey, detail: { orderNo: c.orderNo } }, this.now());
    return { case: c, documents: unmasked ? docs : maskPersonal(docs), receipts, piiMasked: !unmasked };
  }

  /**
   * Where a parcel stands with customs, for its timeline: the case and customs' receipts for its documents in time
   * order (receipts carry no personal data). Undefined when no documents name the parcel.
   */
  async customsTimeline(parcelKey: string) {
    const c = await this.d.cases.get(parcelKey);
    if (!c) return undefined;
    const keys = (await this.d.storage.documentsByOrder(c.orderNo)).map((doc) => doc.key);
    const receipts = (await this.d.storage.receiptsFor(keys))
      .map((r) => r.body as { messageType: string; returnStatus: number; returnTime: string; returnInfo?: string; refersTo: { kind: string } })
      .map((r) => ({ messageType: r.messageType, document: r.refersTo.kind, returnStatus: r.returnStatus, returnTime: r.returnTime, returnInfo: r.returnInfo ?? '' }))
      .sort((a, b) => a.returnTime.localeCompare(b.returnTime));
    return { case: c, receipts };
  }

  /** One officer action. `expectedVersion` guards against acting on a case someone else changed since it was read. */
  async act(parcelKey: string, action: OfficerAction, officer: string, expectedVersion?: number): Promise<CaseRecord> {
    const r = await this.apply(parcelKey, action, officer, expectedVersion);
    if (!r.ok) throw new BondgateError(r.code, r.message);
    return r.next;
  }

  /** The same action on every case matching the filter (or the listed parcels), at most BULK_LIMIT; each refused one says why. */
  async bulk(target: { parcelKeys: string[] } | { filter: Omit<CaseQuery, 'limit' | 'cursor'> }, action: OfficerAction, officer: string): Promise<{ applied: number; refused: number; results: ActionResult[] }> {
    let keys: string[];
    if ('parcelKeys' in target) keys = [...new Set(target.parcelKeys)];
    else {
      // Collect first, then act: acting changes the statuses the filter selects on.
      keys = [];
      let cursor: string | undefined;
      do {
        const page = await this.d.cases.list({ ...target.filter, limit: 500, ...(cursor ? { cursor } : {}) });
        keys.push(...page.items.map((c) => c.parcelKey));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && keys.length <= BULK_LIMIT);
    }
    if (keys.length > BULK_LIMIT) throw new BondgateError('VALIDATION_FAILED', `the filter selects more than ${BULK_LIMIT} parcels: narrow it`, [{ field: 'filter', message: `more than ${BULK_LIMIT} parcels` }]);
    const results: ActionResult[] = [];
    for (const key of keys) {
      const r = await this.apply(key, action, officer, undefined, keys.length);
      results.push(r.ok ? { parcelKey: key, ok: true, status: r.next.status } : { parcelKey: key, ok: false, message: r.message });
    }
    const applied = results.filter((r) => r.ok).length;
    return { applied, refused: results.length - applied, results };
  }

  private async apply(parcelKey: string, action: OfficerAction, officer: string, expectedVersion?: number, bulkSize?: number): Promise<{ ok: true; next: CaseRecord } | { ok: false; code: 'CONFLICT' | 'NOT_FOUND'; message: string }> {
    const now = this.now();
    let refusal: { ok: false; code: 'CONFLICT' | 'NOT_FOUND'; message: string } | undefined;
    let before: CaseRecord | undefined;
    const stored = await this.d.cases.update(
      parcelKey,
      (current) => {
        before = current;
        if (current && expectedVersion !== undefined && current.version !== expectedVersion) {
          refusal = { ok: false, code: 'CONFLICT', message: `the case changed since you read it (version ${current.version}, you had ${expectedVersion}): reload` };
          return null;
        }
        const r = applyOfficer(current, action, officer);
        if (!r.ok) {
          refusal = r;
          return null;
        }
        return r.next;
      },
      now,
    );
    if (refusal) return refusal;
    const next = stored!;
    const what = action.action === 'result' ? `inspection ${action.result}` : action.action;
    await this.d.feed.put([{ kind: 'decision', key: parcelKey, value: caseToParcelDecision(next, `${what} by officer ${officer}: ${action.reason}`) }]);
    await this.d.storage.appendAudit(
      { actor: officer, action: `officer.${action.action}`, subject: parcelKey, detail: { ...action, from: before?.status ?? null, to: next.status, orderNo: next.orderNo, ...(bulkSize ? { bulk: bulkSize } : {}) } },
      now,
    );
    return { ok: true, next };
  }

  /**
   * Results recorded at an edge inspection bench (`officer.action` events) become case actions at the hub. A replayed
   * event finds the case already moved on and is refused by the rules, which is what makes this idempotent.
   */
  edgeActions(): Projection {
    return {
      name: 'case-edge-actions',
      types: ['officer.action'],
      apply: async (gatewayId: string, events: readonly EdgeEvent[]) => {
        for (const e of events) {
          if (e.type !== 'officer.action' || !e.parcelKey) continue;
          const a = e.payload.action;
          const action: OfficerAction = a === 'release' || a === 'hold' || a === 'inspect' ? { action: a, reason: e.payload.reason } : { action: 'result', result: a, reason: e.payload.reason };
          const r = await this.apply(e.parcelKey, action, `${e.payload.officerId}@${gatewayId}`);
          if (!r.ok) this.d.log.debug({ parcelKey: e.parcelKey, action: e.payload.action, why: r.message }, 'edge officer action not applied at the hub');
        }
      },
    };
  }
}
