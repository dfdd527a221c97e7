import { z } from 'zod';
import * as dec from '../../shared/decimal.ts';
import { decimalSchema, type Decimal } from '../../shared/decimal.ts';
import { maskIdNumber, maskName, maskPhone } from '../../shared/mask.ts';
import type { ParcelDecision } from '../../shared/stations/feed.ts';
import { weightWithin } from '../../shared/stations/inspection.ts';
import { inSample } from './sampling.ts';
import { KNOWN_TRADE_MODES, receiptOrderTime, type DocumentSet, type Receipt } from './documents.ts';
import { normalizeIdentity, normalizePhone, type MatchResult } from './matching.ts';
import type { SignatureVerdict } from '../eport/verdict.ts';

/**
 * The risk engine (风险分级, customs.md §6) and the release decision, both pure: facts, a versioned rule set and the
 * context (year-to-date totals, credit classes, the match) in; a level with every reason out. Randomness is a hash of
 * the parcel key and the rules version, so the same parcel under the same rules always gets the same answer.
 */

export const Severity = z.enum(['low', 'medium', 'high']);
export type Severity = z.infer<typeof Severity>;
/** A rule's severity when it fires, or `off`. */
const RuleSeverity = z.enum(['off', 'low', 'medium', 'high']);
type RuleSeverity = z.infer<typeof RuleSeverity>;

/** Enterprise credit class: advanced-certified (AEO), general, dishonest (失信). */
export const CreditClass = z.enum(['advanced', 'general', 'dishonest']);
export type CreditClass = z.infer<typeof CreditClass>;

export const XrayVerdict = z.enum(['clear', 'suspect', 'reject', 'unreadable']);
export type XrayVerdict = z.infer<typeof XrayVerdict>;

const hsPrefix = z.string().regex(/^\d{2,10}$/, '2 to 10 digits of an HS code');

/**
 * A rule set, versioned: a decision records the version it was made under. Defaults and why:
 * - weight: the inspection line's tolerance (larger of 10% and 0.05 kg, StationRules) so hub and line agree;
 * - value limits: ¥5,000 per transaction, ¥26,000 per person per year for 1210/1239/9610 imports (customs.md §1);
 *   an unknown year-to-date total fails safe (medium) rather than passing;
 * - restricted HS prefixes and the positive list are policy data and default to empty / off, never guessed;
 * - sampling defaults to 0: a random-inspection rate is customs policy. `rate` sends a parcel to the officers' queue
 *   (sample.random); `lineRate` marks an otherwise released parcel for the line's inspection lane (the feed decision's
 *   `sampled`). Both are drawn at the hub under its secret key; the line no longer samples on its own;
 * - advanced-certified (AEO) enterprises are sampled at half the rate (practice: lower inspection rates).
 */
