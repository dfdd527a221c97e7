import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BondgateError } from '../../shared/errors.ts';
import type { ReleaseSlip } from '../../shared/stations/feed.ts';
import { available, balance, type BookItem } from '../bonded/ledger.ts';
import { consolidateExit, declareRefusal, listNo, makeList, type CountedLine, type ItemRef, type ReleasedOrder } from '../bonded/lists.ts';
import { buildInv101, buildSas121, type Enterprise, type ListPricing } from '../bonded/messages.ts';
import { PASSPORT_NO_24, type BondList, type BondSlip, type BookItemFiling, type ListKind } from '../bonded/model.ts';
import { normaliseSlipNo } from '../../shared/stations/gate.ts';
import type { Projection } from './projections.ts';
import { formatQty } from '../bonded/qty.ts';
import type { BondReceipt } from '../bonded/receipts.ts';
import { reconcile, type PhysicalStock } from '../bonded/reconcile.ts';
import { applyRefusal, prepareSlip, toFeedSlip, usedOnSlips, type SlipPrepareRequest } from '../bonded/slips.ts';
import { itemStates } from '../bonded/stock-state.ts';
import type { HubConfig } from '../config.ts';
import type { AlarmRepo } from '../repos/alarms.ts';
import type { BondedRepo, ReceiptOutcome } from '../repos/bonded.ts';
import type { Storage } from '../storage/storage.ts';
import type { StationFeedService } from './station-feed.ts';

export type BondedConfig = NonNullable<HubConfig['bonded']>;

/** Where released 1210 orders come from (their lines by SKU): the documents' order items, wired at merge. */
export type ReleasedOrderSource = (fromMs: number, toMs: number) => Promise<ReleasedOrder[]>;

/**
 * The bonded account book at the hub (hub/bonded is the pure part): lists made from what happened and sent (申报) as
 * INV101, slips prepared and sent (申报) as SAS121 by the zone enterprise, customs' receipts applied — the only way the
 * book, a list's write-off flag or a slip's approval (审批) change — gate passages counted, daily reconciliation.
 * Built messages go to `bonded_messages` in the same transaction as the status change: the e-port outbox (issue 18)
 * takes them from there; `applyReceipt` is what its inbox calls.
 */
export class BondedService {
  private readonly now: () => number;
  private readonly enterprise: Enterprise;

  constructor(private readonly d: { repo: BondedRepo; storage: Storage; feed: StationFeedService; config: BondedConfig; alarms?: AlarmRepo; releasedOrders?: ReleasedOrderSource; /** The desks' bonded stock per SKU now (StockRepo totals, warehouse bonded). */ physicalStock?: () => Promise<PhysicalStock[]>; log: Logger; now?: () => number }) {
    this.now = d.now ?? Date.now;
    const c = d.config;
    this.enterprise = { ...c.enterprise, district: c.district, sysId: c.sysId, impexpPortcd: c.impexpPortcd ?? c.district };
  }

  // --- the book -------------------------------------------------------------------------------------------------

  async fileItem(f: BookItemFiling, actor: string) {
    if (f.emsNo !== this.d.config.emsNo) throw new BondgateError('VALIDATION_FAILED', `this hub keeps book ${this.d.config.emsNo}`, [{ field: 'emsNo', message: `must be ${this.d.config.emsNo}` }]);
    const r = await this.d.repo.fileItem(f, this.now());
    if (r === 'exists') throw new BondgateError('CONFLICT', `item ${f.gdsSeqno} is already on book ${f.emsNo}`);
    await this.d.storage.appendAudit({ actor, action: 'bonded.item.file', subject: `${f.emsNo}#${f.gdsSeqno}`, detail: { gdsMtno: f.gdsMtno, gdecd: f.gdecd, openingQty: f.openingQty } }, this.now());
  }

