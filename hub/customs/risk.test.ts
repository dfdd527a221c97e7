import * as dec from '../../shared/decimal.ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParcelDecision } from '../../shared/stations/feed.ts';
import { Receipt, type ReceiptRef } from './documents.ts';
import { generateDocumentSets, generateParcel, introduceMismatch, introduceRiskTrigger, RISK_TRIGGERS, withoutDocuments, type GeneratedParcel, type RiskTrigger } from './generate-docs.ts';
import { matchDocuments, type MatchResult } from './matching.ts';
import {
  assessRisk,
  customsStatusOf,
  decideRelease,
  parcelFacts,
  prepareRiskRules,
  RiskRules,
  toParcelDecision,
  type CustomsStatus,
  type ParcelFacts,
  type RiskAssessment,
  type RiskContext,
  type RiskRuleId,
  type Severity,
} from './risk.ts';
import type { DocumentSet } from './documents.ts';
import { samplingDraw } from './sampling.ts';

const RULES = RiskRules.parse({ version: '2025.1' });
const base = generateParcel({ seed: 21 }, 4);

/** Match, facts, risk: the pipeline as the hub runs it. */
function assess(p: GeneratedParcel<DocumentSet>, rules: RiskRules = RULES): { match: MatchResult; risk: RiskAssessment } {
  const match = matchDocuments(p.set);
  return { match, risk: assessRisk(parcelFacts(p.set, p.line), rules, { ...p.context, match }) };
}

describe('normal parcels are low risk', () => {
  it('generated parcels under default rules have no reasons', () => {
    for (const p of generateDocumentSets({ seed: 21, tradeModes: ['1210', '9610'] }, 300)) {
      expect(assess(p).risk).toEqual({ level: 'low', reasons: [], rulesVersion: '2025.1' });
    }
  });
});

const FIRES: Record<RiskTrigger, { rule: RiskRuleId; severity: Severity }> = {
  'weight-off': { rule: 'weight.out-of-tolerance', severity: 'medium' },
  'xray-suspect': { rule: 'xray.suspect', severity: 'high' },
  'xray-reject': { rule: 'xray.reject', severity: 'high' },
  'xray-unreadable': { rule: 'xray.unreadable', severity: 'medium' },
  'over-transaction-limit': { rule: 'value.transaction-limit', severity: 'high' },
  'over-annual-limit': { rule: 'value.annual-limit', severity: 'high' },
  'annual-unknown': { rule: 'value.annual-unknown', severity: 'medium' },
  'restricted-hs': { rule: 'hs.restricted', severity: 'high' },
  'not-on-positive-list': { rule: 'hs.not-on-positive-list', severity: 'high' },
  'dishonest-enterprise': { rule: 'credit.dishonest', severity: 'high' },
  'watch-sender': { rule: 'watch.sender', severity: 'high' },
  'watch-consignee': { rule: 'watch.consignee', severity: 'high' },
  'watch-buyer': { rule: 'watch.buyer', severity: 'high' },
  'match-inconsistent': { rule: 'match.inconsistent', severity: 'high' },
  'match-incomplete': { rule: 'match.incomplete', severity: 'medium' },
  'random-sample': { rule: 'sample.random', severity: 'medium' },
};

describe('each risk rule fires with its reason', () => {
  it('the table covers every trigger', () => expect(Object.keys(FIRES).sort()).toEqual([...RISK_TRIGGERS].sort()));

  it.each(RISK_TRIGGERS)('%s', (trigger) => {
    const { parcel, rules } = introduceRiskTrigger(base, trigger, RULES);
    const { risk } = assess(parcel, rules);
    expect(risk.reasons.map((r) => r.rule)).toEqual([FIRES[trigger].rule]);
    expect(risk.reasons[0]!.severity).toBe(FIRES[trigger].severity);
    expect(risk.level).toBe(FIRES[trigger].severity);
    expect(risk.reasons[0]!.message.length).toBeGreaterThan(0);
  });

  it('the over-limit parcel is still a consistent set (only the value trips)', () => {
    const { parcel } = introduceRiskTrigger(base, 'over-transaction-limit', RULES);
    expect(matchDocuments(parcel.set).consistent).toBe(true);
  });

  it('reasons name no personal data in clear', () => {
    for (const trigger of ['watch-buyer', 'watch-consignee'] as const) {
      const { parcel, rules } = introduceRiskTrigger(base, trigger, RULES);
      const text = JSON.stringify(assess(parcel, rules).risk);
      expect(text).not.toContain(base.set.order.buyerIdNumber);
      expect(text).not.toContain(base.set.order.consigneeTelephone);
    }
  });
});