export const RiskRules = z.object({
  version: z.string().min(1).max(64),
  weight: z
    .object({ severity: RuleSeverity.default('medium'), weightTolerancePct: z.number().min(0).max(100).default(10), weightToleranceKg: z.number().min(0).max(1000).default(0.05) })
    .prefault({}),
  xray: z.object({ suspect: RuleSeverity.default('high'), reject: RuleSeverity.default('high'), unreadable: RuleSeverity.default('medium') }).prefault({}),
  valueLimits: z
    .object({
      severity: RuleSeverity.default('high'),
      perTransactionCny: z.number().positive().default(5000),
      annualCny: z.number().positive().default(26_000),
      /** Severity when the buyer's year-to-date total is not known. */
      annualUnknown: RuleSeverity.default('medium'),
      /**
       * A single indivisible item (one line, quantity 1) over the per-transaction limit but within the annual limit is
       * allowed at full general-trade tax: its own reason, informational (low) by default, not a violation.
       */
      fullTax: RuleSeverity.default('low'),
      tradeModes: z.array(z.string().regex(/^\d{4}$/)).default(['1210', '1239', '9610']),
    })
    .prefault({}),
  restrictedHs: z.object({ severity: RuleSeverity.default('high'), prefixes: z.array(hsPrefix).max(10_000).default([]) }).prefault({}),
  /** The retail import positive list by HS code or prefix; absent = not checked. Imports only. */
  positiveList: z.object({ severity: RuleSeverity.default('high'), hsCodes: z.array(hsPrefix).max(100_000).optional() }).prefault({}),
  credit: z
    .object({
      dishonest: RuleSeverity.default('high'),
      /** Multiplies the sampling rate by the e-commerce enterprise's class. */
      samplingFactor: z.object({ advanced: z.number().min(0).max(10).default(0.5), general: z.number().min(0).max(10).default(1), dishonest: z.number().min(0).max(10).default(1) }).prefault({}),
    })
    .prefault({}),
  watchLists: z
    .object({
      severity: RuleSeverity.default('high'),
      /** Enterprise codes or names of senders (the e-commerce enterprise that ships the goods). */
      senders: z.array(z.string().min(1).max(100)).max(100_000).default([]),
      /** A consignee matches when every field an entry gives matches. */
      consignees: z.array(z.object({ name: z.string().min(1).max(100).optional(), telephone: z.string().min(1).max(50).optional(), address: z.string().min(1).max(200).optional() }).refine((c) => c.name ?? c.telephone ?? c.address, 'give at least one of name, telephone, address')).max(100_000).default([]),
      buyerIdNumbers: z.array(z.string().min(1).max(60)).max(100_000).default([]),
    })
    .prefault({}),
  matching: z.object({ inconsistent: RuleSeverity.default('high'), incomplete: RuleSeverity.default('medium') }).prefault({}),
  sampling: z
    .object({
      severity: RuleSeverity.default('medium'),
      rate: z.number().min(0).max(1).default(0),
      /** Share of parcels the line sends to its inspection lane at random (drawn at the hub, pushed per parcel). */
      lineRate: z.number().min(0).max(1).default(0),
    })
    .prefault({}),
  /** A document whose message signature is invalid (tampered, malformed, wrong key: hub/eport/verdict.ts). */
  signature: z.object({ invalid: RuleSeverity.default('high') }).prefault({}),
});
export type RiskRules = z.output<typeof RiskRules>;
export type RiskRulesInput = z.input<typeof RiskRules>;

/** What is known about one parcel: from its documents (see `parcelFacts`) and from the line. */
export const ParcelFacts = z.object({
  /** The parcel label (logisticsNo), or the orderNo before a waybill exists. */
  parcelKey: z.string().min(1).max(64),
  direction: z.enum(['import', 'export']),
  /** As the list gives it: 4 characters (the XSD's facet), a mode the hub does not know included. */
  tradeMode: z.string().length(4).optional(),
  /** Dutiable value of this transaction in CNY: goods (incl. non-cash discounts) + freight + insurance, exact. */
  transactionValueCny: decimalSchema({ integerDigits: 16 }).optional(),
  declaredWeightKg: z.number().positive().optional(),
  /** From the line's scale; absent until the parcel has been weighed. */
  measuredWeightKg: z.number().positive().optional(),
  xray: XrayVerdict.optional(),
  /** `qty` (declared quantity) tells a single indivisible item from a split order (value limits). */
  lines: z.array(z.object({ gnum: z.number().int(), gcode: z.string(), gname: z.string(), qty: decimalSchema().optional() })).default([]),
  enterprises: z.array(z.object({ role: z.enum(['ebc', 'ebp', 'logistics', 'agent', 'payment']), code: z.string(), name: z.string().optional() })).default([]),
  consignee: z.object({ name: z.string(), telephone: z.string(), address: z.string() }).optional(),
  buyer: z.object({ name: z.string(), idNumber: z.string() }).optional(),
});
export type ParcelFacts = z.output<typeof ParcelFacts>;

/** What the line observed about the parcel. */
export interface LineObservation { measuredWeightKg?: number; xray?: XrayVerdict }

export interface RiskContext {
  /** The buyer's total of released imports this calendar year, before this parcel (exact decimal). */
  buyerYearToDateCny?: Decimal;
  /** Credit class by enterprise code; unknown codes are `general`. */
  enterpriseCredit?: Readonly<Record<string, CreditClass>>;
  match?: MatchResult;
  /** The signature verdict of each document's message (documents that came as JSON have none). */
  signatures?: readonly { document: string; verdict: Pick<SignatureVerdict, 'status' | 'reason' | 'message'> }[];
  /**
   * The parcel's draw in [0, 1) for the `risk` stream (hub/customs/sampling.ts, under the hub's secret key). Absent
   * while a sampling rate is set: the parcel is sampled (fail safe: never a silent escape from the sample).
   */
  samplingDraw?: number;
}