  async book() {
    const [items, lists, slips] = await Promise.all([this.d.repo.items(this.d.config.emsNo), this.d.repo.lists({ limit: 5000, emsNo: this.d.config.emsNo }), this.d.repo.slips({ limit: 5000 })]);
    const states = new Map(itemStates(items, lists, slips).map((s) => [s.gdsSeqno, s.qty]));
    return { emsNo: this.d.config.emsNo, items: items.map((i) => ({ ...itemView(i), states: Object.fromEntries(Object.entries(states.get(i.gdsSeqno) ?? {}).map(([k, v]) => [k, formatQty(v)])) })) };
  }

  /** An item with every change behind its figures: the move, its list and the receipt that made it. */
  async item(gdsSeqno: number, limit = 200) {
    const item = (await this.d.repo.items(this.d.config.emsNo)).find((i) => i.gdsSeqno === gdsSeqno);
    if (!item) throw new BondgateError('NOT_FOUND', `no item ${gdsSeqno} on book ${this.d.config.emsNo}`);
    return { ...itemView(item), moves: await this.d.repo.moves(item.emsNo, gdsSeqno, limit) };
  }

  // --- lists --------------------------------------------------------------------------------------------------------

  /** A list from what happened: a tally (first line), a return, a transfer. Drafted, not sent. */
  async makeList(inp: { kind: Exclude<ListKind, 'second_line_out'>; lines: CountedLine[]; sources: string[]; transferScope?: 'intra' | 'inter'; rltPutrecNo?: string }, actor: string): Promise<BondList> {
    const nowMs = this.now();
    const no = await this.listNumber(inp.kind === 'transfer_out' ? 'E' : 'I', nowMs);
    const m = makeList({ etpsInnerInvtNo: no, emsNo: this.d.config.emsNo, supvModecd: this.d.config.supvModecd, nowMs, ...inp }, await this.catalog());
    if (!m.ok) throw new BondgateError('CONFLICT', `list not made: ${m.problems.map((p) => ('sku' in p ? `${p.sku} ${p.problem}` : p.problem)).join('; ')}`, m.problems.map((p, i) => ({ field: `lines.${i}`, message: 'sku' in p ? `${p.sku}: ${p.problem}` : p.problem })));
    await this.d.repo.putList(m.list);
    await this.d.storage.appendAudit({ actor, action: 'bonded.list.make', subject: no, detail: { kind: inp.kind, lines: m.list.lines.length, sources: inp.sources.length } }, nowMs);
    return m.list;
  }

  /** The second-line exit list: released 1210 orders of the period (default: the configured period ending now). */
  async makeExit(inp: { fromMs?: number; toMs?: number; released?: ReleasedOrder[] }, actor: string): Promise<BondList> {
    const nowMs = this.now();
    const toMs = inp.toMs ?? nowMs;
    const fromMs = inp.fromMs ?? toMs - this.d.config.exitPeriodHours * 3_600_000;
    const released = inp.released ?? (this.d.releasedOrders ? await this.d.releasedOrders(fromMs, toMs) : []);
    const no = await this.listNumber('E', nowMs);
    const m = consolidateExit(no, this.d.config.emsNo, released, { fromMs, toMs }, await this.catalog(), nowMs);
    if (!m.ok) throw new BondgateError('CONFLICT', `exit list not made: ${m.problems.map((p) => ('sku' in p ? `${p.sku} ${p.problem}` : p.problem)).join('; ')}`);
    await this.d.repo.putList({ ...m.list, supvModecd: this.d.config.supvModecd });
    await this.d.storage.appendAudit({ actor, action: 'bonded.list.make', subject: no, detail: { kind: 'second_line_out', orders: m.list.sources.length, fromMs, toMs } }, nowMs);
    return m.list;
  }