const facts = (over: Partial<ParcelFacts> = {}): ParcelFacts => ({ ...parcelFacts(base.set, base.line), ...over });
const rulesOf = (over: Record<string, unknown>) => RiskRules.parse({ version: 't', ...over });
const firing = (f: ParcelFacts, rules: RiskRules = RULES, context: RiskContext = { buyerYearToDateCny: '0' }) => assessRisk(f, rules, context).reasons.map((r) => r.rule);

describe('rule boundaries', () => {
  it('weight: no measurement, nothing to compare; tolerance is the larger of % and kg', () => {
    expect(firing(facts({ measuredWeightKg: undefined, declaredWeightKg: 1 }))).toEqual([]);
    expect(firing(facts({ declaredWeightKg: 1, measuredWeightKg: 1.09 }))).toEqual([]);
    expect(firing(facts({ declaredWeightKg: 1, measuredWeightKg: 1.11 }))).toEqual(['weight.out-of-tolerance']);
    expect(firing(facts({ declaredWeightKg: 0.1, measuredWeightKg: 0.149 }))).toEqual([]);
    expect(firing(facts({ declaredWeightKg: 0.1, measuredWeightKg: 0.16 }))).toEqual(['weight.out-of-tolerance']);
  });

  const twoItems = [{ gnum: 1, gcode: '3304990099', gname: '面霜', qty: '2' }];
  it.each([
    ['5000', '0', []],
    ['5000.01', '0', ['value.transaction-limit']],
    ['5000.00001', '0', ['value.transaction-limit']], // exact: not rounded to fen away
    ['1000', '25000', []],
    ['1000', '25000.01', ['value.annual-limit']],
    ['6000', '21000', ['value.transaction-limit', 'value.annual-limit']],
    ['12345678912345.12345', '0', ['value.transaction-limit', 'value.annual-limit']], // decimal(19,5) at full width
    ['0.00001', '25999.99999', []], // exactly at the annual limit: a double sum would be 26000.000000000004
  ])('value %s with year-to-date %s → %j', (value, ytd, rules) => {
    expect(firing(facts({ transactionValueCny: value, lines: twoItems }), RULES, { buyerYearToDateCny: ytd })).toEqual(rules);
  });

  it('a trade mode the hub does not know is held to the personal limits; a known one an admin left out is not', () => {
    const over = { transactionValueCny: '6000', lines: twoItems };
    expect(firing(facts({ ...over, tradeMode: '1211' }), RULES, { buyerYearToDateCny: '0' })).toEqual(['value.transaction-limit']);
    expect(firing(facts({ ...over, tradeMode: 'AB12' }), RULES, { buyerYearToDateCny: '0' })).toEqual(['value.transaction-limit']);
    const only1210 = rulesOf({ valueLimits: { tradeModes: ['1210'] } });
    expect(firing(facts({ ...over, tradeMode: '9610' }), only1210, { buyerYearToDateCny: '0' })).toEqual([]);
    expect(firing(facts({ ...over, tradeMode: '1211' }), only1210, { buyerYearToDateCny: '0' })).toEqual(['value.transaction-limit']);
  });

  it('a single indivisible item over the transaction limit within the annual limit: full tax, not a violation (issue 16 item 7)', () => {
    const one = [{ gnum: 1, gcode: '9102110000', gname: '手表', qty: '1' }];
    const r = assessRisk(facts({ transactionValueCny: '8000', lines: one }), RULES, { buyerYearToDateCny: '10000' });
    expect(r.reasons).toEqual([{ rule: 'value.full-tax', severity: 'low', message: expect.stringContaining('full tax applies'), params: { value: '¥8000.00', limit: '¥5000.00', annual: '¥26000.00' } }]);
    expect(r.level).toBe('low');
    expect(r.reasons[0]!.message).toContain('¥5000.00');
    // Configured limits, not hard-coded ones, in the message.
    expect(assessRisk(facts({ transactionValueCny: '8000', lines: one }), rulesOf({ valueLimits: { perTransactionCny: 7000 } }), { buyerYearToDateCny: '0' }).reasons[0]!.message).toContain('¥7000.00');
    // Over the annual limit the exception does not apply.
    expect(firing(facts({ transactionValueCny: '8000', lines: one }), RULES, { buyerYearToDateCny: '20000' })).toEqual(['value.transaction-limit', 'value.annual-limit']);
    // Two of the item, or two lines, can be split: the transaction limit applies.
    expect(firing(facts({ transactionValueCny: '8000', lines: twoItems }))).toEqual(['value.transaction-limit']);
    expect(firing(facts({ transactionValueCny: '8000', lines: [...one, { ...one[0]!, gnum: 2 }] }))).toEqual(['value.transaction-limit']);
  });

  it('the annual limit is said to be advisory: customs counts nationally and its refusal code decides (issue 16 item 7)', () => {
    const [r] = assessRisk(facts({ transactionValueCny: '1000' }), RULES, { buyerYearToDateCny: '25500' }).reasons;
    expect(r).toMatchObject({ rule: 'value.annual-limit' });
    expect(r!.message).toMatch(/advisory.*nationally.*authority.*-621018/);
    expect(assessRisk(facts({ transactionValueCny: '100' }), RULES, {}).reasons[0]!.message).toMatch(/advisory/);
  });

  it('limits apply to listed import trade modes only', () => {
    expect(firing(facts({ transactionValueCny: '9000', tradeMode: '9710' }))).toEqual([]);
    expect(firing(facts({ transactionValueCny: '9000', direction: 'export' }))).toEqual([]);
    expect(firing(facts({ transactionValueCny: '9000', tradeMode: '1239', lines: twoItems }))).toEqual(['value.transaction-limit']);
    expect(firing(facts({ transactionValueCny: '100' }), RULES, {})).toEqual(['value.annual-unknown']);
  });

  it('the dutiable value is goods + freight + insurance (non-cash discounts are part of goodsValue)', () => {
    const { order, inventory } = base.set;
    expect(parcelFacts(base.set).transactionValueCny).toBe(dec.sum([order.goodsValue, order.freight, inventory.insuredFee]));
  });

  it('restricted HS codes match by prefix; the positive list by code or prefix, imports only', () => {
    const gcode = base.set.inventory.lines[0]!.gcode;
    expect(firing(facts(), rulesOf({ restrictedHs: { prefixes: [gcode.slice(0, 2)] } }))).toContain('hs.restricted');
    expect(firing(facts(), rulesOf({ restrictedHs: { prefixes: ['93'] } }))).toEqual([]);
    const allCodes = base.set.inventory.lines.map((l) => l.gcode.slice(0, 6));
    expect(firing(facts(), rulesOf({ positiveList: { hsCodes: allCodes } }))).toEqual([]);
    expect(firing(facts(), rulesOf({ positiveList: { hsCodes: [] } }))).toContain('hs.not-on-positive-list');
    expect(firing(facts({ direction: 'export' }), rulesOf({ positiveList: { hsCodes: [] } }))).toEqual([]);
  });

  it('watch lists compare normalised values; a consignee entry needs every field it gives', () => {
    const c = facts().consignee!;
    expect(firing(facts(), rulesOf({ watchLists: { consignees: [{ name: c.name, telephone: '13900000000' }] } }))).toEqual([]);
    expect(firing(facts(), rulesOf({ watchLists: { consignees: [{ address: ` ${c.address}  ` }] } }))).toEqual(['watch.consignee']);
    expect(firing(facts(), rulesOf({ watchLists: { senders: [` ${base.set.inventory.ebcName} `] } }))).toEqual(['watch.sender']);
    expect(RiskRules.safeParse({ version: 't', watchLists: { consignees: [{}] } }).success).toBe(false);
  });

  it('prepared rules (lists normalised and indexed once) give the same answers as plain rules', () => {
    const parcels = generateDocumentSets({ seed: 8 }, 30);
    const p0 = parcels[0]!.set;
    const big = rulesOf({
      positiveList: { hsCodes: [...Array.from({ length: 20_000 }, (_, i) => `85${String(i).padStart(8, '0')}`), ...new Set(parcels.flatMap((p) => p.set.inventory.lines.map((l) => l.gcode.slice(0, 8))))] },
      restrictedHs: { prefixes: Array.from({ length: 5000 }, (_, i) => `93${String(i).padStart(4, '0')}`) },
      watchLists: {
        buyerIdNumbers: [...Array.from({ length: 20_000 }, (_, i) => `1101011990010${String(i).padStart(5, '0')}`), p0.inventory.buyerIdNumber.toLowerCase()],
        consignees: [...Array.from({ length: 5000 }, (_, i) => ({ telephone: `139${String(i).padStart(8, '0')}` })), { name: parcels[1]!.set.order.consignee, address: parcels[1]!.set.order.consigneeAddress }],
      },
    });
    const prepared = prepareRiskRules(big);
    const fired = parcels.map((p) => {
      const f = parcelFacts(p.set, p.line);
      const a = assessRisk(f, prepared, p.context);
      expect(assessRisk(f, big, p.context)).toEqual(a);
      return a.reasons.map((r) => r.rule);
    });
    expect(fired[0]).toEqual(['watch.buyer']);
    expect(fired[1]).toEqual(['watch.consignee']);
    expect(fired.slice(2).flat()).toEqual([]);
  });

  it('a dishonest carrier or payment enterprise counts too', () => {
    const credit = { [base.set.waybill.logisticsCode]: 'dishonest' as const, [base.set.payment.payCode]: 'dishonest' as const };
    const reasons = assessRisk(facts(), RULES, { buyerYearToDateCny: '0', enterpriseCredit: credit }).reasons;
    expect(reasons.map((r) => r.message).join()).toMatch(/logistics enterprise .*payment enterprise|payment enterprise .*logistics enterprise/);
  });
});

