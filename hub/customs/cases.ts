import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maskPersonal } from '../../shared/mask.ts';
import type { ParcelDecision } from '../../shared/stations/feed.ts';
import { FINAL_STATUSES, type CaseReason, type CaseRecord, type CaseStatus, type InspectionFinding } from '../repos/cases.ts';
import { normalizeIdentity } from './matching.ts';
import { receiptOrderTime, type Receipt } from './documents.ts';
import type { MatchResult } from './matching.ts';
import { isExpectedStatus, listState, NO_LIST_STATE, type ListMessage, type ListState } from './receipt-status.ts';
import { customsStatusOf, decideRelease, type ReleaseDecision, type RiskAssessment } from './risk.ts';

/**
 * A parcel's customs case, pure: what the engine (matching + risk + receipts) decides and what officers do on top of it
 * (customs.md §3, §6). Two sources of truth meet here, and the rules for who wins are the point of this file:
 * - an officer's hold sticks: no later document or receipt releases the parcel over it;
 * - customs' own word (a detention 5xx, a rejection, an inspection order 500) overrides an officer's release;
 * - nothing is released without a complete, consistent document set, whoever asks;
 * - only customs releases (customs.md §6): under `customs.releaseAuthority: receipt` a case reaches `released` only when
 *   its list has customs' 800 (399 审结 is "concluded, awaiting release"); `enforceAuthority` is the last step of every
 *   transition. Under `officer`, an officer's release is recorded with who and why;
 * - a cancelled list (624/606 399) and a return (700) close the case over anything an officer did;
 * - seized, returned, destroyed and cancelled are final.
 */

/** Who may turn a parcel into a release (hub config `customs.releaseAuthority`). */
export const ReleaseAuthority = z.enum(['receipt', 'officer']);
export type ReleaseAuthority = z.infer<typeof ReleaseAuthority>;
export interface CasePolicy {
  /**
   * `receipt` (default): only customs' 800 on the list releases; officers hold, order inspection, record findings and
   * annotate. `officer`: the zone's officers' bench is customs' system of record, and an officer's release stands
   * (recorded with who and why; a release the 800 never confirms is alarmed).
   */
  releaseAuthority: ReleaseAuthority;
}
export const DEFAULT_CASE_POLICY: CasePolicy = { releaseAuthority: 'receipt' };

/** What the engine concluded for one parcel, with the facts the case keeps (named as on the case). */
export type EngineOutcome = Pick<
  CaseRecord,
  'parcelKey' | 'orderNo' | 'direction' | 'tradeMode' | 'matchComplete' | 'matchConsistent' | 'customsStatus' | 'buyerKey' | 'buyerIdMasked' | 'valueCny' | 'year' | 'ebcCode' | 'declaredWeightKg'
> & {
  release: ReleaseDecision;
  risk: RiskAssessment;
  /** What customs said about the list (receipt-status.ts). Absent: read from `customsStatus` as the list's one receipt. */
  listState?: ListState;
};

const reasonText = z.string().trim().min(1).max(500);
export const OfficerAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('release'), reason: reasonText }),
  z.object({ action: z.literal('hold'), reason: reasonText }),
  z.object({ action: z.literal('inspect'), reason: reasonText }),
  /** An inspection result, kept as a finding (who: the officer; where: the bench or place; when: now). */
  z.object({ action: z.literal('result'), result: z.enum(['pass', 'seize', 'return', 'destroy']), reason: reasonText, where: z.string().trim().min(1).max(200).optional() }),
  /** A note on the case: changes nothing. */
  z.object({ action: z.literal('annotate'), reason: reasonText }),
  /** Settle an order conflict (two orders claim the parcel): the parcel belongs to `orderNo`; the others are dismissed. */
  z.object({ action: z.literal('resolve-order'), orderNo: z.string().trim().min(1).max(60), reason: reasonText }),
]);
export type OfficerAction = z.infer<typeof OfficerAction>;