export const RISK_RULE_IDS = [
  'weight.out-of-tolerance',
  'xray.suspect',
  'xray.reject',
  'xray.unreadable',
  'value.transaction-limit',
  'value.annual-limit',
  'value.annual-unknown',
  'value.full-tax',
  'hs.restricted',
  'hs.not-on-positive-list',
  'credit.dishonest',
  'watch.sender',
  'watch.consignee',
  'watch.buyer',
  'match.inconsistent',
  'match.incomplete',
  'sample.random',
  'signature.invalid',
] as const;
export const RiskRuleId = z.enum(RISK_RULE_IDS);
export type RiskRuleId = z.infer<typeof RiskRuleId>;

/** `params`: the figures of `message` as a code's parameters (shared/reason-codes.ts `risk.<rule>`), for screens in either language. */
export const RiskReason = z.object({ rule: RiskRuleId, severity: Severity, message: z.string(), params: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])).optional() });
export type RiskReason = z.infer<typeof RiskReason>;
export const RiskAssessment = z.object({ level: Severity, reasons: z.array(RiskReason), rulesVersion: z.string() });
export type RiskAssessment = z.infer<typeof RiskAssessment>;

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

/** Facts from a document set and the line: what `assessRisk` needs, derived once. */
export function parcelFacts(set: DocumentSet, line: LineObservation = {}): ParcelFacts {
  const { order, payment, waybill, inventory } = set;
  const parcelKey = inventory?.logisticsNo ?? waybill?.logisticsNo ?? order?.orderNo ?? payment?.orderNo ?? '(unknown)';
  // The dutiable value (完税价格) is the actual transaction price: goods (goodsValue already includes non-cash
  // discounts) + freight + insurance. Without an order, the list's lines stand in for the goods.
  const goods = order ? order.goodsValue : inventory ? dec.sum(inventory.lines.map((l) => l.totalPrice)) : undefined;
  const freight = order?.freight ?? inventory?.freight ?? waybill?.freight ?? '0';
  const insured = inventory?.insuredFee ?? waybill?.insuredFee ?? '0';
  const enterprises: ParcelFacts['enterprises'] = [];
  const ebc = inventory ?? order;
  if (ebc) enterprises.push({ role: 'ebc', code: ebc.ebcCode, name: ebc.ebcName }, { role: 'ebp', code: ebc.ebpCode, name: ebc.ebpName });
  const carrier = inventory ?? waybill;
  if (carrier) enterprises.push({ role: 'logistics', code: carrier.logisticsCode, name: carrier.logisticsName });
  if (inventory) enterprises.push({ role: 'agent', code: inventory.agentCode, name: inventory.agentName });
  if (payment) enterprises.push({ role: 'payment', code: payment.payCode, name: payment.payName });
  // A number: it is compared with the line's scale, a float measurement (documents keep the exact decimal).
  const declaredWeight = waybill?.weight ?? inventory?.grossWeight;
  const declaredWeightKg = declaredWeight === undefined ? undefined : dec.toNumber(declaredWeight);
  const buyerDoc = inventory ?? order;
  const consigneeDoc = order ?? waybill;
  return {
    parcelKey: parcelKey.slice(0, 64),
    direction: 'import',
    ...(inventory ? { tradeMode: inventory.tradeMode } : {}),
    ...(goods !== undefined ? { transactionValueCny: dec.sum([goods, freight, insured]) } : {}),
    // The parcel's own gross weight: the waybill's (its label), else the list's.
    ...(declaredWeightKg !== undefined ? { declaredWeightKg } : {}),
    ...(line.measuredWeightKg !== undefined ? { measuredWeightKg: line.measuredWeightKg } : {}),
    ...(line.xray !== undefined ? { xray: line.xray } : {}),
    lines: inventory ? inventory.lines.map((l) => ({ gnum: l.gnum, gcode: l.gcode, gname: l.gname, qty: l.qty })) : [],
    enterprises,
    ...(consigneeDoc ? { consignee: { name: consigneeDoc.consignee, telephone: consigneeDoc.consigneeTelephone, address: consigneeDoc.consigneeAddress } } : {}),
    ...(buyerDoc ? { buyer: { name: buyerDoc.buyerName, idNumber: buyerDoc.buyerIdNumber } } : {}),
  };
}