  /** 申报: build INV101, check every field, store it for the outbox with the list's new status. */
  async declareList(no: string, actor: string, pricing: ReadonlyMap<number, ListPricing>): Promise<{ list: BondList; guid: string; xml: string }> {
    const l = await this.getList(no);
    const refusal = declareRefusal(l);
    if (refusal) throw new BondgateError('CONFLICT', refusal);
    const nowMs = this.now();
    const built = buildInv101(l, this.enterprise, pricing, nowMs);
    if (!built.ok) throw new BondgateError('VALIDATION_FAILED', `INV101 for ${no} breaks ${built.issues.length} field rule(s)`, built.issues);
    const guid = randomUUID();
    const declared: BondList = { ...l, listStat: 'declared', rejectReason: null, updatedMs: nowMs };
    await this.d.repo.putList(declared, { guid, type: 'INV101', subject: l.etpsInnerInvtNo, xml: built.xml });
    await this.d.storage.appendAudit({ actor, action: 'bonded.list.declare', subject: listNo(l), detail: { guid } }, nowMs);
    return { list: declared, guid, xml: built.xml };
  }

  async getList(no: string): Promise<BondList> {
    const l = await this.d.repo.getList(no);
    if (!l) throw new BondgateError('NOT_FOUND', `no list ${no}`);
    return l;
  }

  lists(limit: number) {
    return this.d.repo.lists({ limit, emsNo: this.d.config.emsNo });
  }

  // --- slips --------------------------------------------------------------------------------------------------------

  /** The enterprise prepares a slip (draft): goods from its linked lists, weights summed. */
  async prepareSlip(req: SlipPrepareRequest, actor: string): Promise<BondSlip> {
    const nowMs = this.now();
    const lists = new Map<string, BondList>();
    for (const no of req.rltTbTypecd === '1' ? req.rltNos : []) {
      const l = await this.d.repo.getList(no);
      if (l) lists.set(no, l);
    }
    const etpsPreentNo = `BGS${req.ioTypecd}${chinaDay(nowMs)}${String(await this.d.repo.nextSerial(`slip:${chinaDay(nowMs)}`)).padStart(6, '0')}`;
    const p = prepareSlip(req, { etpsPreentNo, district: this.d.config.district, emsNo: this.d.config.emsNo, lists, used: usedOnSlips(await this.d.repo.slips({ limit: 10_000, bindingOnly: true })), preparedBy: actor, nowMs });
    if (!p.ok) throw new BondgateError('CONFLICT', `slip not prepared: ${p.problems.map((x) => `${x.listNo}${x.gdsSeqno ? `#${x.gdsSeqno}` : ''} ${x.problem}`).join('; ')}`, p.problems.map((x, i) => ({ field: `rltNos.${i}`, message: `${x.listNo}: ${x.problem}` })));
    await this.d.repo.putSlip(p.slip);
    await this.d.storage.appendAudit({ actor, action: 'bonded.slip.prepare', subject: etpsPreentNo, detail: { passportTypecd: req.passportTypecd, bindTypecd: req.bindTypecd, rltNos: req.rltNos, vehicleNo: req.vehicleNo } }, nowMs);
    return p.slip;
  }

  /** 申报: build SAS121, check it, store it for the outbox; the slip waits (status 0) for customs' 审批 by SAS221. */
  async applySlip(no: string, actor: string): Promise<{ slip: BondSlip; guid: string; xml: string }> {
    const s = await this.getSlip(no);
    const refusal = applyRefusal(s);
    if (refusal) throw new BondgateError('CONFLICT', refusal);
    const built = buildSas121(s, this.enterprise);
    if (!built.ok) throw new BondgateError('VALIDATION_FAILED', `SAS121 for ${no} breaks ${built.issues.length} field rule(s)`, built.issues);
    const nowMs = this.now();
    const guid = randomUUID();
    const applied: BondSlip = { ...s, stucd: '0', rejectReason: null, updatedMs: nowMs };
    await this.d.repo.putSlip(applied, { guid, type: 'SAS121', subject: s.etpsPreentNo, xml: built.xml });
    await this.d.storage.appendAudit({ actor, action: 'bonded.slip.apply', subject: s.etpsPreentNo, detail: { guid } }, nowMs);
    return { slip: applied, guid, xml: built.xml };
  }