/** Why an action is refused: the English `message` (API clients) and the code with parameters screens render (shared/reason-codes.ts). */
export interface Refusal {
  message: string;
  reason: { code: string; params?: Record<string, string | number> };
}
export type ActionOutcome = { ok: true; next: CaseRecord } | ({ ok: false; code: 'CONFLICT' | 'NOT_FOUND' } & Refusal);
const refuse = (code: 'CONFLICT' | 'NOT_FOUND', reason: string, message: string, params?: Record<string, string | number>): ActionOutcome => ({ ok: false, code, message, reason: { code: reason, ...(params ? { params } : {}) } });

/** A stored receipt as the list's state reads it. Cancellation requests (CEB623/605) join as `status: null` once mapped. */
export const toListMessage = (r: Pick<Receipt, 'messageType' | 'returnStatus' | 'returnTime' | 'returnInfo' | 'receivedTime'>): ListMessage => ({ messageType: r.messageType, status: r.returnStatus, time: receiptOrderTime(r), ...(r.returnInfo ? { info: r.returnInfo } : {}) });

/**
 * Customs' word from an order's receipts (and cancellation requests): the list's state, and the release decision the
 * risk engine makes on the expected statuses only — a status its message does not carry is never guessed at.
 */
export function customsOutcome(match: MatchResult, risk: RiskAssessment, receipts: readonly Receipt[], requests: readonly ListMessage[] = []) {
  const customsStatus = customsStatusOf(receipts.filter((r) => isExpectedStatus(r.messageType, r.returnStatus)));
  return { customsStatus, release: decideRelease(match, risk, customsStatus), list: listState([...receipts.map(toListMessage), ...requests]) };
}

/** SHA-256 of the normalised ID number: the annual total's key, so the case table holds no ID numbers. */
export const buyerKeyOf = (idNumber: string) => createHash('sha256').update(`buyer:${normalizeIdentity(idNumber)}`).digest('hex');

/** The calendar year in China (UTC+8, no daylight saving) of a moment: the annual limit runs Jan 1 – Dec 31 there. */
export const chinaYear = (ms: number) => new Date(ms + 8 * 3600_000).getUTCFullYear();

const ENGINE_STATUS: Record<ReleaseDecision['decision'], CaseStatus> = { released: 'released', hold: 'held', inspect: 'inspection', pending: 'pending' };

/** The list state a case was decided on; cases stored before receipt-status.ts read their one status as the list's. */
export function listStateOf(c: Pick<CaseRecord, 'listState' | 'customsStatus' | 'direction'>): ListState {
  if (c.listState) return c.listState;
  if (c.customsStatus === null) return NO_LIST_STATE;
  return listState([{ messageType: c.direction === 'export' ? 'CEB604' : 'CEB622', status: c.customsStatus, time: '' }]);
}

/** The officer's latest inspection finding, when it is a pass that answers the list's current inspection order. */
function passAnswersInspection(c: CaseRecord, l: ListState): boolean {
  const f = c.findings?.[c.findings.length - 1];
  if (!f || f.result !== 'pass') return false;
  // A 500 stamped after the finding was recorded is a new order: the pass does not answer it.
  return !(l.latest?.status === 500 && f.afterReceipt !== null && l.latest.time > f.afterReceipt);
}

/**
 * Does customs itself (not our risk rules) stop the parcel? decideRelease gives `hold` and `inspect` only on customs'
 * word (a detention 5xx, a rejection, a hold from another document, an inspection order 500). An inspection order is
 * answered by an officer's pass finding (the parcel then waits for customs' release, or is released under `officer`).
 */
function customsStops(engine: ReleaseDecision['decision'], c: CaseRecord, l: ListState): boolean {
  if (engine === 'hold') return true;
  return engine === 'inspect' && !passAnswersInspection(c, l);
}