const cny = (x: Decimal | number) => `¥${dec.toFixed(typeof x === 'number' ? dec.decimalFromNumber(x) : x, 2)}`;
const pct = (x: number) => `${Math.round(x * 10_000) / 100}%`;
/** An HS code is covered when any of its 2…10-digit prefixes is in the set: nine lookups, whatever the list size. */
function hsCovered(gcode: string, prefixes: ReadonlySet<string>): boolean {
  for (let n = 2; n <= gcode.length; n++) if (prefixes.has(gcode.slice(0, n))) return true;
  return false;
}

type WatchConsignee = { name?: string; telephone?: string; address?: string };

/**
 * A rule set with its lists normalised and indexed, built once per rule set and reused for every parcel (as Kura's
 * `prepareRead` validates a polling batch once): lists of 100,000 entries then cost a few lookups per parcel.
 */
export interface PreparedRiskRules {
  readonly rules: RiskRules;
  readonly restricted: ReadonlySet<string>;
  readonly positive: ReadonlySet<string> | undefined;
  readonly senders: ReadonlySet<string>;
  readonly buyerIds: ReadonlySet<string>;
  /** Normalised consignee entries, indexed by each field they give. */
  readonly consignees: { byName: ReadonlyMap<string, WatchConsignee[]>; byTelephone: ReadonlyMap<string, WatchConsignee[]>; byAddress: ReadonlyMap<string, WatchConsignee[]> };
}

export function prepareRiskRules(rules: RiskRules): PreparedRiskRules {
  const byName = new Map<string, WatchConsignee[]>();
  const byTelephone = new Map<string, WatchConsignee[]>();
  const byAddress = new Map<string, WatchConsignee[]>();
  const add = (index: Map<string, WatchConsignee[]>, key: string, entry: WatchConsignee) => {
    const entries = index.get(key);
    if (entries) entries.push(entry);
    else index.set(key, [entry]);
  };
  for (const c of rules.watchLists.consignees) {
    const entry: WatchConsignee = {
      ...(c.name !== undefined ? { name: normalizeIdentity(c.name) } : {}),
      ...(c.telephone !== undefined ? { telephone: normalizePhone(c.telephone) } : {}),
      ...(c.address !== undefined ? { address: normalizeIdentity(c.address) } : {}),
    };
    if (entry.telephone !== undefined) add(byTelephone, entry.telephone, entry);
    else if (entry.name !== undefined) add(byName, entry.name, entry);
    else if (entry.address !== undefined) add(byAddress, entry.address, entry);
  }
  return {
    rules,
    restricted: new Set(rules.restrictedHs.prefixes),
    positive: rules.positiveList.hsCodes && new Set(rules.positiveList.hsCodes),
    senders: new Set(rules.watchLists.senders.map(normalizeIdentity)),
    buyerIds: new Set(rules.watchLists.buyerIdNumbers.map(normalizeIdentity)),
    consignees: { byName, byTelephone, byAddress },
  };
}

/** One line of quantity 1: an item that cannot be split into smaller transactions. */
export const isSingleItem = (facts: Pick<ParcelFacts, 'lines'>): boolean => facts.lines.length === 1 && facts.lines[0]!.qty !== undefined && dec.eq(facts.lines[0]!.qty, '1');

const ADVISORY = "local count, advisory: customs counts the buyer's imports nationally and its refusal code is the authority";

/**
 * The personal value limits, alone so their arithmetic is in one place (customs.md §1):
 * - over the per-transaction limit → `value.transaction-limit` (customs -621005), unless the parcel is a single
 *   indivisible item within the annual limit: then `value.full-tax` (allowed at full general-trade tax);
 * - the buyer's year-to-date (released lists only, less approved returns) + this over the annual limit →
 *   `value.annual-limit` (customs -621018), said to be advisory: the hub sees only this zone's lists;
 * - year-to-date unknown → `value.annual-unknown`.
 */
