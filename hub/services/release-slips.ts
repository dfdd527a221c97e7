import type { Logger } from 'pino';
import { BondgateError, type FieldIssue } from '../../shared/errors.ts';
import type { EdgeEvent } from '../../shared/schemas/events.ts';
import { ReleaseSlip } from '../../shared/stations/feed.ts';
import { normaliseSlipNo } from '../../shared/stations/gate.ts';
import { chinaYear } from '../customs/cases.ts';
import { planSlip, problemText, voidRefusal, type SlipCase, type SlipIssueRequest, type SlipProblem } from '../customs/release-slips.ts';
import type { CaseRecord, CaseRepo } from '../repos/cases.ts';
import type { ReleaseSlipRepo, SlipCandidateQuery, SlipListQuery, SlipRecord } from '../repos/release-slips.ts';
import type { Storage } from '../storage/storage.ts';
import type { Projection } from './projections.ts';
import { afterPassage } from './slips.ts';
import type { StationFeedService } from './station-feed.ts';

/**
 * Release slips at the hub: an officer groups released parcels into one vehicle's load and issues the slip; the slip
 * goes to every gate through the station feed and onto the audit chain; an officer may void it before it passes; the
 * gate's `gate.passed` moves it on (the 'release-slips' projection). Slips carry no personal data (plates, containers,
 * parcel keys and case statuses only), so nothing here is masked.
 */
export interface SlipParcel {
  parcelKey: string;
  /** The parcel's customs case now; null when the case is gone. */
  caseStatus: CaseRecord['status'] | null;
  declaredWeightKg: number | null;
}

export interface SlipDetail extends SlipRecord {
  /** What the slip's QR code carries: what the gate's scanner reads (gate.ts `slip.scanned`). */
  gatePayload: string;
  parcels: SlipParcel[];
  /**
   * Parcels customs stopped after the slip was issued (held, inspection…). Nothing needs doing at the hub: the gate
   * refuses a slip with held goods by itself (its decision cache); the officer sees here why the truck will stop.
   */
  blockedAtGate: { parcelKey: string; caseStatus: CaseRecord['status'] | null }[];
}

/** Refusals listed field by field, at most this many (the message gives the total). */
const MAX_FIELDS = 200;
/** Numbers taken by slips put into the feed by hand (the demo's) are skipped, at most this many in a row. */
const MAX_NUMBER_TRIES = 50;

export class ReleaseSlipService {
  private readonly now: () => number;
  private readonly district: string;

  constructor(private readonly d: { storage: Storage; slips: ReleaseSlipRepo; cases: CaseRepo; feed: StationFeedService; log: Logger; /** 4-digit customs district of the zone (5301 in the demo). */ district?: string; /** Who makes approved slips: officers here (`officer`, the default), or customs by receipt through the bonded book (`bonded`: issue is refused). */ issuing?: 'officer' | 'bonded'; now?: () => number }) {
    this.now = d.now ?? Date.now;
    this.district = d.district ?? '5301';
  }

  /** Check the parcels, number the slip, store it, push it to the gates, audit it. */
  async issue(req: SlipIssueRequest, officer: string): Promise<SlipDetail> {
    // 金二: a slip is the enterprise's application and customs' approval (SAS221), never an officer's issue (issue 19).
    if (this.d.issuing === 'bonded') throw new BondgateError('CONFLICT', 'release slips are applied for at /api/bonded/slips and approved by customs (SAS221); officers no longer issue them here');
    const cases = new Map<string, SlipCase>((await this.d.cases.getMany(req.parcelKeys)).map((c) => [c.parcelKey, c]));
    const plan = planSlip(req, cases, await this.d.slips.bindings(req.parcelKeys));
    if (!plan.ok) throw refusal(req.parcelKeys, plan.problems);
    const nowMs = this.now();
    const passportNo = await this.freshNumber(req.ioType, chinaYear(nowMs));
    const slip: ReleaseSlip = { ...plan.slip, passportNo };
    // The pre-check above ran without the lock: the issue transaction checks again under it.
    const stored = await this.d.slips.issue(slip, officer, nowMs);
    if (!stored.ok) throw refusal(req.parcelKeys, stored.conflicts.map((b) => ({ parcelKey: b.parcelKey, problem: 'on_slip', passportNo: b.passportNo, slipStatus: b.status })));
    await this.d.feed.put([{ kind: 'slip', key: passportNo, value: slip }]);
    await this.d.storage.appendAudit(
      { actor: officer, action: 'slip.issue', subject: passportNo, detail: { ioType: slip.ioType, gateMode: slip.gateMode, vehicleNo: slip.vehicleNo, containerNos: slip.containerNos, sealIds: slip.sealIds, parcels: slip.goods.length, totalGrossWtKg: slip.totalGrossWtKg, ...(slip.totalWtKg !== undefined ? { totalWtKg: slip.totalWtKg } : {}) } },
      nowMs,
    );
    this.d.log.info({ slipNo: passportNo, parcels: slip.goods.length, officer }, 'release slip issued');
    return this.withParcels(stored.record);
  }

