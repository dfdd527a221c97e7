import { DOMParser } from '@xmldom/xmldom';
import { BondReceipt } from './receipts.ts';

/**
 * Customs' 金二 receipt files (as the single-window client drops them in the InBox) → `BondReceipt`, for the e-port
 * inbox (issue 18) to hand to `BondedService.applyReceipt`. Pure. Element names follow the public SAS models
 * (`ronannnn/gx-customs-bridge` pkg/customs/sasmodels/{inv201,inv202,inv211,sas221,sas223,sas224}_models.go and
 * commonmodels/models.go): Package/EnvelopInfo/message_id is the guid; DataInfo/BussinessData holds one of INV201
 * (HdeApprResult, BondInvtBsc), INV202 (InvApprResult), INV211 (BondInvtBsc, BwsDt*), SAS221/223/224
 * (HdeApprResult, SasPassportBsc). Field names inside are case-sensitive as customs writes them.
 */
export type ParsedReceipt = { ok: true; receipt: BondReceipt } | { ok: false; problem: string };

function children(e: Element | undefined): Element[] {
  const out: Element[] = [];
  for (let n = e?.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}
const kids = (e: Element | undefined, name: string): Element[] => children(e).filter((n) => n.localName === name);
const kid = (e: Element | undefined, name: string): Element | undefined => kids(e, name)[0];
const text = (e: Element | undefined, name: string): string | undefined => {
  const v = kid(e, name)?.textContent?.trim();
  return v ? v : undefined;
};
const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function parseReceiptXml(xml: string): ParsedReceipt {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: (m: string) => void errors.push(m), fatalError: (m: string) => void errors.push(m) } }).parseFromString(xml, 'text/xml') as unknown as Document | undefined;
  const root = doc?.documentElement ?? null;
  if (errors.length || !root || root.localName !== 'Package') return { ok: false, problem: errors[0] ?? 'not a <Package> receipt' };
  const receiptId = text(kid(root, 'EnvelopInfo'), 'message_id');
  if (!receiptId) return { ok: false, problem: 'no EnvelopInfo/message_id (the guid that makes a receipt apply once)' };
  const data = kid(kid(root, 'DataInfo'), 'BussinessData');
  const body = children(data)[0];
  if (!body) return { ok: false, problem: 'no DataInfo/BussinessData element' };
  const appr = kid(body, 'HdeApprResult');
  let raw: Record<string, unknown>;
  switch (body.localName) {
    case 'INV201': {
      const h = kid(body, 'BondInvtBsc');
      raw = { type: 'INV201', etpsInnerInvtNo: text(h, 'etpsInnerInvtNo') ?? text(appr, 'etpsPreentNo'), seqNo: text(h, 'invtPreentNo'), bondInvtNo: text(h, 'bondInvtNo') ?? text(appr, 'businessId'), invtStucd: text(h, 'invtStucd'), vrfdedMarkcd: text(h, 'vrfdedMarkcd'), entryStucd: text(h, 'entryStucd'), reason: text(appr, 'rmk') };
      break;
    }
    case 'INV202': {
      const r = kid(body, 'InvApprResult');
      // INV202 names the list by its customs number (businessId); the book finds a list by either number.
      raw = { type: 'INV202', etpsInnerInvtNo: text(r, 'businessId') ?? text(r, 'invPreentNo'), businessId: text(r, 'businessId'), entrySeqNo: text(r, 'entrySeqNo'), manageResult: text(r, 'manageResult'), reason: text(r, 'reason') };
      break;
    }
    case 'INV211': {
      const h = kid(body, 'BondInvtBsc');
      const lines = kids(body, 'BwsDt').map((d) => defined({ gdsSeqno: Number(text(d, 'gdsSeqno')), actlIncQty: text(d, 'actlIncQty'), actlRedcQty: text(d, 'actlRedcQty') }));
      raw = { type: 'INV211', etpsInnerInvtNo: text(h, 'etpsInnerInvtNo'), bondInvtNo: text(h, 'bondInvtNo'), vrfdedMarkcd: text(h, 'vrfdedMarkcd'), entryStucd: text(h, 'entryStucd'), lines };
      break;
    }
    case 'SAS221': {
      const h = kid(body, 'SasPassportBsc');
      const passportNo = text(h, 'passportNo');
      const stucd = text(h, 'stucd');
      // Approved: customs gave the number and the slip is in force (1, or already past a gate); anything else is 退单.
      const approved = passportNo !== undefined && ['1', '2', '3', '4'].includes(stucd ?? '');
      raw = { type: 'SAS221', etpsPreentNo: text(appr, 'etpsPreentNo') ?? text(h, 'sasPassportPreentNo'), seqNo: text(h, 'sasPassportPreentNo'), passportNo: approved ? passportNo : undefined, manageResult: approved ? '1' : '2', reason: text(appr, 'rmk') };
      break;
    }
    case 'SAS223':
    case 'SAS224': {
      const h = kid(body, 'SasPassportBsc');
      raw = { type: body.localName, passportNo: text(h, 'passportNo'), stucd: text(h, 'stucd'), passCollectWt: body.localName === 'SAS223' ? text(h, 'passCollectWt') : undefined, wtError: body.localName === 'SAS223' ? text(h, 'wtError') : undefined, reason: body.localName === 'SAS224' ? text(appr, 'rmk') : undefined };
      break;
    }
    default:
      return { ok: false, problem: `not a 金二 receipt this book applies: ${body.localName}` };
  }
  const parsed = BondReceipt.safeParse(defined({ ...raw, receiptId }));
  if (!parsed.success) return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, receipt: parsed.data };
}