export function valueLimitReasons(valueCny: Decimal, singleItem: boolean, yearToDateCny: Decimal | undefined, limits: RiskRules['valueLimits']): { rule: RiskRuleId; severity: RuleSeverity; message: string; params: Record<string, string> }[] {
  const out: { rule: RiskRuleId; severity: RuleSeverity; message: string; params: Record<string, string> }[] = [];
  // Compared exactly: a value one fen over a limit at full decimal(19,5) width still fires.
  const overAnnual = yearToDateCny !== undefined && dec.gt(dec.add(yearToDateCny, valueCny), dec.decimalFromNumber(limits.annualCny));
  if (dec.gt(valueCny, dec.decimalFromNumber(limits.perTransactionCny))) {
    if (singleItem && !overAnnual) {
      out.push({
        rule: 'value.full-tax',
        severity: limits.fullTax,
        message: `single indivisible item of ${cny(valueCny)} over the ${cny(limits.perTransactionCny)} single-transaction limit, within the ${cny(limits.annualCny)} annual limit: allowed, full tax applies (general-trade tariff, VAT and consumption tax in full)`,
        params: { value: cny(valueCny), limit: cny(limits.perTransactionCny), annual: cny(limits.annualCny) },
      });
    } else {
      out.push({ rule: 'value.transaction-limit', severity: limits.severity, message: `transaction value ${cny(valueCny)} exceeds the ${cny(limits.perTransactionCny)} single-transaction limit (customs -621005)`, params: { value: cny(valueCny), limit: cny(limits.perTransactionCny) } });
    }
  }
  if (yearToDateCny === undefined) out.push({ rule: 'value.annual-unknown', severity: limits.annualUnknown, message: `the buyer's year-to-date total is not known: the annual limit cannot be checked (${ADVISORY})`, params: {} });
  else if (overAnnual) out.push({ rule: 'value.annual-limit', severity: limits.severity, message: `buyer's year-to-date ${cny(yearToDateCny)} + this ${cny(valueCny)} exceeds the ${cny(limits.annualCny)} annual limit (${ADVISORY}: -621018)`, params: { ytd: cny(yearToDateCny), value: cny(valueCny), limit: cny(limits.annualCny) } });
  return out;
}

const isPrepared = (r: RiskRules | PreparedRiskRules): r is PreparedRiskRules => 'restricted' in r && r.restricted instanceof Set;

/**
 * Assess one parcel. Every rule that fires yields a reason; the level is the highest severity among them.
 * Pass `prepareRiskRules(rules)` when assessing many parcels under the same rules.
 */
