import { createHash } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import type { BondReceipt } from '../hub/bonded/receipts.ts';
import { readOutbound, receiptToXml, simulateSas, type SimBook } from '../hub/bonded/sim-wire.ts';
import { formatQty, parseQty } from '../hub/bonded/qty.ts';
import { DS_NS } from '../hub/eport/xmldsig.ts';

/**
 * The customs SAS side of `bondgate sim eport` (issue 19): INV101 and SAS121 files taken from the OutBox are answered
 * as customs' SAS would, by hub/bonded/sim-wire.ts (the one implementation of the simulated decisions: field rules,
 * the book's available balance, slip weights) — here only the rules that make it say no or wait, the envelope, and
 * the files. An approved entry list (INV101 I, declaration released) is recorded at once (INV211, actual increase):
 * the hub makes entry lists from goods already tallied inside. Exit lists are pre-deducted by INV201; their INV211
 * waits for a gate this simulator does not see.
 */
export interface SasSimMessage {
  fileName: string;
  type: 'INV101' | 'SAS121';
  guid: string;
  /** The hub's number of the list (etpsInnerInvtNo) or slip (etpsPreentNo). */
  subject: string;
  n: number;
}

export interface SasSimRules {
  /** Return the message (INV201 invtStucd 2 / SAS221 manageResult 2) with this reason; undefined: decide by the book. */
  reject?: (m: SasSimMessage) => string | undefined;
  /** Record approved entry lists at once (INV211); default true. */
  recordEntries?: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');
const yymmdd = (ms: number) => {
  const d = new Date(ms + 8 * 3_600_000);
  return `${String(d.getUTCFullYear()).slice(2)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
};
const receiptId = (seed: string) => {
  const h = createHash('sha256').update(seed).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

export function isSasPackage(xml: string): boolean {
  return /^(?:<\?xml[^>]*\?>\s*)?<Package[\s>]/.test(xml.replace(/^\uFEFF/, '').trimStart());
}

/** The envelope's message id and whether the package carries a ds:Signature as its last child. */
function envelopeOf(xml: string): { guid: string; signed: boolean } {
  let broken = false;
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: () => void (broken = true), fatalError: () => void (broken = true) } }).parseFromString(xml, 'text/xml') as unknown as Document | undefined;
  const root = doc?.documentElement;
  if (broken || !root) return { guid: '', signed: false };
  const kids: Element[] = [];
  for (let n = root.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) kids.push(n as Element);
  const env = kids.find((k) => k.localName === 'EnvelopInfo');
  const guid = env?.getElementsByTagName('message_id')[0]?.textContent?.trim() ?? '';
  const last = kids.at(-1);
  return { guid, signed: last?.localName === 'Signature' && last.namespaceURI === DS_NS };
}

export class SasSim {
  readonly book: SimBook = { available: {}, invtSerial: 0, passportSerial: 0 };
  private n = 0;

  constructor(private readonly rules: SasSimRules = {}) {}

  /**
   * The answers to one OutBox file: the transmission result first (`Failed_` alone when the file is not a signed 金二
   * message), then the receipts. Names sort in the order the answers are meant to be read.
   */
  answer(fileName: string, xml: string, nowMs: number): { name: string; xml: string }[] {
    const env = envelopeOf(xml);
    const msg = readOutbound(xml);
    const failed = (why: string) => [{ name: `Failed_${fileName}`, xml: `<Result><success>false</success><message>${why}</message></Result>\n` }];
    if (!msg || !env.guid) return failed('not a 金二 message the single window can read');
    if (!env.signed) return failed('the message is not signed');
    const subject = (msg.type === 'INV101' ? msg.body.head.etpsInnerInvtNo : msg.body.head.etpsPreentNo) ?? '';
    const m: SasSimMessage = { fileName, type: msg.type, guid: env.guid, subject, n: ++this.n };
    const id = (type: string) => receiptId(`${type}:${env.guid}`);
    const reason = this.rules.reject?.(m);
    let receipts: BondReceipt[];
    if (reason !== undefined) {
      receipts = [msg.type === 'INV101' ? { type: 'INV201', receiptId: id('INV201'), etpsInnerInvtNo: subject, invtStucd: '2', reason: reason.slice(0, 500) } : { type: 'SAS221', receiptId: id('SAS221'), etpsPreentNo: subject, manageResult: '2', reason: reason.slice(0, 500) }];
    } else {
      const first = simulateSas(msg, this.book, { receiptId: id(msg.type === 'INV101' ? 'INV201' : 'SAS221'), yymmdd: yymmdd(nowMs) });
      receipts = [first];
      const h = msg.body.head;
      if (first.type === 'INV201' && first.invtStucd === '0' && h.impexpMarkcd === 'I' && first.bondInvtNo && (this.rules.recordEntries ?? true)) {
        const rows = msg.body.lists.InvtListType ?? [];
        for (const r of rows) {
          const k = `${h.putrecNo}#${r.putrecSeqno}`;
          this.book.available[k] = formatQty(parseQty(this.book.available[k] ?? '0') + parseQty(r.dclQty ?? '0'));
        }
        receipts.push({ type: 'INV211', receiptId: id('INV211'), etpsInnerInvtNo: subject, bondInvtNo: first.bondInvtNo, vrfdedMarkcd: '2', entryStucd: '1', lines: rows.map((r) => ({ gdsSeqno: Number(r.putrecSeqno), actlIncQty: r.dclQty ?? '0', actlRedcQty: '0' })) });
      }
    }
    return [{ name: `Successed_${fileName}`, xml }, ...receipts.map((r) => ({ name: `${r.type}_${r.receiptId}.xml`, xml: receiptToXml(r) }))];
  }
}