  async getSlip(no: string): Promise<BondSlip> {
    const s = await this.d.repo.getSlip(no);
    if (!s) throw new BondgateError('NOT_FOUND', `no release slip ${no}`);
    return s;
  }

  slips(limit: number) {
    return this.d.repo.slips({ limit });
  }

  messages(subject: string) {
    return this.d.repo.messages(subject);
  }

  // --- receipts and passages ------------------------------------------------------------------------------------------

  /** The inbox's entry point: apply one customs receipt once. An approved slip goes to the gates; a refusal raises an alarm. */
  async applyReceipt(r: BondReceipt): Promise<ReceiptOutcome> {
    const nowMs = this.now();
    const out = await this.d.repo.applyReceipt(r, nowMs);
    if (out.kind === 'applied' && out.slip) await this.publish(out.slip);
    if (out.kind === 'refused' || out.kind === 'unknown') {
      const detail = out.kind === 'refused' ? `${r.type} ${r.receiptId}: ${out.detail}` : `${r.type} ${r.receiptId}: no document ${out.subject}`;
      this.d.log.warn({ receiptId: r.receiptId, type: r.type, subject: out.subject, outcome: out.kind }, 'bonded receipt not applied');
      await this.d.alarms?.signal('hub', { op: 'raise', kind: 'bonded_receipt_refused', subject: out.subject, stationId: null, deviceId: null, severity: 'critical', detail: detail.slice(0, 500) }, nowMs, nowMs);
    }
    if (out.kind !== 'duplicate') await this.d.storage.appendAudit({ actor: 'customs', action: 'bonded.receipt', subject: out.subject, detail: { type: r.type, receiptId: r.receiptId, outcome: out.kind } }, nowMs);
    return out;
  }

  /** A lane's `gate.passed` naming a slip: moved once per event; completed passages count the goods against their lists. */
  async gatePassage(p: { eventId: string; passportNo: string; gate?: 'single' | 'gate1' | 'gate2'; laneId: string }) {
    const r = await this.d.repo.passage({ ...p, atMs: this.now() });
    if (r.kind === 'done') {
      if (r.outcome.ok) await this.publish(r.outcome.slip);
      else this.d.log.warn({ slipNo: p.passportNo, reason: r.outcome.reason, laneId: p.laneId }, 'bonded slip passage refused');
    }
    return r;
  }

  /**
   * The 'bonded-slips' projection: every `gate.passed` naming a 金二 slip (24 characters) moves it once; a `gate.alarmed` is recorded on the slip as a refused passage. Slips of the
   * old officer-issued store (21 characters) stay with the 'release-slips' projection.
   */
  passages(): Projection {
    return {
      name: 'bonded-slips',
      types: ['gate.passed', 'gate.alarmed'],
      apply: async (_gatewayId, events) => {
        for (const e of events) {
          if ((e.type !== 'gate.passed' && e.type !== 'gate.alarmed') || !e.payload.slipNo) continue;
          const passportNo = normaliseSlipNo(e.payload.slipNo);
          if (!PASSPORT_NO_24.test(passportNo)) continue;
          if (e.type === 'gate.passed') await this.gatePassage({ eventId: e.id, passportNo, laneId: e.payload.laneId });
          // The lane kept the barrier down: the passage and its reason are on the slip, its status unchanged.
          else await this.d.repo.alarm({ eventId: e.id, passportNo, laneId: e.payload.laneId, atMs: this.now(), reason: e.payload.reason });
        }
      },
    };
  }

  private async publish(s: BondSlip) {
    const f: ReleaseSlip | null = toFeedSlip(s);
    if (f) await this.d.feed.put([{ kind: 'slip', key: f.passportNo, value: f }]);
  }

  // --- reconciliation -------------------------------------------------------------------------------------------------

