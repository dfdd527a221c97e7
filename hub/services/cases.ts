import { documentSignature, signaturesOf } from '../repos/signatures.ts';
import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import { maskPersonal } from '../../shared/mask.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { applyOfficer, caseToParcelDecision, DEFAULT_CASE_POLICY, unconfirmedRelease, type CasePolicy, type OfficerAction, type Refusal } from '../customs/cases.ts';
import { verifyBenchToken } from '../../shared/bench-token.ts';
import type { AlarmRepo } from '../repos/alarms.ts';
import { FINAL_STATUSES, MAX_BENCH_FINDINGS, type BenchFinding, type CaseQuery, type CaseRecord, type CaseRepo } from '../repos/cases.ts';
import type { Role, Storage } from '../storage/storage.ts';
import type { Projection, ProjectionBatch } from './projections.ts';
import type { StationFeedService } from './station-feed.ts';
import { isCebTime, receiptOrderTime } from '../customs/documents.ts';

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
  /** Why it was refused, as a code with parameters (shared/reason-codes.ts). */
  reason?: Refusal['reason'];
}
type Refused = { ok: false; code: 'CONFLICT' | 'NOT_FOUND' } & Refusal;

export class CaseService {
  private readonly now: () => number;
  /** Where the unconfirmed-release sweep stopped (case write time). */
  private sweptToMs = 0;
  constructor(
    private readonly d: {
      storage: Storage;
      cases: CaseRepo;
      feed: StationFeedService;
      log: Logger;
      now?: () => number;
      /** The benches whose findings are taken (hub config `benches`); none: every edge officer action is refused. */
      benches?: readonly { gatewayId: string; stationId: string }[];
      /** The hub's rules-signing public key, which bench tokens are checked against. */
      benchKeyPem?: string;
      /** Where a refused edge action raises its alarm (and, under `officer` authority, an unconfirmed release). */
      alarms?: AlarmRepo;
      /** Who may release (hub config `customs.releaseAuthority`); default: customs' receipt only. */
      policy?: CasePolicy;
      /** `officer` authority: an officer's release with no 800 after this long is alarmed (hub config `customs.releaseConfirmWithinHours`). */
      releaseConfirmWithinMs?: number;
      /** Has the engine decide an order again (CustomsService.decide): after an officer settles an order conflict. */
      redecide?: (orderNo: string, actor: string) => Promise<unknown>;
    },
  ) {
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
    const stored = await this.d.storage.documentsByOrder(c.orderNo);
    const docs = stored.map((doc) => ({ kind: doc.kind, key: doc.key, receivedMs: doc.receivedMs, body: doc.body }));
    const receipts = (await this.d.storage.receiptsFor(docs.map((x) => x.key))).map((r) => r.body);
    const unmasked = viewer.role === 'officer';
    if (unmasked) await this.d.storage.appendAudit({ actor: viewer.username, action: 'pii.view', subject: parcelKey, detail: { orderNo: c.orderNo } }, this.now());
    // Each document with the signature verdict of the message it came in (null: received before signatures were checked).
    const verdicts = await signaturesOf(this.d.storage.sql, stored.flatMap((d) => (d.originalSha256 ? [d.originalSha256] : [])));
    const shown = (unmasked ? docs : maskPersonal(docs)).map((d, i) => ({ ...d, signature: documentSignature(stored[i]!.originalSha256, verdicts) }));
    return { case: c, documents: shown, receipts, piiMasked: !unmasked };
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
      .map((r) => r.body as { messageType: string; returnStatus: number; returnTime: string; receivedTime?: string; returnInfo?: string; refersTo: { kind: string } })
      // A returnTime that is no calendar time is shown as sent; the receipt is placed (and the timeline draws it) at
      // the time the hub received it (documents.ts receiptOrderTime).
      .map((r) => ({ messageType: r.messageType, document: r.refersTo.kind, returnStatus: r.returnStatus, returnTime: r.returnTime, ...(r.receivedTime && !isCebTime(r.returnTime) ? { receivedTime: r.receivedTime } : {}), returnInfo: r.returnInfo ?? '' }))
      .sort((a, b) => receiptOrderTime(a).localeCompare(receiptOrderTime(b)));
    return { case: c, receipts };
  }

