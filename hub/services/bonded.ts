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
import { formatQty, parseQty, ZERO } from '../bonded/qty.ts';
import type { BondReceipt } from '../bonded/receipts.ts';
import { reconcile, type PhysicalStock } from '../bonded/reconcile.ts';
import { applyRefusal, prepareSlip, SlipPrepareRequest, toFeedSlip, usedOnSlips } from '../bonded/slips.ts';
import { ExpectedList } from '../../shared/stations/feed.ts';
import { itemStates } from '../bonded/stock-state.ts';
import type { HubConfig } from '../config.ts';
import type { AlarmKind } from '../customs/alarms.ts';
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

  constructor(
    private readonly d: {
      repo: BondedRepo;
      storage: Storage;
      feed: StationFeedService;
      config: BondedConfig;
      alarms?: AlarmRepo;
      releasedOrders?: ReleasedOrderSource;
      /** The desks' bonded stock per SKU now (StockRepo totals, warehouse bonded). */
      physicalStock?: () => Promise<PhysicalStock[]>;
      /** The e-port exchange is configured: INV101/SAS121 are queued in its outbox with the decision (issue 18). */
      outbox?: boolean;
      /** A message was queued (to wake the sender). */
      onEnqueued?: () => void;
      log: Logger;
      now?: () => number;
    },
  ) {
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
    const guid = newGuid();
    const declared: BondList = { ...l, listStat: 'declared', rejectReason: null, updatedMs: nowMs };
    await this.d.repo.putList(declared, { guid, type: 'INV101', subject: l.etpsInnerInvtNo, xml: built.xml, outbox: this.d.outbox ?? false });
    await this.d.storage.appendAudit({ actor, action: 'bonded.list.declare', subject: listNo(l), detail: { guid } }, nowMs);
    if (this.d.outbox) this.d.onEnqueued?.();
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
    const slip = await this.draftSlip(req, actor);
    await this.d.repo.putSlip(slip);
    await this.d.storage.appendAudit({ actor, action: 'bonded.slip.prepare', subject: slip.etpsPreentNo, detail: { passportTypecd: req.passportTypecd, bindTypecd: req.bindTypecd, rltNos: req.rltNos, vehicleNo: req.vehicleNo } }, this.now());
    return slip;
  }

  /** A slip prepared from its request and linked lists, not stored. */
  private async draftSlip(req: SlipPrepareRequest, actor: string): Promise<BondSlip> {
    const nowMs = this.now();
    const lists = new Map<string, BondList>();
    for (const no of req.rltTbTypecd === '1' ? req.rltNos : []) {
      const l = await this.d.repo.getList(no);
      if (l) lists.set(no, l);
    }
    const etpsPreentNo = `BGS${req.ioTypecd}${chinaDay(nowMs)}${String(await this.d.repo.nextSerial(`slip:${chinaDay(nowMs)}`)).padStart(6, '0')}`;
    const p = prepareSlip(req, { etpsPreentNo, district: this.d.config.district, emsNo: this.d.config.emsNo, lists, used: usedOnSlips(await this.d.repo.slips({ limit: 10_000, bindingOnly: true })), preparedBy: actor, nowMs });
    if (!p.ok) throw new BondgateError('CONFLICT', `slip not prepared: ${p.problems.map((x) => `${x.listNo}${x.gdsSeqno ? `#${x.gdsSeqno}` : ''} ${x.problem}`).join('; ')}`, p.problems.map((x, i) => ({ field: `rltNos.${i}`, message: `${x.listNo}: ${x.problem}` })));
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
    const guid = newGuid();
    const applied: BondSlip = { ...s, stucd: '0', rejectReason: null, updatedMs: nowMs };
    await this.d.repo.putSlip(applied, { guid, type: 'SAS121', subject: s.etpsPreentNo, xml: built.xml, outbox: this.d.outbox ?? false });
    await this.d.storage.appendAudit({ actor, action: 'bonded.slip.apply', subject: s.etpsPreentNo, detail: { guid } }, nowMs);
    if (this.d.outbox) this.d.onEnqueued?.();
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
  async applyReceipt(r: BondReceipt, opts: { holdEarly?: boolean } = {}): Promise<ReceiptOutcome> {
    const nowMs = this.now();
    const out = await this.d.repo.applyReceipt(r, nowMs, opts);
    if (out.kind === 'early') return out;
    if (out.kind === 'applied' && out.slip) await this.publish(out.slip);
    // A first-line list made from a tally, approved: its slip is applied for now (the tally claimed the vehicle).
    if (out.kind === 'applied' && out.list?.kind === 'first_line_in' && out.list.listStat === 'approved' && r.type === 'INV201') {
      await this.firstLineSlip(out.list).catch((e: Error) => this.d.log.error({ list: out.list?.etpsInnerInvtNo, err: e.message }, 'first-line slip not applied'));
    }
    if (out.kind === 'refused' || out.kind === 'unknown') {
      const detail = out.kind === 'refused' ? `${r.type} ${r.receiptId}: ${out.detail}` : `${r.type} ${r.receiptId}: no document ${out.subject}`;
      this.d.log.warn({ receiptId: r.receiptId, type: r.type, subject: out.subject, outcome: out.kind }, 'bonded receipt not applied');
      await this.d.alarms?.signal('hub', { op: 'raise', kind: 'bonded_receipt_refused', subject: out.subject, stationId: null, deviceId: null, severity: 'critical', detail: detail.slice(0, 500) }, nowMs, nowMs);
    }
    if (out.kind !== 'duplicate') await this.d.storage.appendAudit({ actor: 'customs', action: 'bonded.receipt', subject: out.subject, detail: { type: r.type, receiptId: r.receiptId, outcome: out.kind } }, nowMs);
    return out;
  }

  /**
   * The e-port InBox's entry (BondedReceiver): the receipt applied once, and the hub's own number of the list or slip
   * it answers, which is the subject of the INV101/SAS121 message the exchange correlates it to.
   */
  async receiveFromInbox(r: BondReceipt, o: { holdEarly: boolean }): Promise<{ kind: ReceiptOutcome['kind']; ownNo: string | null }> {
    const out = await this.applyReceipt(r, { holdEarly: o.holdEarly });
    const no = 'etpsInnerInvtNo' in r ? r.etpsInnerInvtNo : 'etpsPreentNo' in r ? r.etpsPreentNo : r.passportNo;
    const ownNo = r.type.startsWith('INV') ? ((await this.d.repo.getList(no))?.etpsInnerInvtNo ?? null) : ((await this.d.repo.getSlip(no))?.etpsPreentNo ?? null);
    return { kind: out.kind, ownNo };
  }

  // --- first-line entry from the desks ----------------------------------------------------------------------------

  /**
   * The 'bonded-tally' projection (issue 19: first-line entry from the tally of an inbound truck). Receives counted at
   * a bonded desk against an inbound list are kept by transaction (a re-scan amends); the tally is complete when all
   * the list's expected goods are received or its put-away has begun, and then becomes a first-line INV101, declared
   * in the transaction that closes the tally (once, however often the events are replayed). Inbound vehicles at the
   * gate are remembered: the tally claims the latest one before its first receive, for the slip applied once customs
   * approves the list. Unmapped SKUs hold the tally with a critical alarm; a receive after the list was made raises one too.
   */
  tallies(): Projection {
    return {
      name: 'bonded-tally',
      types: ['warehouse.transaction', 'gate.passed'],
      apply: async (gatewayId, events) => {
        if (!this.d.config.firstLine) return;
        for (const e of events) {
          if (e.type === 'gate.passed') {
            if (e.payload.direction === 'in' && e.payload.vehicleNo && !e.payload.slipNo) {
              await this.d.repo.recordArrival({ eventId: e.id, vehicleNo: e.payload.vehicleNo, vehicleIcNo: null, weighbridgeKg: e.payload.weighbridgeKg === undefined ? null : String(e.payload.weighbridgeKg), atMs: e.time.wallMs });
            }
            continue;
          }
          if (e.type !== 'warehouse.transaction') continue;
          const p = e.payload;
          if (p.warehouse !== 'bonded' || !p.listId) continue;
          if (p.op === 'receive' && p.outcome !== 'rejected') {
            const r = await this.d.repo.tallyReceive({ site: gatewayId, listId: p.listId, transactionId: p.transactionId, seq: e.seq, sku: p.sku ?? null, qty: p.qty, atMs: e.time.wallMs });
            if (r.late) {
              await this.alarm('bonded_tally_after_list', `${gatewayId}/${p.listId}`, 'critical', `a receive (${p.qty} ${p.sku ?? 'no SKU'}) on inbound list ${p.listId} after its first-line list ${r.tally.listNo} was declared: not on the list; declare the difference by hand`);
              continue;
            }
            if (await this.tallyComplete(gatewayId, p.listId)) await this.finishTally(gatewayId, p.listId);
          } else if (p.op === 'putaway') {
            const t = await this.d.repo.tally(gatewayId, p.listId);
            if (t && t.status === 'open') await this.finishTally(gatewayId, p.listId);
          }
        }
      },
    };
  }

  /** At start: tallies held for a problem (an unmapped SKU, a list that broke a field rule) are tried again with the configuration as it is now. */
  async resumeTallies(): Promise<number> {
    let n = 0;
    for (const t of await this.d.repo.pendingTallies()) if (t.status === 'held' && (await this.finishTally(t.site, t.listId))) n++;
    // A crash between customs' INV201 and the slip's 申报 (or between its draft and its outbox row) left a first-line
    // list approved with its slip unsent: nothing else would send it, since the INV201 is applied once.
    for (const t of await this.d.repo.talliesAwaitingSlip()) {
      const l = await this.d.repo.getList(t.listNo!);
      if (l?.kind !== 'first_line_in' || l.listStat !== 'approved') continue;
      if (t.slipNo && (await this.d.repo.getSlip(t.slipNo))?.stucd !== 'draft') continue;
      await this.firstLineSlip(l).catch((e: Error) => this.d.log.error({ list: l.etpsInnerInvtNo, err: e.message }, 'first-line slip not applied at start'));
    }
    return n;
  }

  private async tallyComplete(site: string, listId: string): Promise<boolean> {
    const expected = ExpectedList.safeParse(await this.d.storage.feedGet('expected', listId));
    if (!expected.success || expected.data.kind !== 'inbound' || expected.data.items.length === 0) return false;
    const want = expected.data.items.reduce((n, i) => n + i.qty, 0);
    const got = (await this.d.repo.tallyLines(site, listId)).reduce((n, l) => n + l.qty, 0);
    return got >= want;
  }

  /** The tally becomes a declared first-line list (true), or is held with an alarm naming why (false). */
  private async finishTally(site: string, listId: string): Promise<boolean> {
    const fl = this.d.config.firstLine!;
    const subject = `${site}/${listId}`;
    const nowMs = this.now();
    const counted = (await this.d.repo.tallyLines(site, listId)).filter((l) => l.qty > 0);
    const items = new Map((await this.d.repo.items(this.d.config.emsNo)).map((i) => [i.gdsSeqno, i]));
    const unmapped = new Set<string>();
    const lines: CountedLine[] = [];
    const pricing = new Map<number, ListPricing>();
    for (const c of counted) {
      const m = c.sku === null ? undefined : fl.items[c.sku];
      const item = m && items.get(m.gdsSeqno);
      if (!m || !item) {
        unmapped.add(c.sku === null ? `(no SKU: ${c.transactionId})` : m ? `${c.sku} (item ${m.gdsSeqno} not on book ${this.d.config.emsNo})` : c.sku);
        continue;
      }
      lines.push({ sku: item.gdsMtno, qty: c.qty });
      if (!pricing.has(item.gdsSeqno)) pricing.set(item.gdsSeqno, { dclCurrcd: m.dclCurrcd, dclUprcAmt: m.dclUprcAmt, natcd: m.natcd, destinationNatcd: fl.destinationNatcd, gdsSpcfModelDesc: m.gdsSpcfModelDesc });
    }
    const hold = async (kind: AlarmKind, problem: string) => {
      await this.d.repo.holdTally(site, listId, problem, nowMs);
      await this.alarm(kind, subject, 'critical', problem);
      this.d.log.warn({ site, listId, problem }, 'first-line tally held');
      return false;
    };
    if (unmapped.size) return hold('bonded_sku_unmapped', `inbound list ${listId}: no book item mapped for ${[...unmapped].slice(0, 20).join(', ')} (bonded.firstLine.items); the first-line list waits`);
    if (lines.length === 0) return hold('bonded_sku_unmapped', `inbound list ${listId}: nothing counted to declare`);
    const no = await this.listNumber('I', nowMs);
    const m = makeList({ etpsInnerInvtNo: no, emsNo: this.d.config.emsNo, kind: 'first_line_in', lines, sources: [`tally:${site}:${listId}`], nowMs, supvModecd: this.d.config.supvModecd }, await this.catalog());
    if (!m.ok) return hold('bonded_sku_unmapped', `inbound list ${listId}: ${m.problems.map((p) => ('sku' in p ? `${p.sku} ${p.problem}` : p.problem)).join('; ')}`);
    const built = buildInv101(m.list, this.enterprise, pricing, nowMs);
    if (!built.ok) return hold('bonded_list_invalid', `inbound list ${listId}: INV101 breaks ${built.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`.slice(0, 1000));
    const guid = newGuid();
    const declared: BondList = { ...m.list, listStat: 'declared' };
    const made = await this.d.repo.makeTallyList(site, listId, declared, { guid, type: 'INV101', subject: no, xml: built.xml, outbox: this.d.outbox ?? false }, nowMs);
    if (!made) return false;
    await this.clear('bonded_sku_unmapped', subject);
    await this.clear('bonded_list_invalid', subject);
    await this.d.storage.appendAudit({ actor: TALLY_ACTOR, action: 'bonded.list.declare', subject: no, detail: { guid, kind: 'first_line_in', tally: subject, lines: declared.lines.length } }, nowMs);
    this.d.log.info({ site, listId, list: no, guid }, 'first-line list declared from the tally');
    if (this.d.outbox) this.d.onEnqueued?.();
    return true;
  }

  /** 申报 of the first-line slip (SAS121 type 2, bound to the list) for the vehicle the tally claimed; once per list. */
  private async firstLineSlip(l: BondList): Promise<void> {
    const fl = this.d.config.firstLine;
    if (!fl?.autoSlip) return;
    const t = await this.d.repo.tallyByList(l.etpsInnerInvtNo);
    if (!t) return; // a list made by hand: its slip is prepared by hand
    if (t.slipNo) {
      // Prepared before a restart but not sent: send it now.
      const s = await this.d.repo.getSlip(t.slipNo);
      if (s?.stucd === 'draft') await this.applySlip(s.etpsPreentNo, TALLY_ACTOR);
      return;
    }
    const v = t.vehicleEvent ? await this.d.repo.arrival(t.vehicleEvent) : undefined;
    if (!v) {
      await this.alarm('bonded_slip_no_vehicle', listNo(l), 'warning', `first-line list ${listNo(l)} approved, but no inbound vehicle was seen at the gate before its tally: prepare its slip by hand`);
      return;
    }
    const bySeq = new Map(Object.values(fl.items).map((m) => [m.gdsSeqno, m]));
    const kg = (perPiece: string | undefined, qty: string) => formatQty((parseQty(perPiece ?? '0') * parseQty(qty)) / 100_000n);
    const lines = l.lines.map((x) => ({ listNo: listNo(l), gdsSeqno: x.gdsSeqno, dclQty: x.dclQty, grossWt: kg(bySeq.get(x.gdsSeqno)?.grossKg, x.dclQty), netWt: kg(bySeq.get(x.gdsSeqno)?.netKg, x.dclQty) }));
    const gross = lines.reduce((n, x) => n + parseQty(x.grossWt), ZERO);
    // The weighbridge weighed the loaded truck on arrival: its tare is that less the goods (never below zero).
    const loaded = v.weighbridgeKg === null ? null : parseQty(Number(v.weighbridgeKg).toFixed(5));
    const tare = loaded !== null && loaded > gross ? loaded - gross : ZERO;
    const req = SlipPrepareRequest.parse({ ioTypecd: 'I', passportTypecd: '2', bindTypecd: '2', rltTbTypecd: '1', rltNos: [listNo(l)], gateMode: fl.gateMode, vehicleNo: v.vehicleNo, vehicleIcNo: v.vehicleIcNo, vehicleWt: formatQty(tare), lines });
    const slip = await this.draftSlip(req, TALLY_ACTOR);
    if (!(await this.d.repo.putTallySlip(l.etpsInnerInvtNo, slip))) return;
    await this.d.storage.appendAudit({ actor: TALLY_ACTOR, action: 'bonded.slip.prepare', subject: slip.etpsPreentNo, detail: { passportTypecd: '2', rltNos: req.rltNos, vehicleNo: v.vehicleNo, arrival: v.eventId } }, this.now());
    await this.applySlip(slip.etpsPreentNo, TALLY_ACTOR);
  }

  private async alarm(kind: AlarmKind, subject: string, severity: 'critical' | 'warning', detail: string) {
    const t = this.now();
    await this.d.alarms?.signal('hub', { op: 'raise', kind, subject, stationId: null, deviceId: null, severity, detail: detail.slice(0, 1000) }, t, t);
  }

  private async clear(kind: AlarmKind, subject: string) {
    const t = this.now();
    await this.d.alarms?.signal('hub', { op: 'clear', kind, subject }, t, t);
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

/** Who the hub's automatic first-line lists and slips are made by, on the audit chain. */
export const TALLY_ACTOR = 'hub-tally';

/** A message guid: upper case, as the e-port writes guids (the InBox correlates in upper case). */
const newGuid = () => randomUUID().toUpperCase();

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