describe('levels', () => {
  it('is the highest severity among the reasons', () => {
    const { parcel, rules } = introduceRiskTrigger(base, 'weight-off', RULES);
    const both = introduceRiskTrigger(parcel, 'xray-suspect', rules);
    const { risk } = assess(both.parcel, both.rules);
    expect(risk.reasons.map((r) => r.severity).sort()).toEqual(['high', 'medium']);
    expect(risk.level).toBe('high');
  });

  it('severities are configurable: `low` keeps the reason without raising the level, `off` removes it', () => {
    const { parcel } = introduceRiskTrigger(base, 'xray-unreadable', RULES);
    const low = assess(parcel, rulesOf({ xray: { unreadable: 'low' } })).risk;
    expect(low).toMatchObject({ level: 'low', reasons: [{ rule: 'xray.unreadable', severity: 'low' }] });
    expect(assess(parcel, rulesOf({ xray: { unreadable: 'off' } })).risk.reasons).toEqual([]);
  });

  it('defaults', () => {
    expect(RULES).toMatchObject({
      weight: { severity: 'medium', weightTolerancePct: 10, weightToleranceKg: 0.05 },
      valueLimits: { perTransactionCny: 5000, annualCny: 26_000, tradeModes: ['1210', '1239', '9610'] },
      restrictedHs: { prefixes: [] },
      positiveList: {},
      sampling: { rate: 0 },
      credit: { samplingFactor: { advanced: 0.5, general: 1, dishonest: 1 } },
    });
    expect(RiskRules.safeParse({}).success).toBe(false); // a rule set always has a version
    expect(RiskRules.safeParse({ version: 'x', restrictedHs: { prefixes: ['9'] } }).success).toBe(false);
  });
});