  /** One officer action. `expectedVersion` guards against acting on a case someone else changed since it was read. */
  async act(parcelKey: string, action: OfficerAction, officer: string, expectedVersion?: number): Promise<CaseRecord> {
    const r = await this.apply(parcelKey, action, officer, expectedVersion);
    if (!r.ok) throw new BondgateError(r.code, r.message, [], r.reason ? { reason: r.reason } : {});
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
      results.push(r.ok ? { parcelKey: key, ok: true, status: r.next.status } : { parcelKey: key, ok: false, message: r.message, ...(r.reason ? { reason: r.reason } : {}) });
    }
    const applied = results.filter((r) => r.ok).length;
    return { applied, refused: results.length - applied, results };
  }

  private async apply(parcelKey: string, action: OfficerAction, officer: string, expectedVersion?: number, bulkSize?: number): Promise<{ ok: true; next: CaseRecord } | Refused> {
    const now = this.now();
    let refusal: Refused | undefined;
    let before: CaseRecord | undefined;
    const stored = await this.d.cases.update(
      parcelKey,
      (current) => {
        before = current;
        if (current && expectedVersion !== undefined && current.version !== expectedVersion) {
          refusal = { ok: false, code: 'CONFLICT', message: `the case changed since you read it (version ${current.version}, you had ${expectedVersion}): reload`, reason: { code: 'refuse.version', params: { now: current.version, had: expectedVersion } } };
          return null;
        }
        const r = applyOfficer(current, action, officer, { nowMs: now, policy: this.d.policy ?? DEFAULT_CASE_POLICY });
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
    // A note changes nothing the stations act on.
    if (action.action !== 'annotate') await this.d.feed.put([{ kind: 'decision', key: parcelKey, value: caseToParcelDecision(next, `${what} by officer ${officer}: ${action.reason}`) }]);
    await this.d.storage.appendAudit(
      {
        actor: officer,
        action: `officer.${action.action}`,
        subject: parcelKey,
        detail: { ...action, from: before?.status ?? null, to: next.status, orderNo: next.orderNo, ...(before?.orderConflict ? { claimedBy: before.orderConflict.orderNos } : {}), ...(bulkSize ? { bulk: bulkSize } : {}) },
      },
      now,
    );
    // The chosen order's documents now decide the case (match, risk, customs' receipts): the engine runs again.
    if (action.action === 'resolve-order' && this.d.redecide) {
      await this.d.redecide(next.orderNo, officer);
      return { ok: true, next: (await this.d.cases.get(parcelKey)) ?? next };
    }
    return { ok: true, next };
  }

  /**
   * `officer` authority: officer releases customs has not confirmed with an 800 within `releaseConfirmWithinMs` raise a
   * `release_unconfirmed` alarm (once per case; the case shows it through `officerRelease.alarmedMs`). The hub runs
   * this on a timer; returns the parcels alarmed.
   */
  async sweepUnconfirmedReleases(): Promise<string[]> {
    const within = this.d.releaseConfirmWithinMs;
    if ((this.d.policy ?? DEFAULT_CASE_POLICY).releaseAuthority !== 'officer' || within === undefined) return [];
    const now = this.now();
    // Released cases last written in [where the previous sweep stopped, now − within): each write time is looked at
    // once after it is old enough (a case written again moves forward and is looked at again), never all released cases.
    const window = { updatedFromMs: this.sweptToMs, updatedToMs: now - within };
    if (window.updatedToMs <= window.updatedFromMs) return [];
    const alarmed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.d.cases.list({ status: ['released'], ...window, limit: 500, ...(cursor ? { cursor } : {}) });
      for (const c of page.items) {
        if (!unconfirmedRelease(c, now, within)) continue;
        const stored = await this.d.cases.update(c.parcelKey, (cur) => (cur && unconfirmedRelease(cur, now, within) ? { ...cur, officerRelease: { ...cur.officerRelease!, alarmedMs: now } } : null), now);
        if (!stored?.officerRelease || stored.officerRelease.alarmedMs !== now) continue;
        const r = stored.officerRelease;
        const detail = `${c.parcelKey} (order ${c.orderNo}) released by officer ${r.by} (${r.reason}); no release (800) from customs after ${Math.round(within / 60_000)} min`;
        // The officer's own words stay on the case (and in the English detail): the sentence names who and how long.
        const reason = { code: 'alarm.release_unconfirmed.parcel', params: { parcel: c.parcelKey, orderNo: c.orderNo, officer: r.by, minutes: Math.round(within / 60_000) } };
        await this.d.alarms?.signal('hub', { op: 'raise', kind: 'release_unconfirmed', subject: c.parcelKey, stationId: null, deviceId: null, severity: 'critical', detail, reason }, now, now);
        await this.d.storage.appendAudit({ actor: 'hub', action: 'case.release-unconfirmed', subject: c.parcelKey, detail: { orderNo: c.orderNo, officer: r.by, releasedMs: r.atMs } }, now);
        alarmed.push(c.parcelKey);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    this.sweptToMs = window.updatedToMs;
    return alarmed;
  }

  /**
   * Findings recorded at an edge inspection bench (`officer.action` events). Customs is the authority, not the zone:
   * - only a bench the hub is configured with (gateway AND station, `benches` in the hub config) may send findings;
   *   from anyone else the event is refused — not applied — with a `bench_refused` alarm and an audit entry naming
   *   the gateway as the actor;
   * - a finding is recorded on the case (benchFindings) and never releases it or lifts a hold: a pass changes no
   *   status; any other finding (seize, return, …) puts the case on hold for an officer's decision here — holding is
   *   within the zone's power, releasing is not;
   * - the officer is named only when the bench token checks out (hub key, this gateway and station, valid at the
   *   event's time, issued before the hub received it); `officerId` in the payload is the console operator, a claim
   *   recorded apart from the verified identity, on the case and on the audit chain.
   * Idempotent: a replayed event finds its id among the case's findings (or, refused, the alarm already past its seq).
   */
  edgeActions(): Projection {
    const applyBatches = async (batches: readonly ProjectionBatch[]) => {
      for (const b of batches) for (const e of b.events) if (e.type === 'officer.action') await this.edgeAction(b.gatewayId, e, b.receivedMs);
    };
    return {
      name: 'case-edge-actions',
      types: ['officer.action'],
      apply: (gatewayId: string, events: readonly EdgeEvent[]) => applyBatches([{ gatewayId, events, receivedMs: this.now() }]),
      applyBatches,
    };
  }

  private isBench(gatewayId: string, stationId: string): boolean {
    return (this.d.benches ?? []).some((b) => b.gatewayId === gatewayId && b.stationId === stationId);
  }

  private async edgeAction(gatewayId: string, e: Extract<EdgeEvent, { type: 'officer.action' }>, receivedMs: number): Promise<void> {
    const p = e.payload;
    if (!this.isBench(gatewayId, e.stationId)) return this.refuseEdgeAction(gatewayId, e);
    if (!e.parcelKey) return;
    const check = p.officerToken && this.d.benchKeyPem ? verifyBenchToken(p.officerToken, this.d.benchKeyPem, { gatewayId, stationId: e.stationId, atMs: e.time.wallMs, receivedMs }) : undefined;
    const officer = check?.ok ? check.claims.officer : null;
    const tokenProblem = !p.officerToken ? undefined : !check ? 'no key to check bench tokens with' : check.ok ? undefined : check.reason;
    const finding: BenchFinding = { eventId: e.id, atMs: e.time.wallMs, gatewayId, stationId: e.stationId, finding: p.action, reason: p.reason, operator: p.officerId, officer, officerVerified: officer !== null, ...(tokenProblem ? { tokenProblem } : {}) };
    const actor = officer ?? `gateway:${gatewayId}`;
    const holds = p.action !== 'pass' && p.action !== 'release';
    let before: CaseRecord | undefined;
    let changed = false;
    const stored = await this.d.cases.update(
      e.parcelKey,
      (current) => {
        before = current;
        if (!current || current.benchFindings?.some((f) => f.eventId === e.id)) return null;
        changed = true;
        const next: CaseRecord = { ...current, benchFindings: [...(current.benchFindings ?? []), finding].slice(-MAX_BENCH_FINDINGS) };
        if (holds && !FINAL_STATUSES.has(current.status) && !(current.status === 'held' && current.officerHold)) return { ...next, status: 'held', officerHold: true, decidedBy: actor };
        return next;
      },
      this.now(),
    );
    if (!changed || !stored) {
      if (!before) this.d.log.debug({ parcelKey: e.parcelKey, gatewayId, stationId: e.stationId }, 'bench finding for a parcel without a customs case: not recorded');
      return;
    }
    const where = `${gatewayId}/${e.stationId}`;
    if (stored.status !== before!.status || stored.officerHold !== before!.officerHold) {
      await this.d.feed.put([{ kind: 'decision', key: e.parcelKey, value: caseToParcelDecision(stored, `held: bench finding ${p.action} at ${where}${officer ? ` by officer ${officer}` : ''}: ${p.reason}`) }]);
    }
    await this.d.storage.appendAudit(
      {
        actor,
        action: 'bench.finding',
        subject: e.parcelKey,
        detail: { gateway: gatewayId, station: e.stationId, operator: p.officerId, officerVerified: officer !== null, ...(tokenProblem ? { tokenProblem } : {}), finding: p.action, reason: p.reason, from: before!.status, to: stored.status, eventId: e.id, seq: e.seq },
      },
      this.now(),
    );
  }

  /** A gateway that is no bench sent an officer action: nothing is applied; the control room and the audit chain hear of it. */
  private async refuseEdgeAction(gatewayId: string, e: Extract<EdgeEvent, { type: 'officer.action' }>): Promise<void> {
    const p = e.payload;
    const detail = `officer.action ${p.action}${e.parcelKey ? ` on ${e.parcelKey}` : ''} from station ${e.stationId}, which the hub does not know as a bench: refused (operator ${p.officerId})`;
    // The alarm keeps the highest seq it has seen: a replayed event changes nothing, and is not audited twice either.
    const alarm = this.d.alarms ? await this.d.alarms.signal(gatewayId, { op: 'raise', kind: 'bench_refused', subject: e.stationId, stationId: e.stationId, deviceId: null, severity: 'critical', detail }, e.time.wallMs, e.seq) : undefined;
    if (alarm === null) return;
    this.d.log.warn({ gatewayId, stationId: e.stationId, seq: e.seq, action: p.action }, 'officer action from a station that is no configured bench: refused');
    await this.d.storage.appendAudit(
      { actor: `gateway:${gatewayId}`, action: 'bench.refused', subject: e.parcelKey ?? `gateway:${gatewayId}`, detail: { gateway: gatewayId, station: e.stationId, operator: p.officerId, officerVerified: false, finding: p.action, reason: p.reason, eventId: e.id, seq: e.seq } },
      this.now(),
    );
  }
}