  /** Void a slip that has not passed any gate; its parcels are free for another slip. */
  async void(passportNo: string, reason: string, officer: string): Promise<SlipDetail> {
    const r = await this.d.slips.setStatus(passportNo, (cur) => voidRefusal(cur.slip.status) ?? { status: 'void', voidReason: reason, voidedBy: officer }, this.now());
    if (!r) throw new BondgateError('NOT_FOUND', `no release slip ${passportNo}`);
    if (!r.ok) throw new BondgateError('CONFLICT', `slip ${passportNo} cannot be voided: ${r.reason}`);
    await this.d.feed.put([{ kind: 'slip', key: passportNo, value: r.record.slip }]);
    await this.d.storage.appendAudit({ actor: officer, action: 'slip.void', subject: passportNo, detail: { reason, parcels: r.record.slip.goods.length } }, this.now());
    this.d.log.info({ slipNo: passportNo, officer }, 'release slip voided');
    return this.withParcels(r.record);
  }

  /**
   * Customs accepted the cancellation of a parcel's list (624/606 399): the parcel is never releasable, so its binding is
   * freed — it comes off a slip that has not passed any gate (the slip's weights shrink; a slip left empty is void),
   * the gates get the new slip. A slip already past a gate keeps it (the goods moved): the gate has the parcel's hold.
   */
  async onCaseCancelled(c: CaseRecord, actor: string): Promise<void> {
    const binding = (await this.d.slips.bindings([c.parcelKey])).get(c.parcelKey);
    if (!binding) return;
    const reason = `list of ${c.parcelKey} cancelled by customs`;
    const r = await this.d.slips.removeParcel(binding.passportNo, c.parcelKey, c.declaredWeightKg, reason, actor, this.now());
    if (!r || !r.ok) {
      this.d.log.warn({ slipNo: binding.passportNo, parcelKey: c.parcelKey, why: r ? r.reason : 'no such slip' }, 'cancelled parcel stays on its slip');
      return;
    }
    await this.d.feed.put([{ kind: 'slip', key: binding.passportNo, value: r.record.slip }]);
    await this.d.storage.appendAudit({ actor, action: 'slip.unbind', subject: binding.passportNo, detail: { parcelKey: c.parcelKey, orderNo: c.orderNo, reason, parcels: r.record.slip.goods.length, status: r.record.slip.status } }, this.now());
    this.d.log.info({ slipNo: binding.passportNo, parcelKey: c.parcelKey }, 'cancelled parcel taken off its release slip');
  }

  /** The slip that binds a parcel (not void or deleted), for the parcel's standing; null when none does. */
  async slipOf(parcelKey: string): Promise<{ passportNo: string; status: ReleaseSlip['status'] } | null> {
    const b = (await this.d.slips.bindings([parcelKey])).get(parcelKey);
    return b ? { passportNo: b.passportNo, status: b.status } : null;
  }

  async detail(passportNo: string): Promise<SlipDetail> {
    return this.withParcels(await this.record(passportNo));
  }

  list(q: SlipListQuery) {
    return this.d.slips.list(q);
  }

  /** Released parcels not on an open slip: what the dashboard offers for a new slip. */
  candidates(q: SlipCandidateQuery) {
    return this.d.slips.candidates(q);
  }

  /** The text the slip's QR code carries: the passportNo alone — the gate normalises and looks it up in its feed copy. */
  async gatePayload(passportNo: string): Promise<string> {
    return (await this.record(passportNo)).slip.passportNo;
  }

  /**
   * The gate passage closes the slip: each `gate.passed` naming a slip moves it on once (by event id) — in the slip
   * table for slips issued here, and in the station feed for all, so every other lane refuses it too. A redelivered or
   * replayed event changes nothing, except to finish a push to the feed that a crash cut short.
   */
  passages(): Projection {
    return { name: 'release-slips', types: ['gate.passed'], apply: (gatewayId, events) => this.applyPassages(gatewayId, events) };
  }

