import * as dec from '../../shared/decimal.ts';
import type { Decimal } from '../../shared/decimal.ts';
import type { Logger } from 'pino';
import { documentKey, receiptOrderTime, ExportInventoryList, ExportOrder, InventoryList, Receipt, type CustomsDocument, type ReturnRequest } from '../customs/documents.ts';
import { matchExportReturn, matchReturn, returnedValueCny } from '../customs/returns.ts';
import type { CaseRepo } from '../repos/cases.ts';
import type { WarehouseTransaction } from '../customs/stock.ts';
import type { CustomsAnswer, ExportReturnRecord, ReturnQuery, ReturnRecord, ReturnsRepo, ReturnStatus } from '../repos/returns.ts';
import type { Storage, StoredDocument } from '../storage/storage.ts';
import { documentsByRef } from '../repos/documents.ts';

/**
 * Returns at the hub. Import side: each CEB625 return request is matched with its original list (found by invtNo),
 * recorded with the result, and re-decided when something it depends on arrives (the list, the list's release
 * receipt, customs' 626 answer). Export side: each parcel the overseas warehouse takes back is matched with the export
 * that sent it (the stock projection calls `onExportReturn`). Every decision that changes a return goes on the audit
 * chain.
 *
 * `onDocuments` expects the documents already stored (CustomsService stores them first): originals and receipts are
 * read back from the store, so a batch and the history behind it are seen alike.
 */

/** A list's latest 622 receipt says released (800) or closed after release (899). */
const RELEASED = new Set([800, 899]);
/** Customs' answer to a return (626): accepted and concluded, released or closed → approved; rejected or an error. */
const APPROVED = new Set([399, 800, 899]);
/** Returns that take quantity from the original list: everything customs has not refused and the hub did not flag. */
const COUNTED: ReadonlySet<ReturnStatus> = new Set(['matched', 'in_review', 'approved']);

function statusOf(match: { ok: boolean }, customs: CustomsAnswer | null): ReturnStatus {
  if (customs === null) return match.ok ? 'matched' : 'mismatch';
  if (customs.returnStatus < 0 || customs.returnStatus === 100) return 'rejected';
  return APPROVED.has(customs.returnStatus) ? 'approved' : 'in_review';
}

function latest(receipts: readonly Receipt[], messageType: Receipt['messageType']): Receipt | undefined {
  let best: Receipt | undefined;
  for (const r of receipts) if (r.messageType === messageType && (!best || receiptOrderTime(r) >= receiptOrderTime(best))) best = r;
  return best;
}

/**
 * The id a return request and a list are held by here (return_requests.cop_no, return_lists.cop_no): their copNo, or —
 * sent without one, as the XSD allows — their document key (documents.ts documentKey: a list by ebpCode + orderNo, a
 * request by its head guid). A key is longer than any copNo (≤ 20), so the two never meet.
 */
export function returnRef(r: ReturnRequest): string {
  return r.copNo ?? documentKey(r);
}
function listRef(l: InventoryList): string {
  return l.copNo ?? documentKey(l);
}

interface Original {
  list: InventoryList;
  released: boolean;
}

export class ReturnsService {
  private readonly now: () => number;

  constructor(private readonly d: { storage: Storage; returns: ReturnsRepo; log: Logger; now?: () => number; cases?: Pick<CaseRepo, 'setReturnedCny'> }) {
    this.now = d.now ?? Date.now;
  }

  /** Take a stored batch of customs documents: record new return requests, re-decide those the batch affects. */
  async onDocuments(docs: readonly CustomsDocument[], actor: string): Promise<ReturnRecord[]> {
    const affected = new Map<string, ReturnRequest | undefined>();
    const touch = (copNos: readonly string[]) => copNos.forEach((c) => affected.set(c, affected.get(c)));
    for (const doc of docs) {
      if (doc.kind === 'inventory') {
        await this.d.returns.indexList({ copNo: listRef(doc), orderNo: doc.orderNo, invtNo: doc.invtNo ?? null });
        touch(await this.d.returns.referencing({ copNo: listRef(doc), ...(doc.invtNo !== undefined && { invtNo: doc.invtNo }) }));
      } else if (doc.kind === 'return') {
        affected.set(returnRef(doc), doc);
      } else if (doc.kind === 'receipt' && doc.refersTo.kind === 'inventory') {
        // A 622 may be the first place the list's invtNo appears; its release is what a pending return waits for.
        const { copNo, invtNo } = doc.refersTo;
        if (invtNo !== undefined) await this.d.returns.indexList({ copNo, orderNo: null, invtNo });
        touch(await this.d.returns.referencing({ copNo, ...(invtNo !== undefined && { invtNo }) }));
      } else if (doc.kind === 'receipt' && doc.refersTo.kind === 'return') {
        touch([doc.refersTo.copNo]);
        // A request sent without copNo is found by the preNo its 626 names (CustomsService matched the receipt to it).
        const { preNo } = doc.refersTo;
        if (preNo !== undefined) for (const s of await documentsByRef(this.d.storage.sql, 'preNo', preNo, 10)) if (s.kind === 'return') touch([returnRef(s.body as unknown as ReturnRequest)]);
      }
    }
    const out: ReturnRecord[] = [];
    for (const [copNo, request] of affected) {
      const r = await this.evaluate(copNo, actor, request);
      if (r) out.push(r);
    }
    return out;
  }