describe('random sampling', () => {
  const parcels = generateDocumentSets({ seed: 33 }, 4000);
  const KEY = Buffer.alloc(32, 7);
  const share = (rules: RiskRules, credit: Record<string, 'advanced' | 'general' | 'dishonest'>, key: Uint8Array = KEY) => {
    const prepared = prepareRiskRules(rules);
    return parcels.filter((p) => {
      const f = parcelFacts(p.set);
      return assessRisk(f, prepared, { buyerYearToDateCny: '0', enterpriseCredit: credit, samplingDraw: samplingDraw(key, 'risk', f.parcelKey) }).reasons.some((r) => r.rule === 'sample.random');
    }).length / parcels.length;
  };

  it('samples about the configured rate, halved for advanced-certified enterprises', () => {
    const rules = rulesOf({ sampling: { rate: 0.2 } });
    expect(share(rules, {})).toBeCloseTo(0.2, 1);
    const allAdvanced = Object.fromEntries(parcels.map((p) => [p.set.inventory.ebcCode, 'advanced' as const]));
    expect(share(rules, allAdvanced)).toBeCloseTo(0.1, 1);
  });

  it("follows the hub's keyed draw, not the rules version; with no draw it samples (fail safe) (issue 16 item 6)", () => {
    const f = facts();
    const fired = (draw: number | undefined, version = 'a') => assessRisk(f, rulesOf({ version, sampling: { rate: 0.1 } }), { buyerYearToDateCny: '0', ...(draw !== undefined ? { samplingDraw: draw } : {}) }).reasons.map((r) => r.rule);
    expect(fired(0.05)).toEqual(['sample.random']);
    expect(fired(0.5)).toEqual([]);
    expect(fired(0.5, 'b')).toEqual([]); // a new version label does not re-draw: only a new key does
    expect(fired(undefined)).toEqual(['sample.random']);
    expect(assessRisk(f, rulesOf({ sampling: { rate: 0.1 } }), { buyerYearToDateCny: '0' }).reasons[0]!.message).toContain('sampled to be safe');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

const ok: MatchResult = { complete: true, consistent: true, mismatches: [], missing: [] };
const low: RiskAssessment = { level: 'low', reasons: [], rulesVersion: 'v' };
const medium: RiskAssessment = { level: 'medium', reasons: [{ rule: 'xray.unreadable', severity: 'medium', message: 'X-ray image unreadable' }], rulesVersion: 'v' };
const incomplete: MatchResult = { ...ok, complete: false, missing: ['payment'] };
const inconsistent = matchDocuments(introduceMismatch(base, 'payment.amountPaid').set);
const status = (returnStatus: number, returnInfo = '', holds: string[] = []): CustomsStatus => ({ returnStatus, returnInfo, holds });

describe('decideRelease', () => {
  it.each([
    ['no receipt yet', ok, low, undefined, 'pending'],
    ['released (800), documents fine, risk low', ok, low, status(800), 'released'],
    ['concluded (399)', ok, low, status(399), 'released'],
    ['closed after release (899)', ok, low, status(899), 'released'],
    ['released but risk medium', ok, medium, status(800), 'pending'],
    ['released but a document missing', incomplete, low, status(800), 'pending'],
    ['released but documents disagree', inconsistent, low, status(800), 'pending'],
    ['released but held', ok, low, status(800, '', ['targeting hold T-17']), 'hold'],
    ['inspection ordered (500)', ok, low, status(500), 'inspect'],
    ['inspection ordered, documents disagree', inconsistent, medium, status(500), 'inspect'],
    ['detained to clearance (501)', ok, low, status(501), 'hold'],
    ['detained anti-smuggling (502)', ok, low, status(502), 'hold'],
    ['detained legal (503)', ok, low, status(503), 'hold'],
    ['detained other (599)', ok, low, status(599), 'hold'],
    ['rejected (100)', ok, low, status(100, '订购人身份信息校验未通过'), 'hold'],
    ['customs error (-621005)', ok, low, status(-621005, '超过单次交易限值'), 'hold'],
    ['accepted (120)', ok, low, status(120), 'pending'],
    ['manual review (300)', ok, low, status(300), 'pending'],
    ['at the e-port (2)', ok, low, status(2), 'pending'],
    ['returned to origin (700)', ok, low, status(700), 'pending'],
  ] as const)('%s → %s', (_what, match, risk, customs, decision) => {
    expect(decideRelease(match, risk, customs).decision).toBe(decision);
  });

  it('a rejection carries customs returnInfo', () => {
    const d = decideRelease(ok, low, status(-621005, '超过单次交易限值'));
    expect(d.reasons[0]).toEqual({ rule: 'customs.-621005', message: 'customs -621005 (format or business error): 超过单次交易限值', code: 'customs.status', params: { status: -621005, info: '超过单次交易限值' } });
  });

  it('pending lists every cause: match, risk and customs', () => {
    const d = decideRelease(inconsistent, medium, status(800));
    expect(d.reasons.map((r) => r.rule)).toEqual(['match:order-payment.amount', 'risk:xray.unreadable', 'customs.800']);
  });

  it('a release names the rules version it was decided under', () => {
    expect(decideRelease(ok, low, status(800)).reasons[0]!.message).toContain('rules v');
  });
});

const listRef: ReceiptRef = { kind: 'inventory', copNo: base.set.inventory.copNo! };
const receipt = (messageType: string, returnStatus: number, returnTime: string, refersTo: ReceiptRef = listRef, returnInfo = ''): Receipt =>
  Receipt.parse({ kind: 'receipt', messageType, refersTo, returnStatus, returnTime, returnInfo });
const orderRef: ReceiptRef = { kind: 'order', orderNo: base.set.order.orderNo, ebpCode: base.set.order.ebpCode };

describe('customsStatusOf: receipts drive the decision', () => {
  it('takes the latest list receipt by time, whatever the arrival order', () => {
    const rs = [receipt('CEB622', 800, '20250301120000000'), receipt('CEB622', 120, '20250301100000000'), receipt('CEB622', 399, '20250301110000000')];
    expect(customsStatusOf(rs)).toMatchObject({ returnStatus: 800, holds: [] });
  });

  it('on a tie, the later receipt in the list', () => {
    expect(customsStatusOf([receipt('CEB622', 500, '20250301120000000'), receipt('CEB622', 800, '20250301120000000')])?.returnStatus).toBe(800);
  });

  it('no list receipt: undefined (pending); cancel receipts (624) do not count as the list status', () => {
    expect(customsStatusOf([])).toBeUndefined();
    expect(customsStatusOf([receipt('CEB624', 800, '20250301120000000'), receipt('CEB312', 120, '20250301100000000', orderRef)])).toBeUndefined();
  });

  it('a rejected order holds the list; a later acceptance of the order clears it', () => {
    const rejected = [receipt('CEB312', 100, '20250301100000000', orderRef, '订单重复申报'), receipt('CEB622', 800, '20250301120000000')];
    const s = customsStatusOf(rejected)!;
    expect(s.holds).toEqual(['order CEB312 100: 订单重复申报']);
    expect(decideRelease(ok, low, s).decision).toBe('hold');
    const accepted = customsStatusOf([...rejected, receipt('CEB312', 120, '20250301101500000', orderRef)])!;
    expect(accepted.holds).toEqual([]);
    expect(decideRelease(ok, low, accepted).decision).toBe('released');
  });

  it('holds from elsewhere are kept', () => {
    expect(customsStatusOf([receipt('CEB622', 800, '20250301120000000')], ['officer hold'])?.holds).toEqual(['officer hold']);
  });

  it('a parcel from order to release, end to end', () => {
    const { match, risk } = assess(base);
    const steps: [number, string][] = [
      [2, 'pending'],
      [120, 'pending'],
      [300, 'pending'],
      [399, 'released'],
      [800, 'released'],
    ];
    const receipts: Receipt[] = [];
    steps.forEach(([code, decision], i) => {
      receipts.push(receipt('CEB622', code, `2025030110${String(i).padStart(2, '0')}00000`));
      expect(decideRelease(match, risk, customsStatusOf(receipts)).decision).toBe(decision);
    });
  });
});

describe('toParcelDecision', () => {
  const parcel = { parcelKey: base.set.waybill.logisticsNo, declaredWeightKg: Number(base.set.waybill.weight), orderNo: base.set.order.orderNo };

  it.each([
    ['released', 'released'],
    ['hold', 'hold'],
    ['inspect', 'inspect'],
    ['pending', 'hold'],
  ] as const)('%s → %s, a valid feed value', (decision, feed) => {
    const d = toParcelDecision({ decision, reasons: [{ rule: 'x', message: 'because' }] }, parcel);
    expect(ParcelDecision.parse(d)).toEqual(d);
    expect(d).toMatchObject({ parcelKey: parcel.parcelKey, decision: feed, declaredWeightKg: parcel.declaredWeightKg, orderNo: parcel.orderNo });
    if (decision === 'pending') expect(d.reason).toBe('pending officer review: because');
  });

  it('keeps the reason within the feed limit', () => {
    const d = toParcelDecision({ decision: 'hold', reasons: Array.from({ length: 40 }, (_, i) => ({ rule: 'r', message: `reason number ${i} is rather long` })) }, parcel);
    expect(d.reason!.length).toBe(500);
    expect(ParcelDecision.safeParse(d).success).toBe(true);
  });

  it('from documents to the line: a suspicious parcel released by customs is not auto-released', () => {
    const { parcel: p, rules } = introduceRiskTrigger(base, 'xray-suspect', RULES);
    const { match, risk } = assess(p, rules);
    const facts = parcelFacts(p.set, p.line);
    const d = toParcelDecision(decideRelease(match, risk, status(800)), { parcelKey: facts.parcelKey, declaredWeightKg: facts.declaredWeightKg! });
    expect(d).toMatchObject({ decision: 'hold', declaredWeightKg: Number(base.set.waybill.weight) });
    expect(d.reason).toContain('X-ray image marked suspect');
  });
});

describe('purity', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads no clock and no randomness', () => {
    const now = vi.spyOn(Date, 'now');
    const random = vi.spyOn(Math, 'random');
    const p = generateParcel({ seed: 1 }, 1);
    const incompleteParcel = withoutDocuments(p, 'payment');
    const { match, risk } = assess(incompleteParcel, rulesOf({ sampling: { rate: 0.5 } }));
    decideRelease(match, risk, customsStatusOf([receipt('CEB622', 800, '20250301120000000')]));
    expect(now).not.toHaveBeenCalled();
    expect(random).not.toHaveBeenCalled();
  });
});
