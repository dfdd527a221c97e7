import type { Logger } from 'pino';
import { BondgateError, type FieldIssue } from '../../shared/errors.ts';
import { documentKey, DocumentSet, parseDocument, Receipt, type CustomsDocument } from '../customs/documents.ts';
import { DEFAULT_MATCH_OPTIONS, matchDocuments, type MatchResult } from '../customs/matching.ts';
import { assessRisk, customsStatusOf, decideRelease, parcelFacts, prepareRiskRules, RiskRules, toParcelDecision, type ReleaseDecision, type RiskAssessment } from '../customs/risk.ts';
import type { Storage } from '../storage/storage.ts';
import type { StationFeedService } from './station-feed.ts';

/**
 * Customs documents in (JSON, or CEB XML mapped by hub/customs/ceb/to-documents.ts): a batch is validated whole before anything is stored, so a bad document leaves
 * nothing half-stored. Each order touched is then matched (三单对碰), its risk assessed under the versioned rules
 * and its release decided; the decision goes to the stations through the feed and on the audit chain.
 */
export interface OrderOutcome {
  orderNo: string;
  parcelKey: string | null;
  match: MatchResult;
  risk: RiskAssessment;
  release: ReleaseDecision;
}

export class CustomsService {
  private readonly rules;

  constructor(private readonly d: { storage: Storage; feed: StationFeedService; log: Logger; rules?: RiskRules; now?: () => number }) {
    this.rules = prepareRiskRules(d.rules ?? RiskRules.parse({ version: 'default' }));
  }

  /** `original`: the message the documents came from (CEB XML), kept beside each for audit. */
  async ingest(inputs: unknown[], actor: string, original: string | null = null): Promise<OrderOutcome[]> {
    const docs: CustomsDocument[] = [];
    const issues: FieldIssue[] = [];
    inputs.forEach((input, i) => {
      try {
        docs.push(parseDocument(input));
      } catch (e) {
        const fields = (e as { fields?: FieldIssue[] }).fields ?? [{ field: '', message: (e as Error).message }];
        for (const f of fields) issues.push({ field: `documents.${i}${f.field ? `.${f.field}` : ''}`, message: f.message });
      }
    });
    if (issues.length > 0) throw new BondgateError('VALIDATION_FAILED', `${issues.length} problem(s) in ${inputs.length} document(s); nothing was stored`, issues);

    const now = (this.d.now ?? Date.now)();
    const orders = new Set<string>();
    for (const doc of docs) {
      const orderNo = 'orderNo' in doc && typeof doc.orderNo === 'string' ? doc.orderNo : null;
      const subjectKey = doc.kind === 'receipt' ? documentKey(doc.refersTo) : null;
      await this.d.storage.putDocument({ kind: doc.kind, key: documentKey(doc), orderNo, subjectKey, body: doc as unknown as Record<string, unknown>, original, receivedMs: now });
      if (orderNo) orders.add(orderNo);
      if (doc.kind === 'receipt' && 'orderNo' in doc.refersTo) orders.add(doc.refersTo.orderNo);
    }
    const outcomes: OrderOutcome[] = [];
    for (const orderNo of orders) outcomes.push(await this.decide(orderNo, actor));
    return outcomes;
  }

  /** Re-decide one order from everything stored for it. */
  async decide(orderNo: string, actor: string): Promise<OrderOutcome> {
    const stored = await this.d.storage.documentsByOrder(orderNo);
    const pick = (kind: string) => stored.find((s) => s.kind === kind)?.body;
    const set = DocumentSet.parse({ order: pick('order'), payment: pick('payment'), waybill: pick('waybill'), inventory: pick('inventory') });
    const receipts = (await this.d.storage.receiptsFor(stored.map((s) => s.key))).map((r) => Receipt.parse(r.body));
    const match = matchDocuments(set, DEFAULT_MATCH_OPTIONS);
    const risk = assessRisk(parcelFacts(set), this.rules, { match });
    const release = decideRelease(match, risk, customsStatusOf(receipts));
    const parcelKey = set.waybill?.logisticsNo ?? set.inventory?.logisticsNo ?? null;
    if (parcelKey) {
      const decision = toParcelDecision(release, { parcelKey, ...(set.waybill?.weight !== undefined ? { declaredWeightKg: set.waybill.weight } : {}), orderNo });
      await this.d.feed.put([{ kind: 'decision', key: parcelKey, value: decision }]);
      await this.d.storage.appendAudit({ actor, action: 'parcel.decide', subject: parcelKey, detail: { orderNo, decision: release.decision, level: risk.level, rulesVersion: risk.rulesVersion, reasons: release.reasons.map((r) => r.rule) } }, (this.d.now ?? Date.now)());
    }
    return { orderNo, parcelKey, match, risk, release };
  }
}