/** Why customs' side keeps the parcel from release although the engine found nothing else: the case's first reasons. */
function customsReasons(l: ListState): CaseReason[] {
  const out: CaseReason[] = [];
  for (const u of l.unexpected) out.push({ rule: 'customs.unexpected', message: `${u.messageType} status ${u.status} is not a status this message carries: kept, not acted on${u.info ? ` (${u.info})` : ''}`.slice(0, 500), code: 'customs.unexpected', params: { messageType: u.messageType, status: u.status } });
  if (l.cancel === 'requested') out.push({ rule: 'customs.cancel-requested', message: 'cancellation of the list requested (623/605): not releasable while customs decides', code: 'customs.cancel-requested' });
  if (l.phase === 'cancelled') out.push({ rule: 'customs.cancelled', message: 'customs accepted the cancellation of the list (624/606 399): never releasable', code: 'customs.cancelled' });
  if (l.phase === 'returned') out.push({ rule: 'customs.700', message: 'returned to origin (700): the case is closed', code: 'customs.returned' });
  if (l.phase === 'concluded') out.push({ rule: 'customs.awaiting-release', message: "examination concluded (399), awaiting customs' release (800)", code: 'customs.awaiting-release' });
  if (l.phase === 'closed_without_release') out.push({ rule: 'customs.899-without-800', message: 'clearance closed (899) with no release (800) on record: not a release', code: 'customs.899-without-800' });
  return out;
}

/** What the engine's decision makes of a case no officer has touched. */
function engineStatus(decision: ReleaseDecision['decision'], l: ListState): CaseStatus {
  if (l.phase === 'cancelled') return 'cancelled';
  if (l.phase === 'returned') return 'returned';
  if (decision !== 'released') return ENGINE_STATUS[decision];
  // Never guessed: an unexpected status or a cancellation in flight sends the parcel to an officer.
  if (l.unexpected.length > 0 || l.cancel === 'requested') return 'pending';
  return l.customsReleased ? 'released' : 'awaiting_release';
}

/**
 * Who released, and is it enough? Under `receipt` only customs' 800 (customsReleased); under `officer` also an
 * officer's recorded release. The last word on every transition: no path reaches `released` past this.
 */
function releaseStands(c: CaseRecord, policy: CasePolicy): boolean {
  const l = listStateOf(c);
  if (l.phase === 'cancelled' || l.phase === 'returned' || l.cancel === 'requested') return false;
  if (l.customsReleased) return true;
  return policy.releaseAuthority === 'officer' && !!c.officerRelease;
}
function enforceAuthority(c: CaseRecord, policy: CasePolicy): CaseRecord {
  return c.status === 'released' && !releaseStands(c, policy) ? { ...c, status: 'awaiting_release' } : c;
}

export const ORDER_CONFLICT_RULE = 'case:order-conflict';

/** The reason a conflicted case shows: both (all) orders named. */
function conflictReason(orderNos: readonly string[]): CaseReason {
  return { rule: ORDER_CONFLICT_RULE, message: `orders ${orderNos.join(' and ')} each claim this parcel: an officer must choose its order before it can be released` };
}

/**
 * The case after the engine has decided again (new documents, new receipts, new line facts).
 *
 * Order conflicts (issue 15 item 6): a case belongs to one order. When another order's documents name the same parcel
 * (a list for order B naming a waybill order A already holds), the case does not move to whichever arrived last: it
 * keeps its order and facts, records every claimant in `orderConflict` and is held — no release by the engine or an
 * officer — until an officer resolves it (`resolve-order`). Orders an officer dismissed no longer touch the case.
 */