export function assessRisk(facts: ParcelFacts, ruleSet: RiskRules | PreparedRiskRules, context: RiskContext = {}): RiskAssessment {
  const prepared = isPrepared(ruleSet) ? ruleSet : prepareRiskRules(ruleSet);
  const rules = prepared.rules;
  const reasons: RiskReason[] = [];
  const fire = (rule: RiskRuleId, severity: RuleSeverity, message: string, params?: Record<string, string | number | string[]>) => {
    if (severity !== 'off') reasons.push({ rule, severity, message, ...(params ? { params } : {}) });
  };
  const isImport = facts.direction === 'import';

  // Declared vs measured weight (the line's scale); no measurement yet: nothing to compare.
  if (facts.measuredWeightKg !== undefined && facts.declaredWeightKg !== undefined && !weightWithin(facts.measuredWeightKg, facts.declaredWeightKg, rules.weight)) {
    fire('weight.out-of-tolerance', rules.weight.severity, `measured ${facts.measuredWeightKg} kg vs declared ${facts.declaredWeightKg} kg is beyond the larger of ${rules.weight.weightTolerancePct}% and ${rules.weight.weightToleranceKg} kg`, {
      measured: facts.measuredWeightKg,
      declared: facts.declaredWeightKg,
      pct: rules.weight.weightTolerancePct,
      kg: rules.weight.weightToleranceKg,
    });
  }

  if (facts.xray === 'suspect') fire('xray.suspect', rules.xray.suspect, 'X-ray image marked suspect');
  else if (facts.xray === 'reject') fire('xray.reject', rules.xray.reject, 'X-ray rejected the parcel');
  else if (facts.xray === 'unreadable') fire('xray.unreadable', rules.xray.unreadable, 'X-ray image unreadable');

  // Personal import limits (customs.md §1); customs' own errors are -621005 and -621018.
  const limits = rules.valueLimits;
  // A mode the hub has never heard of is held to the limits (documents.ts KNOWN_IMPORT_TRADE_MODES): only a known mode
  // left out of `valueLimits.tradeModes` is exempt.
  const limited = facts.tradeMode === undefined || limits.tradeModes.includes(facts.tradeMode) || !KNOWN_TRADE_MODES.includes(facts.tradeMode);
  if (isImport && facts.transactionValueCny !== undefined && limited) {
    for (const r of valueLimitReasons(facts.transactionValueCny, isSingleItem(facts), context.buyerYearToDateCny, limits)) fire(r.rule, r.severity, r.message, r.params);
  }

  for (const l of facts.lines) {
    if (prepared.restricted.size > 0 && hsCovered(l.gcode, prepared.restricted)) fire('hs.restricted', rules.restrictedHs.severity, `line ${l.gnum} (${l.gname}): HS ${l.gcode} is restricted`, { gnum: l.gnum, gname: l.gname, gcode: l.gcode });
    if (isImport && prepared.positive !== undefined && !hsCovered(l.gcode, prepared.positive)) fire('hs.not-on-positive-list', rules.positiveList.severity, `line ${l.gnum} (${l.gname}): HS ${l.gcode} is not on the retail import positive list`, { gnum: l.gnum, gname: l.gname, gcode: l.gcode });
  }

  const credit = context.enterpriseCredit ?? {};
  for (const e of facts.enterprises) {
    if (credit[e.code] === 'dishonest') fire('credit.dishonest', rules.credit.dishonest, `${e.role} enterprise ${e.code}${e.name ? ` (${e.name})` : ''} is on the dishonest list (失信)`, { role: e.role, code: e.code, name: e.name ?? '' });
  }

  const watch = rules.watchLists;
  if (prepared.senders.size > 0) {
    for (const e of facts.enterprises) {
      if (e.role !== 'ebc') continue;
      const hit = prepared.senders.has(normalizeIdentity(e.code)) ? e.code : e.name !== undefined && prepared.senders.has(normalizeIdentity(e.name)) ? e.name : undefined;
      if (hit !== undefined) fire('watch.sender', watch.severity, `sender ${hit} is on the watch list`, { hit });
    }
  }
  const { byName, byTelephone, byAddress } = prepared.consignees;
  if (facts.consignee && (byName.size > 0 || byTelephone.size > 0 || byAddress.size > 0)) {
    const c = facts.consignee;
    const name = normalizeIdentity(c.name);
    const telephone = normalizePhone(c.telephone);
    const address = normalizeIdentity(c.address);
    const candidates = [...(byTelephone.get(telephone) ?? []), ...(byName.get(name) ?? []), ...(byAddress.get(address) ?? [])];
    const hit = candidates.some((w) => (w.name === undefined || w.name === name) && (w.telephone === undefined || w.telephone === telephone) && (w.address === undefined || w.address === address));
    if (hit) fire('watch.consignee', watch.severity, `consignee ${maskName(c.name)} (${maskPhone(c.telephone)}) is on the watch list`, { name: maskName(c.name), telephone: maskPhone(c.telephone) });
  }
  if (prepared.buyerIds.size > 0 && facts.buyer && prepared.buyerIds.has(normalizeIdentity(facts.buyer.idNumber))) {
    fire('watch.buyer', watch.severity, `buyer ID ${maskIdNumber(facts.buyer.idNumber)} is on the watch list`, { id: maskIdNumber(facts.buyer.idNumber) });
  }

  const match = context.match;
  if (match) {
    if (!match.consistent) {
      const rulesHit = [...new Set(match.mismatches.map((m) => m.rule))];
      fire('match.inconsistent', rules.matching.inconsistent, `documents disagree: ${rulesHit.join(', ')}`, { rules: rulesHit });
    }
    if (!match.complete) fire('match.incomplete', rules.matching.incomplete, `documents missing: ${match.missing.join(', ')}`, { docs: match.missing });
  }

  for (const s of context.signatures ?? []) {
    if (s.verdict.status === 'invalid') fire('signature.invalid', rules.signature.invalid, `the ${s.document} message's signature is invalid (${s.verdict.reason}): ${s.verdict.message}`.slice(0, 300), { doc: s.document, reason: s.verdict.reason });
  }

  // Random sampling from the hub's keyed draw; the declaring e-commerce enterprise's class scales the rate.
  const ebc = facts.enterprises.find((e) => e.role === 'ebc');
  const rate = Math.min(1, rules.sampling.rate * rules.credit.samplingFactor[(ebc && credit[ebc.code]) ?? 'general']);
  if (rate > 0 && (context.samplingDraw === undefined || inSample(context.samplingDraw, rate))) {
    fire('sample.random', rules.sampling.severity, `random sample (${pct(rate)})${context.samplingDraw === undefined ? ': no sampling draw, sampled to be safe' : ''}`, { rate: pct(rate) });
  }

  let level: Severity = 'low';
  for (const r of reasons) if (RANK[r.severity] > RANK[level]) level = r.severity;
  return { level, reasons, rulesVersion: rules.version };
}