  /** Re-decide one return from what is stored; undefined when the hub has no such request. */
  async evaluate(copNo: string, actor: string, request?: ReturnRequest): Promise<ReturnRecord | undefined> {
    const req = request ?? (await this.d.returns.get(copNo))?.request;
    if (!req) return undefined;
    const original = await this.findOriginal(req);
    const already = new Map<number, Decimal>();
    for (const other of await this.d.returns.byInvtNo(req.invtNo)) {
      if (other.copNo === returnRef(req) || !COUNTED.has(other.status)) continue;
      for (const l of other.request.lines) already.set(l.gnum, dec.add(already.get(l.gnum) ?? '0', l.qty));
    }
    const match = matchReturn(req, original?.list, already, original?.released ?? false);
    const receipts = (await this.d.storage.receiptsFor([documentKey(req)])).map((s) => Receipt.parse(s.body));
    const answer = latest(receipts, 'CEB626');
    const customs = answer ? { returnStatus: answer.returnStatus, returnInfo: answer.returnInfo, returnTime: answer.returnTime } : null;
    const status = statusOf(match, customs);
    const { record, changed } = await this.d.returns.put(
      { copNo: returnRef(req), orderNo: req.orderNo, invtNo: req.invtNo, originalCopNo: original ? listRef(original.list) : null, status, match, request: req, customs },
      this.now(),
    );
    if (changed && original && this.d.cases) {
      // The buyer's annual total counts the list less what approved returns took back (issue 16 item 7).
      const approved = (await this.d.returns.byInvtNo(req.invtNo)).filter((r) => r.status === 'approved').map((r) => r.request);
      await this.d.cases.setReturnedCny(original.list.logisticsNo, returnedValueCny(original.list, approved));
    }
    if (changed) {
      await this.d.storage.appendAudit(
        { actor, action: 'return.decide', subject: returnRef(req), detail: { orderNo: req.orderNo, invtNo: req.invtNo, status, ok: match.ok, rules: match.issues.map((i) => i.rule), customsStatus: customs?.returnStatus ?? null } },
        this.now(),
      );
    }
    return record;
  }

  /** The list the request returns against: by its orderNo first, else through the list index (the orderNo may differ). */
  private async findOriginal(req: ReturnRequest): Promise<Original | undefined> {
    const found = await this.listIn(await this.d.storage.documentsByOrder(req.orderNo), req.invtNo);
    if (found) return found;
    const indexed = await this.d.returns.listByInvtNo(req.invtNo);
    if (!indexed?.orderNo || indexed.orderNo === req.orderNo) return undefined;
    return this.listIn(await this.d.storage.documentsByOrder(indexed.orderNo), req.invtNo);
  }

  private async listIn(stored: readonly StoredDocument[], invtNo: string): Promise<Original | undefined> {
    for (const s of stored) {
      if (s.kind !== 'inventory') continue;
      const list = InventoryList.parse(s.body);
      const receipts = (await this.d.storage.receiptsFor([s.key])).map((r) => Receipt.parse(r.body));
      const numbers: (string | undefined)[] = [list.invtNo, ...receipts.map((r) => ('invtNo' in r.refersTo ? r.refersTo.invtNo : undefined))];
      if (!numbers.includes(invtNo)) continue;
      const release = latest(receipts, 'CEB622');
      return { list, released: release !== undefined && RELEASED.has(release.returnStatus) };
    }
    return undefined;
  }

  /**
   * A parcel returned to the overseas warehouse (op 'return'): match it with the export of its orderNo (the CEB603 list,
   * else the CEB303 order). Idempotent by (site, transactionId, seq); undefined for events that are not such returns.
   */
  async onExportReturn(site: string, seq: number, tx: WarehouseTransaction): Promise<ExportReturnRecord | undefined> {
    if (tx.op !== 'return' || tx.warehouse !== 'overseas' || tx.outcome === 'rejected') return undefined;
    let original: ExportInventoryList | ExportOrder | undefined;
    if (tx.orderNo !== undefined) {
      const stored = await this.d.storage.documentsByOrder(tx.orderNo);
      const list = stored.find((s) => s.kind === 'exportInventory');
      const order = stored.find((s) => s.kind === 'exportOrder');
      original = list ? ExportInventoryList.parse(list.body) : order ? ExportOrder.parse(order.body) : undefined;
    }
    const already = tx.orderNo !== undefined && tx.sku !== undefined ? await this.d.returns.exportReturnedQty(tx.orderNo, tx.sku, { site, transactionId: tx.transactionId }) : 0;
    const match = matchExportReturn({ orderNo: tx.orderNo, sku: tx.sku, qty: tx.qty }, original, already);
    const record = {
      site, transactionId: tx.transactionId, seq, orderNo: tx.orderNo ?? null, sku: tx.sku ?? null, qty: tx.qty, condition: tx.condition ?? null, locationId: tx.locationId ?? null, match,
    };
    const { applied } = await this.d.returns.putExport(record, this.now());
    if (!applied) return this.d.returns.getExport(site, tx.transactionId);
    await this.d.storage.appendAudit(
      { actor: 'auto', action: 'return.export.match', subject: (tx.orderNo ?? tx.transactionId).slice(0, 128), detail: { site, transactionId: tx.transactionId, sku: tx.sku ?? null, qty: tx.qty, condition: tx.condition ?? null, ok: match.ok, rules: match.issues.map((i) => i.rule) } },
      this.now(),
    );
    if (!match.ok) this.d.log.warn({ site, transactionId: tx.transactionId, orderNo: tx.orderNo, rules: match.issues.map((i) => i.rule) }, 'overseas return does not match its export');
    return this.d.returns.getExport(site, tx.transactionId);
  }

  list(q: ReturnQuery): Promise<ReturnRecord[]> {
    return this.d.returns.list(q);
  }

  get(copNo: string): Promise<ReturnRecord | undefined> {
    return this.d.returns.get(copNo);
  }

  listExport(q: { orderNo?: string; limit: number }): Promise<ExportReturnRecord[]> {
    return this.d.returns.listExport(q);
  }
}
