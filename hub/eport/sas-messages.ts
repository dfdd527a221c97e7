import { DOMParser } from '@xmldom/xmldom';
import type { FieldIssue } from '../../shared/errors.ts';
import { INV101_FIELDS, SAS121_FIELDS, validateBody } from '../bonded/messages.ts';
import { parseReceiptXml } from '../bonded/receipt-xml.ts';
import type { BondReceipt } from '../bonded/receipts.ts';
import { readOutbound } from '../bonded/sim-wire.ts';
import type { Signer } from '../customs/ceb/generate.ts';
import { DS_NS } from './xmldsig.ts';

/**
 * The 金二 messages on the e-port channel (eport.md §3), pure: what an INV101/SAS121 outbox row becomes on the wire,
 * and what a 金二 receipt file in the InBox says to the exchange (which message it answers, refused or not).
 *
 * hub/bonded/messages.ts builds and checks the business part (`<Package><DataInfo>…`); here it gets its envelope
 * (EnvelopInfo: the guid as message_id, the file name, the type, the zone's sender id, the send time — the element
 * names the receipts carry back, receipt-xml.ts; the rest as public integrations send it, not confirmed against an
 * official schema, none being vendored), is signed (enveloped ds:Signature, last child of Package, as for CEB), and
 * is checked again against the field tables on exactly the bytes that will be written: nothing leaves that breaks a
 * rule, or unsigned.
 */
export const SAS_TYPES = ['INV101', 'SAS121'] as const;
export type SasType = (typeof SAS_TYPES)[number];
export const isSasType = (t: string): t is SasType => (SAS_TYPES as readonly string[]).includes(t);

/** What the outbox keeps for a 金二 message: the checked business part, as built when the decision was taken. */
export interface SasOutboxInput {
  /** `<Package><DataInfo>…</DataInfo></Package>` from buildInv101 / buildSas121. */
  body: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 2026-12-07T10:00:00 style (China time), as the single-window envelope's send_time. */
const sendTime = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);

export function envelope(o: { guid: string; type: SasType; fileName: string; senderId: string; createdMs: number }): string {
  return `<EnvelopInfo><version>1.0</version><message_id>${esc(o.guid)}</message_id><file_name>${esc(o.fileName)}</file_name><message_type>${o.type}</message_type><sender_id>${esc(o.senderId)}</sender_id><send_time>${sendTime(o.createdMs)}</send_time></EnvelopInfo>`;
}

/** Build (envelope + body), sign and check one 金二 message. */
export async function buildSignedSas(
  row: { guid: string; messageType: SasType; input: Record<string, unknown>; createdMs: number },
  signer: Signer,
  o: { senderId: string; fileName: string },
): Promise<{ ok: true; xml: string } | { ok: false; stage: 'generate' | 'sign' | 'validate'; issues: FieldIssue[] }> {
  const body = typeof row.input.body === 'string' ? row.input.body : '';
  if (!body.startsWith('<Package><DataInfo>')) return { ok: false, stage: 'generate', issues: [{ field: 'body', message: 'the outbox row holds no 金二 message body' }] };
  const unsigned = `<?xml version="1.0" encoding="UTF-8"?>\n<Package>${envelope({ guid: row.guid, type: row.messageType, fileName: o.fileName, senderId: o.senderId, createdMs: row.createdMs })}${body.slice('<Package>'.length)}`;
  let xml: string;
  try {
    xml = await signer.sign(unsigned);
  } catch (e) {
    return { ok: false, stage: 'sign', issues: [{ field: 'Signature', message: (e as Error).message }] };
  }
  return checkSasOutgoing(xml, row.messageType, row.guid);
}

function children(e: Element | null | undefined): Element[] {
  const out: Element[] = [];
  for (let n = e?.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

/** The last check before a 金二 message leaves: well-formed, the envelope names it, every field rule, a ds:Signature last. */
export function checkSasOutgoing(xml: string, type: SasType, guid: string): { ok: true; xml: string } | { ok: false; stage: 'sign' | 'validate'; issues: FieldIssue[] } {
  let broken = false;
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: () => void (broken = true), fatalError: () => void (broken = true) } }).parseFromString(xml, 'text/xml') as unknown as Document | undefined;
  const root = doc?.documentElement;
  if (broken || !root || root.localName !== 'Package') return { ok: false, stage: 'validate', issues: [{ field: 'Package', message: 'not a well-formed <Package>' }] };
  const kids = children(root);
  const last = kids.at(-1);
  if (last?.localName !== 'Signature' || last.namespaceURI !== DS_NS) return { ok: false, stage: 'sign', issues: [{ field: 'Signature', message: 'the message is not signed (no ds:Signature as the last child of Package)' }] };
  const env = kids.find((k) => k.localName === 'EnvelopInfo');
  const envField = (n: string) => children(env).find((c) => c.localName === n)?.textContent?.trim();
  const issues: FieldIssue[] = [];
  if (envField('message_id') !== guid) issues.push({ field: 'EnvelopInfo.message_id', message: 'must be the message guid' });
  if (envField('message_type') !== type) issues.push({ field: 'EnvelopInfo.message_type', message: `must be ${type}` });
  const msg = readOutbound(xml);
  if (!msg || msg.type !== type) issues.push({ field: 'BussinessData', message: `no ${type} body` });
  else issues.push(...validateBody(msg.body, type === 'INV101' ? INV101_FIELDS : SAS121_FIELDS, type === 'INV101' ? 'InvtHeadType' : 'PassportHead'));
  return issues.length ? { ok: false, stage: 'validate', issues } : { ok: true, xml };
}

/** Whether an InBox file is a 金二 `<Package>` (rather than a CEB message): a cheap look at the root's name. */
export function looksLikePackage(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/^\uFEFF/, '');
  return /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<Package[\s>]/.test(head.trimStart());
}

/** A 金二 receipt file → the receipt, or why it is refused. */
export function classifySasFile(bytes: Uint8Array): { ok: true; receipt: BondReceipt } | { ok: false; reason: string } {
  const parsed = parseReceiptXml(Buffer.from(bytes).toString('utf8'));
  return parsed.ok ? { ok: true, receipt: parsed.receipt } : { ok: false, reason: parsed.problem };
}

/** The message a 金二 receipt answers (INV2xx answer the list's INV101, SAS22x the slip's SAS121). */
export const answersOf = (r: BondReceipt): SasType => (r.type.startsWith('INV') ? 'INV101' : 'SAS121');

/** A receipt's status as the exchange page shows it, and whether customs said no. */
export function sasStatus(r: BondReceipt): { status: string; info: string | null; refused: boolean } {
  switch (r.type) {
    case 'INV201':
      return { status: r.invtStucd, info: r.reason ?? (r.invtStucd === '0' ? `approved ${r.bondInvtNo ?? ''}`.trim() : null), refused: r.invtStucd === '2' || r.invtStucd === '3' };
    case 'INV202':
      return { status: r.manageResult, info: r.reason ?? r.entrySeqNo ?? null, refused: r.manageResult === '2' };
    case 'INV211':
      return { status: r.vrfdedMarkcd, info: r.vrfdedMarkcd === '2' ? 'deducted' : 'written off', refused: false };
    case 'SAS221':
      return { status: r.manageResult, info: r.reason ?? (r.passportNo ? `approved ${r.passportNo}` : null), refused: r.manageResult === '2' };
    case 'SAS223':
      return { status: r.stucd, info: r.wtError ? `wtError ${r.wtError}` : null, refused: false };
    case 'SAS224':
      return { status: r.stucd, info: r.reason ?? null, refused: false };
  }
}
