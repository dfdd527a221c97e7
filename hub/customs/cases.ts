import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ParcelDecision } from '../../shared/stations/feed.ts';
import { FINAL_STATUSES, type CaseReason, type CaseRecord, type CaseStatus } from '../repos/cases.ts';
import { normalizeIdentity } from './matching.ts';
import type { ReleaseDecision, RiskAssessment } from './risk.ts';

/**
 * A parcel's customs case, pure: what the engine (matching + risk + receipts) decides and what officers do on top of it
 * (customs.md §3, §6). Two sources of truth meet here, and the rules for who wins are the point of this file:
 * - an officer's hold sticks: no later document or receipt releases the parcel over it;
 * - customs' own word (a detention 5xx, a rejection, an inspection order 500) overrides an officer's release;
 * - nothing is released without a complete, consistent document set, whoever asks;
 * - seized, returned and destroyed are final.
 */

/** What the engine concluded for one parcel, with the facts the case keeps (named as on the case). */
export type EngineOutcome = Pick<
  CaseRecord,
  'parcelKey' | 'orderNo' | 'direction' | 'tradeMode' | 'matchComplete' | 'matchConsistent' | 'customsStatus' | 'buyerKey' | 'buyerIdMasked' | 'valueCny' | 'year' | 'ebcCode' | 'declaredWeightKg'
> & { release: ReleaseDecision; risk: RiskAssessment };

export const OfficerAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('release'), reason: z.string().trim().min(1).max(500) }),
  z.object({ action: z.literal('hold'), reason: z.string().trim().min(1).max(500) }),
  z.object({ action: z.literal('inspect'), reason: z.string().trim().min(1).max(500) }),
  z.object({ action: z.literal('result'), result: z.enum(['pass', 'seize', 'return', 'destroy']), reason: z.string().trim().min(1).max(500) }),
  /** Settle an order conflict (two orders claim the parcel): the parcel belongs to `orderNo`; the others are dismissed. */
  z.object({ action: z.literal('resolve-order'), orderNo: z.string().trim().min(1).max(60), reason: z.string().trim().min(1).max(500) }),
]);
export type OfficerAction = z.infer<typeof OfficerAction>;

export type ActionOutcome = { ok: true; next: CaseRecord } | { ok: false; code: 'CONFLICT' | 'NOT_FOUND'; message: string };

/** SHA-256 of the normalised ID number: the annual total's key, so the case table holds no ID numbers. */
export const buyerKeyOf = (idNumber: string) => createHash('sha256').update(`buyer:${normalizeIdentity(idNumber)}`).digest('hex');

/** The calendar year in China (UTC+8, no daylight saving) of a moment: the annual limit runs Jan 1 – Dec 31 there. */
export const chinaYear = (ms: number) => new Date(ms + 8 * 3600_000).getUTCFullYear();

const ENGINE_STATUS: Record<ReleaseDecision['decision'], CaseStatus> = { released: 'released', hold: 'held', inspect: 'inspection', pending: 'pending' };

/** Does customs itself (not our risk rules) stop the parcel? Then an officer's release cannot stand. */
const customsStops = (engine: ReleaseDecision['decision']) => engine === 'hold' || engine === 'inspect';

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
export function applyEngine(current: CaseRecord | undefined, o: EngineOutcome, nowMs: number): CaseRecord {
  if (current && current.orderNo !== o.orderNo) {
    if (current.dismissedOrders?.includes(o.orderNo)) return current;
    const orderNos = [...new Set([current.orderNo, ...(current.orderConflict?.orderNos ?? []), o.orderNo])];
    const orderConflict = { orderNos, raisedMs: current.orderConflict?.raisedMs ?? nowMs };
    const reasons = [...current.reasons.filter((r) => r.rule !== ORDER_CONFLICT_RULE), conflictReason(orderNos)];
    if (FINAL_STATUSES.has(current.status)) return { ...current, orderConflict, reasons };
    return { ...current, orderConflict, reasons, status: current.status === 'inspection' ? 'inspection' : 'held', decidedBy: current.officerHold ? current.decidedBy : 'auto' };
  }
  const next = applyEngineToOwner(current, o, nowMs);
  if (!next.orderConflict) return next;
  // The owner's documents still count, but the conflict stands: held, whatever the engine concluded.
  const reasons = [...next.reasons, conflictReason(next.orderConflict.orderNos)];
  return FINAL_STATUSES.has(next.status) || next.status === 'inspection' ? { ...next, reasons } : { ...next, reasons, status: 'held' };
}

function applyEngineToOwner(current: CaseRecord | undefined, o: EngineOutcome, nowMs: number): CaseRecord {
  const facts = {
    parcelKey: o.parcelKey,
    orderNo: o.orderNo,
    direction: o.direction,
    tradeMode: o.tradeMode,
    engineDecision: o.release.decision,
    riskLevel: o.risk.level,
    rulesVersion: o.risk.rulesVersion,
    reasons: o.release.reasons as CaseReason[],
    matchComplete: o.matchComplete,
    matchConsistent: o.matchConsistent,
    customsStatus: o.customsStatus,
    buyerKey: o.buyerKey,
    buyerIdMasked: o.buyerIdMasked,
    valueCny: o.valueCny,
    ebcCode: o.ebcCode,
    declaredWeightKg: o.declaredWeightKg,
  };
  if (!current) {
    return { ...facts, status: ENGINE_STATUS[o.release.decision], decidedBy: 'auto', officerHold: false, inspectionResult: null, year: o.year, createdMs: nowMs, updatedMs: nowMs, version: 0 };
  }
  // The year a parcel counts against is the year it was first declared, whatever arrives later.
  const base = { ...current, ...facts, year: current.year };
  if (FINAL_STATUSES.has(current.status)) return base;
  if (current.decidedBy === 'auto') return { ...base, status: ENGINE_STATUS[o.release.decision] };
  // An officer has acted.
  if (current.officerHold) return { ...base, status: 'held' };
  if (customsStops(o.release.decision)) return { ...base, status: ENGINE_STATUS[o.release.decision], decidedBy: 'auto' };
  if (current.status === 'inspection') return base; // awaiting the officer's result
  if (current.status === 'released' && !(o.matchComplete && o.matchConsistent)) return { ...base, status: 'pending', decidedBy: 'auto' };
  return base;
}