// ---------------------------------------------------------------------------------------------------------------------
// Customs status and the release decision

/** The governing customs status of a parcel: its list's latest receipt, plus any hold from elsewhere. */
export const CustomsStatus = z.object({
  returnStatus: z.number().int(),
  returnInfo: z.string().default(''),
  returnTime: z.string().optional(),
  /** Holds that stop release whatever the receipt says (a targeting hold, an officer's hold, a rejected order). */
  holds: z.array(z.string().min(1).max(500)).default([]),
});
export type CustomsStatus = z.output<typeof CustomsStatus>;

const STATUS_TEXT: Record<number, string> = {
  1: 'saved as a draft at the e-port',
  2: 'being declared',
  3: 'sent to customs',
  4: 'sending to customs failed',
  100: 'rejected by customs',
  120: 'accepted by customs',
  300: 'manual review',
  399: 'examination concluded',
  500: 'inspection ordered',
  501: 'detained: to clearance',
  502: 'detained: anti-smuggling',
  503: 'detained: legal',
  599: 'detained: other',
  700: 'returned to origin',
  800: 'released',
  899: 'clearance closed',
};
export const statusText = (status: number): string => (status < 0 ? 'format or business error' : (STATUS_TEXT[status] ?? (status > 500 && status < 600 ? 'detained' : 'unknown status')));

const LIST_RECEIPTS: ReadonlySet<string> = new Set(['CEB622', 'CEB604']);
const isRejection = (status: number) => status < 0 || status === 100;

/**
 * The customs status from a parcel's receipts: the latest list receipt (622/604) by returnTime (receiptOrderTime when
 * it is no calendar time), later in the array on
 * a tie. An order, payment or waybill whose latest receipt is a rejection (100 or negative) adds a hold: its list
 * cannot pass. `undefined` while the list has no receipt.
 */
export function customsStatusOf(receipts: readonly Receipt[], holds: readonly string[] = []): CustomsStatus | undefined {
  let list: Receipt | undefined;
  const latestByDocument = new Map<string, Receipt>();
  for (const r of receipts) {
    if (LIST_RECEIPTS.has(r.messageType)) {
      if (!list || receiptOrderTime(r) >= receiptOrderTime(list)) list = r;
    } else if (r.refersTo.kind === 'order' || r.refersTo.kind === 'payment' || r.refersTo.kind === 'waybill') {
      const prior = latestByDocument.get(r.refersTo.kind);
      if (!prior || receiptOrderTime(r) >= receiptOrderTime(prior)) latestByDocument.set(r.refersTo.kind, r);
    }
  }
  if (!list) return undefined;
  const all = [...holds];
  for (const [kind, r] of latestByDocument) {
    if (isRejection(r.returnStatus)) all.push(`${kind} ${r.messageType} ${r.returnStatus}${r.returnInfo ? `: ${r.returnInfo}` : ''}`.slice(0, 500));
  }
  return { returnStatus: list.returnStatus, returnInfo: list.returnInfo, returnTime: list.returnTime, holds: all };
}