  private async applyPassages(gatewayId: string, events: readonly EdgeEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type !== 'gate.passed' || !e.payload.slipNo) continue;
      const passportNo = normaliseSlipNo(e.payload.slipNo);
      const fed = ReleaseSlip.safeParse(await this.d.storage.feedGet('slip', passportNo));
      const feedSlip = fed.success ? fed.data : undefined;
      const r = await this.d.slips.passage({ eventId: e.id, passportNo, gatewayId, laneId: e.payload.laneId, atMs: this.now() }, feedSlip, afterPassage);
      if (r.kind === 'unknown') continue; // a slip the hub never issued: the lane's own alarm already says so
      let publish: ReleaseSlip | undefined;
      if (r.kind === 'applied') publish = r.after !== r.before ? r.slip : undefined;
      else if (r.slip) publish = feedSlip?.status !== r.slip.status ? r.slip : undefined;
      else publish = feedSlip && feedSlip.status === r.before && r.after !== r.before ? { ...feedSlip, status: r.after } : undefined;
      if (!publish) continue;
      await this.d.feed.put([{ kind: 'slip', key: passportNo, value: publish }]);
      await this.d.storage.appendAudit(
        { actor: `gateway:${gatewayId}`, action: 'slip.passage', subject: passportNo, detail: { laneId: e.payload.laneId, status: publish.status, eventId: e.id, ...(e.payload.manual ? { manualBy: e.payload.manual.by } : {}) } },
        this.now(),
      );
      this.d.log.info({ slipNo: passportNo, status: publish.status, gatewayId }, 'release slip moved on by a gate passage');
    }
  }

  private async record(passportNo: string): Promise<SlipRecord> {
    const r = await this.d.slips.get(normaliseSlipNo(passportNo));
    if (!r) throw new BondgateError('NOT_FOUND', `no release slip ${passportNo}`);
    return r;
  }

  private async withParcels(r: SlipRecord): Promise<SlipDetail> {
    const cases = new Map((await this.d.cases.getMany(r.slip.goods)).map((c) => [c.parcelKey, c]));
    const parcels = r.slip.goods.map((parcelKey) => {
      const c = cases.get(parcelKey);
      return { parcelKey, caseStatus: c?.status ?? null, declaredWeightKg: c?.declaredWeightKg ?? null };
    });
    // Once the slip is used or void, what happened to a parcel since no longer stops a truck.
    const live = r.slip.status === 'approved' || r.slip.status === 'passed_gate1' || r.slip.status === 'applied';
    const blockedAtGate = live ? parcels.filter((p) => p.caseStatus !== 'released').map(({ parcelKey, caseStatus }) => ({ parcelKey, caseStatus })) : [];
    return { ...r, gatePayload: r.slip.passportNo, parcels, blockedAtGate };
  }

  private async freshNumber(ioType: ReleaseSlip['ioType'], year: number): Promise<string> {
    for (let i = 0; i < MAX_NUMBER_TRIES; i++) {
      const no = await this.d.slips.allocatePassportNo(this.district, ioType, year);
      // A slip put straight into the feed (demo, tests, a migration) owns its number: never overwrite it.
      if ((await this.d.storage.feedGet('slip', no)) == null) return no;
    }
    throw new BondgateError('CONFLICT', `no free slip number after ${MAX_NUMBER_TRIES} tries: the station feed holds slips numbered like this zone's`);
  }
}

/** 409 naming every parcel that cannot go on the slip and why. */
function refusal(parcelKeys: readonly string[], problems: readonly SlipProblem[]): BondgateError {
  const index = new Map(parcelKeys.map((k, i) => [k, i]));
  const lines = problems.map((p) => `${p.parcelKey}: ${problemText(p)}`);
  const parcels = new Set(problems.map((p) => p.parcelKey)).size;
  const head = lines.slice(0, 5).join('; ');
  const fields: FieldIssue[] = problems.slice(0, MAX_FIELDS).map((p, i) => ({ field: `parcelKeys.${index.get(p.parcelKey) ?? 0}`, message: lines[i]! }));
  return new BondgateError('CONFLICT', `${parcels} parcel(s) cannot go on this slip: ${head}${lines.length > 5 ? ` (+${lines.length - 5} more)` : ''}`, fields);
}