export function applyEngine(current: CaseRecord | undefined, o: EngineOutcome, nowMs: number, policy: CasePolicy = DEFAULT_CASE_POLICY): CaseRecord {
  if (current && current.orderNo !== o.orderNo) {
    if (current.dismissedOrders?.includes(o.orderNo)) return current;
    const orderNos = [...new Set([current.orderNo, ...(current.orderConflict?.orderNos ?? []), o.orderNo])];
    const orderConflict = { orderNos, raisedMs: current.orderConflict?.raisedMs ?? nowMs };
    const reasons = [...current.reasons.filter((r) => r.rule !== ORDER_CONFLICT_RULE), conflictReason(orderNos)];
    if (FINAL_STATUSES.has(current.status)) return { ...current, orderConflict, reasons };
    return { ...current, orderConflict, reasons, status: current.status === 'inspection' ? 'inspection' : 'held', decidedBy: current.officerHold ? current.decidedBy : 'auto' };
  }
  const next = applyEngineToOwner(current, o, nowMs, policy);
  if (!next.orderConflict) return next;
  // The owner's documents still count, but the conflict stands: held, whatever the engine concluded.
  const reasons = [...next.reasons, conflictReason(next.orderConflict.orderNos)];
  return FINAL_STATUSES.has(next.status) || next.status === 'inspection' ? { ...next, reasons } : { ...next, reasons, status: 'held' };
}

function applyEngineToOwner(current: CaseRecord | undefined, o: EngineOutcome, nowMs: number, policy: CasePolicy): CaseRecord {
  const l = o.listState ?? listStateOf(o);
  const facts = {
    parcelKey: o.parcelKey,
    orderNo: o.orderNo,
    direction: o.direction,
    tradeMode: o.tradeMode,
    engineDecision: o.release.decision,
    riskLevel: o.risk.level,
    rulesVersion: o.risk.rulesVersion,
    reasons: [...customsReasons(l), ...(o.release.reasons as CaseReason[])],
    matchComplete: o.matchComplete,
    matchConsistent: o.matchConsistent,
    customsStatus: o.customsStatus,
    listState: l,
    buyerKey: o.buyerKey,
    buyerIdMasked: o.buyerIdMasked,
    valueCny: o.valueCny,
    ebcCode: o.ebcCode,
    declaredWeightKg: o.declaredWeightKg,
  };
  const fresh = engineStatus(o.release.decision, l);
  if (!current) {
    const c: CaseRecord = { ...facts, status: fresh, decidedBy: 'auto', officerHold: false, inspectionResult: null, findings: [], notes: [], officerRelease: null, year: o.year, createdMs: nowMs, updatedMs: nowMs, version: 0 };
    return enforceAuthority(c, policy);
  }
  // The year a parcel counts against is the year it was first declared, whatever arrives later.
  const base: CaseRecord = { ...current, ...facts, year: current.year };
  if (FINAL_STATUSES.has(current.status)) return base;
  return enforceAuthority(engineOver(current, base, o, fresh, l, policy), policy);
}

/** The engine's word over a case that is not final: customs' terminal word first, then the officer's actions. */
function engineOver(current: CaseRecord, base: CaseRecord, o: EngineOutcome, fresh: CaseStatus, l: ListState, policy: CasePolicy): CaseRecord {
  // Customs' terminal word closes the case over anything an officer did.
  if (fresh === 'cancelled' || fresh === 'returned') return { ...base, status: fresh, decidedBy: 'auto', officerHold: false };
  if (current.decidedBy === 'auto') return { ...base, status: fresh };
  // An officer has acted.
  if (current.officerHold) return { ...base, status: 'held' };
  if (customsStops(o.release.decision, base, l)) return { ...base, status: ENGINE_STATUS[o.release.decision], decidedBy: 'auto' };
  if (current.status === 'inspection') return base; // awaiting the officer's result
  const docsOk = o.matchComplete && o.matchConsistent;
  if (current.status === 'released' && !docsOk) return { ...base, status: 'pending', decidedBy: 'auto', officerRelease: null };
  // Inspected and passed, waiting for customs: the 800 (or, under `officer`, the officer's release) lets it go.
  if (current.status === 'awaiting_release' && docsOk && releaseStands(base, policy) && !blockedByCustoms(l)) return { ...base, status: 'released' };
  if (current.status === 'released' && !releaseStands(base, policy)) return { ...base, status: engineStatus(o.release.decision, l) === 'released' ? 'awaiting_release' : 'pending', decidedBy: 'auto' };
  return base;
}

