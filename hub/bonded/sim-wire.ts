import { DOMParser } from '@xmldom/xmldom';
import { INV101_FIELDS, SAS121_FIELDS, validateBody, type FieldIssue, type MessageBody } from './messages.ts';
import { formatQty, parseQty } from './qty.ts';
import type { BondReceipt } from './receipts.ts';
import { formatBondInvtNo, weightProblems } from './sim-customs.ts';
import { formatPassportNo24 } from './slips.ts';

/**
 * What `bondgate sim eport` (issue 18) needs to play customs for 金二 over files, pure: read an outgoing INV101/SAS121
 * body, decide by the simulated SAS rules, and write receipt files the hub's inbox parses (receipt-xml.ts). The
 * simulator keeps `SimBook` between messages (a file or memory: its choice).
 */
export interface SimBook {
  /** Available quantity per `emsNo#gdsSeqno`, as the simulated SAS sees it (decimal text). */
  available: Record<string, string>;
  invtSerial: number;
  passportSerial: number;
}

type Fields = Record<string, string | undefined>;

function children(e: Element | null | undefined): Element[] {
  const out: Element[] = [];
  for (let n = e?.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}
const fields = (e: Element): Fields => Object.fromEntries(children(e).map((c) => [c.localName, (c.textContent ?? '').trim()]));

/** An outgoing body as built by messages.ts (`<Package>…<InvtMessage>` or `<PassPortMessage>`). */
export function readOutbound(xml: string): { type: 'INV101' | 'SAS121'; body: MessageBody } | null {
  let failed = false;
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: () => void (failed = true), fatalError: () => void (failed = true) } }).parseFromString(xml, 'text/xml') as unknown as Document | undefined;
  if (failed || !doc) return null;
  const inv = doc.getElementsByTagName('InvtMessage')[0];
  if (inv) {
    const head = children(inv).find((c) => c.localName === 'InvtHeadType');
    return head ? { type: 'INV101', body: { head: fields(head), lists: { InvtListType: children(inv).filter((c) => c.localName === 'InvtListType').map(fields) } } } : null;
  }
  const sas = doc.getElementsByTagName('PassPortMessage')[0];
  if (sas) {
    const head = children(sas).find((c) => c.localName === 'PassportHead');
    const rows = (name: string) => children(sas).filter((c) => c.localName === name).map(fields);
    return head ? { type: 'SAS121', body: { head: fields(head), lists: { PassportList: rows('PassportList'), PassportAcmp: rows('PassportAcmp') } } } : null;
  }
  return null;
}

/**
 * The simulated SAS answer to one outgoing message: field rules first (a failed check is 退单 with the fields named),
 * then the book (an exit beyond what is available is returned), then weights for slips. `book` is updated for
 * approvals (exits pre-deducted, entries counted once recorded — the simulator sends INV211 itself when it decides
 * the goods passed).
 */