  /** Daily: book against the desks' bonded stock; every difference is stored for the page and raises an alarm. */
  async reconcile(physical: readonly PhysicalStock[], day = chinaDay(this.now())) {
    const nowMs = this.now();
    const [items, lists] = await Promise.all([this.d.repo.items(this.d.config.emsNo), this.d.repo.lists({ limit: 10_000, emsNo: this.d.config.emsNo })]);
    const rec = reconcile(items, lists, physical);
    await this.d.repo.saveRecon(day, rec.rows, nowMs);
    for (const row of rec.rows) {
      const subject = `${row.emsNo}#${row.gdsSeqno}`;
      if (row.diffQty !== 0n) {
        const [counted, expected] = [formatQty(row.physicalQty), formatQty(row.expectedQty)];
        const reason = { code: 'alarm.bonded_book_difference.item', params: { item: row.gdsMtno, counted, expected, day } };
        await this.d.alarms?.signal('hub', { op: 'raise', kind: 'bonded_book_difference', subject, stationId: null, deviceId: null, severity: 'warning', detail: `${row.gdsMtno}: counted ${counted}, book expects ${expected} (${day})`, reason }, nowMs, nowMs);
      }
      else await this.d.alarms?.signal('hub', { op: 'clear', kind: 'bonded_book_difference', subject }, nowMs, nowMs);
    }
    return { day, differences: rec.differences, unknownSkus: rec.unknownSkus, rows: rec.rows.map((r) => ({ ...r, balanceQty: formatQty(r.balanceQty), pendingInQty: formatQty(r.pendingInQty), passedOutQty: formatQty(r.passedOutQty), expectedQty: formatQty(r.expectedQty), physicalQty: formatQty(r.physicalQty), diffQty: formatQty(r.diffQty) })) };
  }

  /** The daily run: the desks' counts as the stock projection holds them now. */
  async reconcileNow() {
    if (!this.d.physicalStock) throw new BondgateError('CONFLICT', 'no warehouse stock source configured for reconciliation');
    return this.reconcile(await this.d.physicalStock());
  }

  recon(day?: string) {
    return this.d.repo.recon(day);
  }

  /** At start: carry the officer-issued slips over once (see BondedRepo.importLegacySlips). */
  async importLegacySlips(): Promise<number> {
    const n = await this.d.repo.importLegacySlips(this.d.config.emsNo, this.d.config.district, this.now());
    if (n > 0) this.d.log.info({ slips: n }, 'officer-issued release slips carried into the bonded slip store');
    return n;
  }

  // ---

  private async catalog(): Promise<Map<string, ItemRef>> {
    return new Map((await this.d.repo.items(this.d.config.emsNo)).map((i) => [i.gdsMtno, i]));
  }

  private async listNumber(io: 'I' | 'E', nowMs: number) {
    const day = chinaDay(nowMs);
    return `BG${io}${day}${String(await this.d.repo.nextSerial(`list:${day}`)).padStart(6, '0')}`;
  }
}

/** yymmdd in China time (UTC+8): the day customs numbers by. */
export function chinaDay(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(2, 10).replace(/-/g, '');
}

function itemView(i: BookItem) {
  return {
    emsNo: i.emsNo, gdsSeqno: i.gdsSeqno, gdsMtno: i.gdsMtno, gdecd: i.gdecd, gdsNm: i.gdsNm, dclUnitcd: i.dclUnitcd,
    openingQty: formatQty(i.openingQty), actlIncQty: formatQty(i.actlIncQty), actlRedcQty: formatQty(i.actlRedcQty), prevdIncQty: formatQty(i.prevdIncQty), prevdRedcQty: formatQty(i.prevdRedcQty),
    balanceQty: formatQty(balance(i)), availableQty: formatQty(available(i)), storageLimitQty: i.storageLimitQty === null ? null : formatQty(i.storageLimitQty),
  };
}