/** Customs' side blocks a release whatever the officer found: a cancellation in flight or an unexpected status. */
const blockedByCustoms = (l: ListState) => l.cancel === 'requested' || l.unexpected.length > 0;

/**
 * What stops an officer's release, first reason wins; null: nothing. One guard per rule, so another rule is one more
 * line (e.g. a conflicting order).
 */
type ReleaseGuard = (c: CaseRecord, l: ListState, policy: CasePolicy) => Refusal | null;
const why = (code: string, message: string, params?: Record<string, string | number>): Refusal => ({ message, reason: { code, ...(params ? { params } : {}) } });
const RELEASE_GUARDS: readonly ReleaseGuard[] = [
  (c) => (c.orderConflict ? why('refuse.order-conflict', `orders ${c.orderConflict.orderNos.join(' and ')} each claim this parcel: resolve the order first`, { orders: c.orderConflict.orderNos.join(', ') }) : null),
  (c) => (c.matchComplete ? null : why('refuse.documents-incomplete', 'documents are incomplete: a parcel without a complete set cannot be released')),
  (c) => (c.matchConsistent ? null : why('refuse.documents-disagree', 'documents disagree: a parcel without a consistent set cannot be released')),
  (c, l) =>
    customsStops(c.engineDecision, c, l)
      ? why('refuse.customs-stops', `customs stops this parcel (${c.customsStatus ?? 'hold'}): an officer's release cannot override it`, { status: c.customsStatus ?? 'hold' })
      : null,
  (_c, l) => (l.phase === 'cancelled' || l.cancel === 'requested' ? why('refuse.cancellation', "the list's cancellation is requested or accepted (623/624): never releasable") : null),
  (_c, l) => {
    if (l.unexpected.length === 0) return null;
    const statuses = l.unexpected.map((u) => `${u.messageType} ${u.status}`).join(', ');
    return why('refuse.unexpected-status', `customs sent a status its message does not carry (${statuses}): resolve it with customs first`, { statuses });
  },
  (c, l, policy) =>
    policy.releaseAuthority === 'receipt' && !l.customsReleased
      ? why(
          l.phase === 'concluded' ? 'refuse.receipt-authority.concluded' : 'refuse.receipt-authority',
          `only customs releases: the list has no release (800) from customs${l.phase === 'concluded' ? ' — 399 (concluded) is not a release' : ''}; under customs.releaseAuthority "receipt" an officer may hold, order inspection, record findings and annotate`,
        )
      : null,
];
const releaseRefusal = (c: CaseRecord, policy: CasePolicy): Refusal | null => {
  const l = listStateOf(c);
  for (const g of RELEASE_GUARDS) {
    const why = g(c, l, policy);
    if (why) return why;
  }
  return null;
};

export interface OfficerContext {
  nowMs: number;
  policy?: CasePolicy;
}

