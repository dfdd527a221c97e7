import type { Logger } from 'pino';
import { z } from 'zod';
import { BondgateError, validationError } from '../../shared/errors.ts';
import { RiskRules } from '../customs/risk.ts';
import type { CaseRepo } from '../repos/cases.ts';
import type { RiskRulesRepo, RiskRuleVersion, RiskRuleVersionSummary } from '../repos/risk-rules.ts';
import { chinaDay, chinaDayStartMs } from '../repos/stats.ts';
import type { Storage } from '../storage/storage.ts';
import type { CustomsService } from './customs.ts';

/**
 * Risk rules as versioned data an admin edits (风险规则管理): list and read versions, try a proposal against the
 * parcels decided on a day (yesterday by default) before applying it, and apply it — a new version, active at once in
 * the customs engine, on the audit chain. On start the active stored version wins over the config file; the config
 * seeds version 1 when there is none.
 */

/** A proposal: a rule set without its label (the service names it after the version it would become). */
export const ProposedRules = z.record(z.string(), z.unknown());
export const WhatIfBody = z.object({ rules: ProposedRules, day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD').optional(), cursor: z.string().max(300).optional() }).strict();
export const ApplyBody = z.object({ rules: ProposedRules, comment: z.string().trim().min(1).max(500) }).strict();

type Decision = 'released' | 'hold' | 'inspect' | 'pending';
const DECISIONS: readonly Decision[] = ['released', 'hold', 'inspect', 'pending'];
const zero = (): Record<Decision, number> => ({ released: 0, hold: 0, inspect: 0, pending: 0 });

export interface ChangedParcel {
  parcelKey: string;
  orderNo: string;
  tradeMode: string | null;
  before: Decision;
  after: Decision;
  /** Risk rules that fire under the proposal and not under the active rules, and the other way round. */
  added: string[];
  removed: string[];
}

export interface WhatIfResult {
  day: string;
  activeLabel: string;
  proposedLabel: string;
  /** Cases looked at in this page. */
  assessed: number;
  before: Record<Decision, number>;
  after: Record<Decision, number>;
  changed: ChangedParcel[];
  /** More changed parcels than the list holds. */
  changedTruncated: boolean;
  /** More cases decided that day: ask again with this cursor for the next page. */
  nextCursor: string | null;
}

/** Cases re-judged per request: each reads its documents and receipts, so a busy day is paged. */
export const WHAT_IF_PAGE = 2000;
const CHANGED_LIMIT = 500;

export class RiskRulesService {
  private readonly now: () => number;
  constructor(private readonly d: { repo: RiskRulesRepo; customs: CustomsService; cases: CaseRepo; storage: Storage; log?: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
  }

  /** At start: seed version 1 from the config when the table is empty, then make the active stored version live. */
  async init(configRules: RiskRules | undefined): Promise<RiskRuleVersion | undefined> {
    const seed = configRules ?? this.d.customs.activeRules;
    await this.d.repo.add(() => ({ label: seed.version, rules: seed }), { author: 'config', comment: 'seeded from the hub configuration', nowMs: this.now(), onlyIfEmpty: true });
    const active = await this.d.repo.active();
    if (!active) return undefined;
    const parsed = RiskRules.safeParse(active.rules);
    if (!parsed.success) {
      // A stored version the current schema no longer reads: keep deciding under the config's rules, loudly.
      this.d.log?.error({ version: active.version, issues: parsed.error.issues.length }, 'active risk rules do not parse: using the configured rules');
      return undefined;
    }
    this.d.customs.setRules(parsed.data);
    return active;
  }

  list(limit: number, before?: number): Promise<{ items: RiskRuleVersionSummary[]; nextBefore: number | null }> {
    return this.d.repo.list(limit, before);
  }

  async get(version: number): Promise<RiskRuleVersion> {
    const v = await this.d.repo.get(version);
    if (!v) throw new BondgateError('NOT_FOUND', `no risk rules version ${version}`);
    return v;
  }

  /** The label version `n` gets: decisions record it, and sampling is keyed on it. */
  static label(version: number): string {
    return `v${version}`;
  }

  private parse(input: Record<string, unknown>, label: string): RiskRules {
    const r = RiskRules.safeParse({ ...input, version: label });
    if (!r.success) throw validationError(r.error, 'VALIDATION_FAILED', 'rules');
    return r.data;
  }

  /**
   * What the proposal would have done to the parcels decided on `day` (China time; yesterday by default): each case
   * judged again from its stored documents under the active rules and under the proposal, nothing written.
   */
  async whatIf(input: z.infer<typeof WhatIfBody>): Promise<WhatIfResult> {
    const proposedLabel = RiskRulesService.label(await this.d.repo.nextVersion());
    const proposed = this.parse(input.rules, proposedLabel);
    const active = this.d.customs.activeRules;
    const day = input.day ?? chinaDay(this.now() - 86_400_000);
    const fromMs = chinaDayStartMs(day);
    if (Number.isNaN(fromMs)) throw new BondgateError('VALIDATION_FAILED', 'not a calendar day', [{ field: 'day', message: 'not a calendar day' }]);
    const page = await this.d.cases.list({ updatedFromMs: fromMs, updatedToMs: fromMs + 86_400_000, limit: WHAT_IF_PAGE, ...(input.cursor ? { cursor: input.cursor } : {}) });
    const before = zero();
    const after = zero();
    const changed: ChangedParcel[] = [];
    let changedCount = 0;
    for (const c of page.items) {
      const r = await this.d.customs.reassess(c.orderNo, [active, proposed]);
      const [was, would] = r.outcomes;
      if (!was || !would || r.parcelKey !== c.parcelKey) continue;
      before[was.release.decision]++;
      after[would.release.decision]++;
      if (was.release.decision === would.release.decision) continue;
      changedCount++;
      if (changed.length >= CHANGED_LIMIT) continue;
      const wasRules = new Set(was.risk.reasons.map((x) => x.rule));
      const wouldRules = new Set(would.risk.reasons.map((x) => x.rule));
      changed.push({
        parcelKey: c.parcelKey,
        orderNo: c.orderNo,
        tradeMode: c.tradeMode,
        before: was.release.decision,
        after: would.release.decision,
        added: [...wouldRules].filter((x) => !wasRules.has(x)),
        removed: [...wasRules].filter((x) => !wouldRules.has(x)),
      });
    }
    return { day, activeLabel: active.version, proposedLabel, assessed: DECISIONS.reduce((n, k) => n + before[k], 0), before, after, changed, changedTruncated: changedCount > changed.length, nextCursor: page.nextCursor };
  }

  /** Store the proposal as the next version, make it active here and now, and audit it. */
  async apply(actor: string, input: z.infer<typeof ApplyBody>): Promise<RiskRuleVersion> {
    this.parse(input.rules, 'check'); // refuse before taking a version number
    const previous = this.d.customs.activeRules.version;
    let parsed: RiskRules | undefined;
    const stored = await this.d.repo.add(
      (n) => {
        parsed = this.parse(input.rules, RiskRulesService.label(n));
        return { label: parsed.version, rules: parsed };
      },
      { author: actor, comment: input.comment, nowMs: this.now() },
    );
    if (!stored || !parsed) throw new BondgateError('CONFLICT', 'the rules were not stored');
    this.d.customs.setRules(parsed);
    await this.d.storage.appendAudit({ actor, action: 'risk-rules.apply', subject: `risk-rules:${stored.label}`, detail: { version: stored.version, label: stored.label, previous, comment: input.comment } }, stored.createdMs);
    return stored;
  }
}