export function simulateSas(msg: { type: 'INV101' | 'SAS121'; body: MessageBody }, book: SimBook, ids: { receiptId: string; yymmdd: string }): BondReceipt {
  if (msg.type === 'INV101') {
    const h = msg.body.head;
    const issues: FieldIssue[] = validateBody(msg.body, INV101_FIELDS, 'InvtHeadType');
    const rows = msg.body.lists.InvtListType ?? [];
    if (!issues.length && h.impexpMarkcd === 'E') {
      for (const r of rows) {
        const k = `${h.putrecNo}#${r.putrecSeqno}`;
        if (parseQty(book.available[k] ?? '0') < parseQty(r.dclQty ?? '0')) issues.push({ field: `InvtListType.${r.putrecSeqno}`, message: 'beyond the available balance' });
      }
    }
    if (issues.length) return { type: 'INV201', receiptId: ids.receiptId, etpsInnerInvtNo: h.etpsInnerInvtNo ?? '', invtStucd: '2', reason: issues.map((i) => `${i.field} ${i.message}`).join('; ').slice(0, 500) };
    const exit = h.impexpMarkcd === 'E';
    if (exit) for (const r of rows) book.available[`${h.putrecNo}#${r.putrecSeqno}`] = formatQty(parseQty(book.available[`${h.putrecNo}#${r.putrecSeqno}`] ?? '0') - parseQty(r.dclQty ?? '0'));
    const bondInvtNo = h.bondInvtNo ?? formatBondInvtNo(h.dclPlcCuscd ?? '0000', ids.yymmdd.slice(0, 2), exit ? 'E' : 'I', ++book.invtSerial);
    return { type: 'INV201', receiptId: ids.receiptId, etpsInnerInvtNo: h.etpsInnerInvtNo ?? '', bondInvtNo, invtStucd: '0', ...(exit ? { vrfdedMarkcd: '1' as const } : {}), entryStucd: '1' };
  }
  const h = msg.body.head;
  const issues = validateBody(msg.body, SAS121_FIELDS, 'PassportHead');
  // The same weight rules as the pure simulator (sim-customs.ts), on the wire's fields.
  if (!issues.length) for (const p of weightProblems({ totalWt: h.totalWt ?? '0', vehicleWt: h.vehicleWt ?? '0', vehicleFrameWt: h.vehicleFrameWt ?? null, containerWt: h.containerWt ?? null, totalGrossWt: h.totalGrossWt ?? '0', totalNetWt: h.totalNetWt ?? '0' })) issues.push({ field: p.startsWith('net') ? 'PassportHead.totalNetWt' : 'PassportHead.totalWt', message: p });
  if (issues.length) return { type: 'SAS221', receiptId: ids.receiptId, etpsPreentNo: h.etpsPreentNo ?? '', manageResult: '2', reason: issues.map((i) => `${i.field} ${i.message}`).join('; ').slice(0, 500) };
  const io = h.ioTypecd === 'I' ? 'I' : 'E';
  return { type: 'SAS221', receiptId: ids.receiptId, etpsPreentNo: h.etpsPreentNo ?? '', manageResult: '1', passportNo: h.passportNo ?? formatPassportNo24(h.masterCuscd ?? '0000', io, ids.yymmdd, ++book.passportSerial) };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const el = (name: string, f: Record<string, string | number | undefined>) => `<${name}>${Object.entries(f).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<${k}>${esc(String(v))}</${k}>`).join('')}</${name}>`;

/** A receipt file as customs writes it (element names of the public SAS models), the inverse of parseReceiptXml. */
export function receiptToXml(r: BondReceipt): string {
  let body: string;
  switch (r.type) {
    case 'INV201':
      body = `<INV201>${el('HdeApprResult', { etpsPreentNo: r.etpsInnerInvtNo, businessId: r.bondInvtNo, manageResult: r.invtStucd === '0' ? '1' : '2', rmk: r.reason })}${el('BondInvtBsc', { invtPreentNo: r.seqNo, etpsInnerInvtNo: r.etpsInnerInvtNo, bondInvtNo: r.bondInvtNo, invtStucd: r.invtStucd, vrfdedMarkcd: r.vrfdedMarkcd, entryStucd: r.entryStucd })}</INV201>`;
      break;
    case 'INV202':
      body = `<INV202>${el('InvApprResult', { businessId: r.businessId ?? r.etpsInnerInvtNo, entrySeqNo: r.entrySeqNo, manageResult: r.manageResult, reason: r.reason })}</INV202>`;
      break;
    case 'INV211':
      body = `<INV211>${el('BondInvtBsc', { etpsInnerInvtNo: r.etpsInnerInvtNo, bondInvtNo: r.bondInvtNo, vrfdedMarkcd: r.vrfdedMarkcd, entryStucd: r.entryStucd })}${r.lines.map((l) => el('BwsDt', { gdsSeqno: l.gdsSeqno, actlIncQty: l.actlIncQty, actlRedcQty: l.actlRedcQty })).join('')}</INV211>`;
      break;
    case 'SAS221':
      body = `<SAS221>${el('HdeApprResult', { etpsPreentNo: r.etpsPreentNo, manageResult: r.manageResult, rmk: r.reason })}${el('SasPassportBsc', { sasPassportPreentNo: r.seqNo, passportNo: r.passportNo, stucd: r.manageResult === '1' ? '1' : '0' })}</SAS221>`;
      break;
    case 'SAS223':
      body = `<SAS223>${el('HdeApprResult', {})}${el('SasPassportBsc', { passportNo: r.passportNo, stucd: r.stucd, passCollectWt: r.passCollectWt, wtError: r.wtError })}</SAS223>`;
      break;
    case 'SAS224':
      body = `<SAS224>${el('HdeApprResult', { rmk: r.reason })}${el('SasPassportBsc', { passportNo: r.passportNo, stucd: r.stucd })}</SAS224>`;
      break;
  }
  return `<?xml version="1.0" encoding="UTF-8"?><Package><EnvelopInfo><message_id>${esc(r.receiptId)}</message_id><message_type>${r.type}</message_type></EnvelopInfo><DataInfo><BussinessData>${body}</BussinessData></DataInfo></Package>`;
}