/** An officer's action on a case: the next case, or why it is refused (a 409 with this message). */
export function applyOfficer(current: CaseRecord | undefined, act: OfficerAction, officer: string, ctx: OfficerContext = { nowMs: 0 }): ActionOutcome {
  if (!current) return refuse('NOT_FOUND', 'refuse.no-case', 'no customs case for this parcel (its documents have not arrived)');
  const policy = ctx.policy ?? DEFAULT_CASE_POLICY;
  if (act.action === 'annotate') return { ok: true, next: { ...current, notes: [...(current.notes ?? []), { by: officer, atMs: ctx.nowMs, text: act.reason }] } };
  if (FINAL_STATUSES.has(current.status)) return refuse('CONFLICT', 'refuse.closed', `the case is closed (${current.status})`, { status: current.status });
  const by = { decidedBy: officer };
  const l = listStateOf(current);
  const ok = (next: CaseRecord): ActionOutcome => ({ ok: true, next: enforceAuthority(next, policy) });
  switch (act.action) {
    case 'release': {
      if (current.status === 'released') return refuse('CONFLICT', 'refuse.already-released', 'already released');
      if (current.status === 'inspection') return refuse('CONFLICT', 'refuse.inspection-ordered', 'an inspection is ordered: record its result (pass) to release');
      const refusal = releaseRefusal(current, policy);
      if (refusal) return { ok: false, code: 'CONFLICT', ...refusal };
      return ok({ ...current, ...by, status: 'released', officerHold: false, officerRelease: l.customsReleased ? (current.officerRelease ?? null) : { by: officer, reason: act.reason, atMs: ctx.nowMs, alarmedMs: null } });
    }
    case 'hold':
      if (current.status === 'held' && current.officerHold) return refuse('CONFLICT', 'refuse.already-held', 'already held');
      return ok({ ...current, ...by, status: 'held', officerHold: true });
    case 'inspect':
      if (current.status === 'inspection') return refuse('CONFLICT', 'refuse.inspection-already', 'an inspection is already ordered');
      return ok({ ...current, ...by, status: 'inspection', officerHold: false, inspectionResult: null });
    case 'result': {
      // A result may come without an order from the hub: the line sent the parcel to the bench on its own rules.
      if (act.result === 'pass' && current.status === 'released') return refuse('CONFLICT', 'refuse.already-released', 'already released');
      const finding: InspectionFinding = { result: act.result, by: officer, where: act.where ?? null, atMs: ctx.nowMs, reason: act.reason, afterReceipt: l.latest?.time ?? null };
      const recorded = { ...current, ...by, findings: [...(current.findings ?? []), finding], inspectionResult: act.result };
      if (act.result === 'seize') return ok({ ...recorded, status: 'seized' });
      if (act.result === 'return') return ok({ ...recorded, status: 'returned' });
      if (act.result === 'destroy') return ok({ ...recorded, status: 'destroyed' });
      // Passed: released when customs has released it (or, under `officer`, on this officer's word); else it waits for
      // customs' 800. Something else stopping it (documents, a detention) sends it back to the queue, the pass kept.
      const passed: CaseRecord = { ...recorded, officerHold: false };
      if (releaseRefusal(passed, { releaseAuthority: 'officer' })) return ok({ ...passed, status: 'pending' });
      if (l.customsReleased) return ok({ ...passed, status: 'released' });
      if (policy.releaseAuthority === 'officer') return ok({ ...passed, status: 'released', officerRelease: { by: officer, reason: act.reason, atMs: ctx.nowMs, alarmedMs: null } });
      return ok({ ...passed, status: 'awaiting_release' });
    }
    case 'resolve-order': {
      const claimants = current.orderConflict?.orderNos;
      if (!claimants) return refuse('CONFLICT', 'refuse.no-order-conflict', 'no order conflict stands on this case');
      if (!claimants.includes(act.orderNo)) return refuse('CONFLICT', 'refuse.not-a-claimant', `${act.orderNo} is not one of the orders claiming this parcel (${claimants.join(', ')})`, { orderNo: act.orderNo, orders: claimants.join(', ') });
      const dismissedOrders = [...new Set([...(current.dismissedOrders ?? []), ...claimants.filter((n) => n !== act.orderNo)])];
      const reasons = current.reasons.filter((r) => r.rule !== ORDER_CONFLICT_RULE);
      // The chosen order's documents decide the case from here (the service has the engine decide again); an officer's
      // hold is not lifted by choosing the order.
      const status: CaseStatus = current.officerHold ? 'held' : 'pending';
      return { ok: true, next: { ...current, orderNo: act.orderNo, orderConflict: null, dismissedOrders, reasons, status, decidedBy: current.officerHold ? officer : 'auto' } };
    }
  }
}

/**
 * Officer releases customs never confirmed (no 800 on the list) for longer than `confirmWithinMs`: the cases to alarm
 * (each once: `alarmedMs` is set by the caller).
 */