/** A reason for a decision: a rule, its English text, and the code with parameters screens render (shared/reason-codes.ts). */
export const DecisionReason = z.object({
  rule: z.string(),
  message: z.string(),
  code: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type DecisionReason = z.infer<typeof DecisionReason>;

export const ReleaseDecision = z.object({
  decision: z.enum(['released', 'hold', 'inspect', 'pending']),
  reasons: z.array(DecisionReason),
});
export type ReleaseDecision = z.infer<typeof ReleaseDecision>;

/** Customs has cleared the list: released (800), concluded (399), or closed after release (899). */
const CLEARED: ReadonlySet<number> = new Set([399, 800, 899]);

// customsStatusOf's hold for a rejected order, payment or waybill: `${kind} ${messageType} ${status}: ${info}`.
const DOCUMENT_REJECTED = /^(order|payment|waybill) (CEB\d+) (-?\d+)(?:: (.*))?$/su;
function holdReason(h: string): DecisionReason {
  const m = DOCUMENT_REJECTED.exec(h);
  if (!m) return { rule: 'hold', message: h };
  return { rule: 'hold', message: h, code: 'customs.document-rejected', params: { doc: m[1]!, messageType: m[2]!, status: Number(m[3]), info: m[4] ?? '' } };
}

/**
 * Release automatically only when customs has cleared the list with no hold, the four documents are complete and
 * consistent, and the risk level is low. Otherwise: an explicit hold → hold; 500 → inspect; 501–599 → hold; 100 or
 * negative → hold with the returnInfo; anything else → pending, to the officers' queue. Reasons carry every cause.
 */
export function decideRelease(match: MatchResult, risk: RiskAssessment, customsStatus: CustomsStatus | undefined): ReleaseDecision {
  const reasons: DecisionReason[] = [];
  const ours: DecisionReason[] = [];
  if (!match.complete) ours.push({ rule: 'match.incomplete', message: `documents missing: ${match.missing.join(', ')}`, code: 'match.incomplete', params: { docs: match.missing } });
  for (const m of match.mismatches) ours.push({ rule: `match:${m.rule}`, message: m.message, ...(m.code !== undefined ? { code: m.code, params: m.params ?? {} } : {}) });
  if (risk.level !== 'low') {
    for (const r of risk.reasons) if (r.severity !== 'low') ours.push({ rule: `risk:${r.rule}`, message: `${r.severity}: ${r.message}`, code: `risk.${r.rule}`, params: { ...r.params, severity: r.severity } });
  }

  if (!customsStatus) return { decision: 'pending', reasons: [{ rule: 'customs.no-receipt', message: 'no customs receipt for the list yet', code: 'customs.no-receipt' }, ...ours] };
  const { returnStatus: status, returnInfo } = customsStatus;
  const customsText = `customs ${status} (${statusText(status)})${returnInfo ? `: ${returnInfo}` : ''}`;
  const customs: DecisionReason = { rule: `customs.${status}`, message: customsText, code: 'customs.status', params: { status, info: returnInfo } };

  if (customsStatus.holds.length > 0) {
    for (const h of customsStatus.holds) reasons.push(holdReason(h));
    return { decision: 'hold', reasons: [...reasons, customs, ...ours] };
  }
  if (status === 500) return { decision: 'inspect', reasons: [customs, ...ours] };
  if (status > 500 && status < 600) return { decision: 'hold', reasons: [customs, ...ours] };
  if (isRejection(status)) return { decision: 'hold', reasons: [customs, ...ours] };
  if (CLEARED.has(status)) {
    if (match.complete && match.consistent && risk.level === 'low') {
      return { decision: 'released', reasons: [{ ...customs, message: `${customsText}; documents complete and consistent; risk low (rules ${risk.rulesVersion})`, code: 'customs.cleared', params: { status, rulesVersion: risk.rulesVersion } }] };
    }
    return { decision: 'pending', reasons: [...ours, customs] };
  }
  return { decision: 'pending', reasons: [{ ...customs, message: `awaiting customs: ${customsText}`, code: 'customs.awaiting' }, ...ours] };
}

/**
 * The station feed's view of a decision. The line knows released, hold and inspect only: a pending parcel is held
 * (it goes to the inspection lane, never the release lane) with the reason saying it awaits an officer.
 */
export function toParcelDecision(release: ReleaseDecision, parcel: { parcelKey: string; declaredWeightKg?: number; orderNo?: string }): ParcelDecision {
  const decision = release.decision === 'pending' ? 'hold' : release.decision;
  const text = release.reasons.map((r) => r.message).join('; ');
  const reason = release.decision === 'pending' ? `pending officer review${text ? `: ${text}` : ''}` : text;
  return {
    parcelKey: parcel.parcelKey,
    decision,
    ...(parcel.declaredWeightKg !== undefined ? { declaredWeightKg: parcel.declaredWeightKg } : {}),
    ...(reason ? { reason: reason.length > 500 ? `${reason.slice(0, 499)}…` : reason } : {}),
    ...(parcel.orderNo !== undefined ? { orderNo: parcel.orderNo } : {}),
  };
}