/** An officer's action on a case: the next case, or why it is refused (a 409 with this message). */
export function applyOfficer(current: CaseRecord | undefined, act: OfficerAction, officer: string): ActionOutcome {
  if (!current) return { ok: false, code: 'NOT_FOUND', message: 'no customs case for this parcel (its documents have not arrived)' };
  if (FINAL_STATUSES.has(current.status)) return { ok: false, code: 'CONFLICT', message: `the case is closed (${current.status})` };
  const by = { decidedBy: officer };
  const releasable = (): string | null => {
    if (current.orderConflict) return `orders ${current.orderConflict.orderNos.join(' and ')} each claim this parcel: resolve the order first`;
    if (!current.matchComplete) return 'documents are incomplete: a parcel without a complete set cannot be released';
    if (!current.matchConsistent) return 'documents disagree: a parcel without a consistent set cannot be released';
    if (customsStops(current.engineDecision)) return `customs stops this parcel (${current.customsStatus ?? 'hold'}): an officer's release cannot override it`;
    return null;
  };
  switch (act.action) {
    case 'release': {
      if (current.status === 'released') return { ok: false, code: 'CONFLICT', message: 'already released' };
      if (current.status === 'inspection') return { ok: false, code: 'CONFLICT', message: 'an inspection is ordered: record its result (pass) to release' };
      const why = releasable();
      if (why) return { ok: false, code: 'CONFLICT', message: why };
      return { ok: true, next: { ...current, ...by, status: 'released', officerHold: false } };
    }
    case 'hold':
      if (current.status === 'held' && current.officerHold) return { ok: false, code: 'CONFLICT', message: 'already held' };
      return { ok: true, next: { ...current, ...by, status: 'held', officerHold: true } };
    case 'inspect':
      if (current.status === 'inspection') return { ok: false, code: 'CONFLICT', message: 'an inspection is already ordered' };
      return { ok: true, next: { ...current, ...by, status: 'inspection', officerHold: false, inspectionResult: null } };
    case 'result': {
      // A result may come without an order from the hub: the line sent the parcel to the bench on its own rules.
      if (act.result === 'pass' && current.status === 'released') return { ok: false, code: 'CONFLICT', message: 'already released' };
      if (act.result === 'seize') return { ok: true, next: { ...current, ...by, status: 'seized', inspectionResult: 'seize' } };
      if (act.result === 'return') return { ok: true, next: { ...current, ...by, status: 'returned', inspectionResult: 'return' } };
      if (act.result === 'destroy') return { ok: true, next: { ...current, ...by, status: 'destroyed', inspectionResult: 'destroy' } };
      // Passed inspection: released if nothing else stops it, else back to the queue with the result kept.
      return { ok: true, next: { ...current, ...by, status: releasable() ? 'pending' : 'released', inspectionResult: 'pass' } };
    }
    case 'resolve-order': {
      const claimants = current.orderConflict?.orderNos;
      if (!claimants) return { ok: false, code: 'CONFLICT', message: 'no order conflict stands on this case' };
      if (!claimants.includes(act.orderNo)) return { ok: false, code: 'CONFLICT', message: `${act.orderNo} is not one of the orders claiming this parcel (${claimants.join(', ')})` };
      const dismissedOrders = [...new Set([...(current.dismissedOrders ?? []), ...claimants.filter((n) => n !== act.orderNo)])];
      const reasons = current.reasons.filter((r) => r.rule !== ORDER_CONFLICT_RULE);
      // The chosen order's documents decide the case from here (the service has the engine decide again); an officer's
      // hold is not lifted by choosing the order.
      const status: CaseStatus = current.officerHold ? 'held' : 'pending';
      return { ok: true, next: { ...current, orderNo: act.orderNo, orderConflict: null, dismissedOrders, reasons, status, decidedBy: current.officerHold ? officer : 'auto' } };
    }
  }
}

const FEED_DECISION: Record<CaseStatus, ParcelDecision['decision']> = {
  pending: 'hold',
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
  const text = c.status === 'pending' ? `pending officer review${reason ? `: ${reason}` : ''}` : reason;
  return {
    parcelKey: c.parcelKey,
    decision: FEED_DECISION[c.status],
    // The feed carries what a line scale can weigh (≤ 100 t, feed.ts); a document may declare up to decimal(19,5) kg. Beyond
    // it the line gets no weight to compare, and the hub's risk rule still compares the measured weight with it.
    ...(c.declaredWeightKg !== null && c.declaredWeightKg <= FEED_MAX_WEIGHT_KG ? { declaredWeightKg: c.declaredWeightKg } : {}),
    ...(text ? { reason: text.length > 500 ? `${text.slice(0, 499)}…` : text } : {}),
    orderNo: c.orderNo,
  };
}