export function unconfirmedRelease(c: CaseRecord, nowMs: number, confirmWithinMs: number): boolean {
  const r = c.officerRelease;
  if (!r || r.alarmedMs !== null || c.status !== 'released') return false;
  return !listStateOf(c).release && nowMs - r.atMs >= confirmWithinMs;
}

const FEED_DECISION: Record<CaseStatus, ParcelDecision['decision']> = {
  pending: 'hold',
  awaiting_release: 'hold',
  cancelled: 'hold',
  released: 'released',
  held: 'hold',
  inspection: 'inspect',
  seized: 'hold',
  returned: 'hold',
  destroyed: 'hold',
};

const FEED_MAX_WEIGHT_KG = 100_000;

/** What the stations get for a case: the line knows released, hold and inspect. */
export function caseToParcelDecision(c: CaseRecord, note?: string): ParcelDecision {
  const reason =
    note ??
    (c.decidedBy === 'auto'
      ? c.reasons.map((r) => r.message).join('; ')
      : `${c.status} by officer ${c.decidedBy}`);
  const text =
    c.status === 'pending'
      ? `pending officer review${reason ? `: ${reason}` : ''}`
      : c.status === 'awaiting_release'
        ? `awaiting customs' release (800)${c.inspectionResult === 'pass' ? ': inspected, passed' : ''}${reason ? `; ${reason}` : ''}`
        : reason;
  const reasons = feedReasons(c, note);
  return {
    parcelKey: c.parcelKey,
    decision: FEED_DECISION[c.status],
    // The feed carries what a line scale can weigh (≤ 100 t, feed.ts); a document may declare up to decimal(19,5) kg. Beyond
    // it the line gets no weight to compare, and the hub's risk rule still compares the measured weight with it.
    ...(c.declaredWeightKg !== null && c.declaredWeightKg <= FEED_MAX_WEIGHT_KG ? { declaredWeightKg: c.declaredWeightKg } : {}),
    ...(text ? { reason: text.length > 500 ? `${text.slice(0, 499)}…` : text } : {}),
    ...(reasons.length > 0 ? { reasons } : {}),
    orderNo: c.orderNo,
  };
}

type FeedReason = NonNullable<ParcelDecision['reasons']>[number];
const FEED_PARAM = (v: unknown): v is NonNullable<FeedReason['params']>[string] =>
  typeof v === 'number' || typeof v === 'boolean' || v === null || (typeof v === 'string' && v.length <= 200) || (Array.isArray(v) && v.length <= 32 && v.every((x) => typeof x === 'string' && x.length <= 64));

/**
 * The case's reasons as codes for the stations' consoles (shared/stations/feed.ts): what the officer's action or the
 * engine said, in codes a console renders in its reader's language. Compared values of personal data never go: the
 * same rule as every viewer who is not an officer (maskPersonal drops them).
 */
function feedReasons(c: CaseRecord, note?: string): FeedReason[] {
  const out: FeedReason[] = [];
  if (note !== undefined) return [{ code: 'feed.by-officer', params: { status: c.status, officer: c.decidedBy } }];
  if (c.status === 'pending') out.push({ code: 'feed.pending' });
  if (c.status === 'awaiting_release') out.push({ code: c.inspectionResult === 'pass' ? 'feed.awaiting-release.passed' : 'feed.awaiting-release' });
  if (c.decidedBy !== 'auto') return [...out, { code: 'feed.by-officer', params: { status: c.status, officer: c.decidedBy } }];
  for (const r of maskPersonal(c.reasons)) {
    if (!r.code || out.length >= 16) continue;
    const params = Object.fromEntries(Object.entries(r.params ?? {}).filter(([k, v]) => k.length <= 32 && FEED_PARAM(v))) as FeedReason['params'];
    out.push({ code: r.code, ...(params && Object.keys(params).length > 0 ? { params } : {}) });
  }
  return out;
}
