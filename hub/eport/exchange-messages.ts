import type { FieldIssue } from '../../shared/errors.ts';
import { generateCeb507, generateCeb509, generateCeb711, type GenerateResult, type Signer } from '../customs/ceb/generate.ts';
import { DS_NS, parseCebXml, type CebType, type XmlElement } from '../customs/ceb/parse.ts';
import { CEB_NS } from '../customs/ceb/schema.ts';
import { validateCeb } from '../customs/ceb/validate.ts';
import type { BondReceipt } from '../bonded/receipts.ts';
import { buildSignedSas, classifySasFile, isSasType, looksLikePackage, SAS_TYPES } from './sas-messages.ts';

/**
 * The pure part of the e-port exchange (eport.md §2): what a message in the outbox becomes on the wire, what a file in
 * the InBox says, and how a receipt moves a message on. No I/O, no clock: the sender and the inbox watcher are the
 * shells around it.
 */

export const CEB_OUTGOING_TYPES = ['CEB711', 'CEB507', 'CEB509'] as const;
export type CebOutgoingType = (typeof CEB_OUTGOING_TYPES)[number];
/** The CEB messages of issue 18, then the 金二 messages of the bonded book (sas-messages.ts). */
export const OUTGOING_TYPES = [...CEB_OUTGOING_TYPES, ...SAS_TYPES] as const;
export type OutgoingType = (typeof OUTGOING_TYPES)[number];
export const MESSAGE_STATES = ['queued', 'sent', 'receipt', 'failed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** The business receipt of each message the zone sends, and its block (export-/import-business.xsd). */
const ANSWERS: Record<string, { answers: CebOutgoingType; block: string }> = {
  CEB712: { answers: 'CEB711', block: 'DeliveryReturn' },
  CEB508: { answers: 'CEB507', block: 'ArrivalReturn' },
  CEB510: { answers: 'CEB509', block: 'DepartureReturn' },
};

/** What one InBox file says about one of our messages. */
export interface ExchangeReceipt {
  /** What makes two files the same receipt (a duplicate is applied once): the message, the kind, the status, the time. */
  id: string;
  kind: 'transmission' | 'format' | 'business';
  /** The guid of the message it answers, when it names it. */
  guid: string | null;
  /** copNo / billNo, for a business receipt that names no guid we know. */
  subject: string | null;
  /** The message type it answers (CEB711…), for correlation by subject. */
  answers: OutgoingType | null;
  /** CEB900, CEB712…; null for a transmission result. */
  messageType: string | null;
  status: string;
  info: string | null;
  /** returnTime (YYYYMMDDhhmmssSSS) when the receipt carries one. */
  returnTime: string | null;
  /** A format error, a failed transmission or a business rejection. */
  refused: boolean;
  fileName: string;
}

/**
 * A file taken from the InBox: a receipt about one of our messages, a message for the document intake (a business
 * receipt such as CEB312/622 answering a declaration), both (CEB712/508/510 once the intake maps them), or garbage.
 */
export type InboxFile =
  | { kind: 'receipt'; receipt: ExchangeReceipt; intake: boolean; type: string }
  | { kind: 'intake'; type: string }
  /** A 金二 receipt (INV201/202/211, SAS221/223/224): applied by the bonded book, then correlated to its message. */
  | { kind: 'bonded'; receipt: BondReceipt; type: string }
  | { kind: 'refused'; reason: string; issues: FieldIssue[] };

const GUID = /[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/i;

/** The transmission results of the single-window client, by file-name prefix (public integrations, eport.md §2). */
export const TRANSMISSION_PREFIXES = { Successed_: 'succeeded', Failed_: 'failed' } as const;

/** The file name the sender gives a message in the OutBox: the type and the guid, so every answer can name it back. */
export function outboxFileName(type: OutgoingType, guid: string): string {
  return `${type}_${guid}.xml`;
}

const text = (el: XmlElement | undefined, name: string): string | undefined => {
  const c = el?.children.find((x) => x.name === name && x.ns === CEB_NS);
  return c ? c.text.trim() : undefined;
};

/**
 * A returnStatus that refuses: customs' errors are negative (customs.md), and 100 is 退单 (returned) in the CEB
 * receipts. Everything else (1 e-port stored, 2 declared, 120 accepted, 399 …) is a step forward.
 */
export function isRefusal(status: string): boolean {
  const s = status.trim();
  return s.startsWith('-') || s === '100';
}

export function classifyInboxFile(fileName: string, bytes: Uint8Array): InboxFile {
  const prefix = (Object.keys(TRANSMISSION_PREFIXES) as (keyof typeof TRANSMISSION_PREFIXES)[]).find((p) => fileName.startsWith(p));
  if (prefix) {
    // The client names the result after the file it sent (ours carry the guid); its content is not relied on.
    let guid = GUID.exec(fileName)?.[0]?.toUpperCase();
    if (!guid) {
      const parsed = parseCebXml(bytes);
      guid = parsed.ok ? parsed.message.guid.toUpperCase() : undefined;
    }
    if (!guid) return { kind: 'refused', reason: 'a transmission result that names no message guid', issues: [{ field: 'fileName', message: 'no guid in the name or the content' }] };
    const status = TRANSMISSION_PREFIXES[prefix];
    const body = Buffer.from(bytes).toString('utf8').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    return {
      kind: 'receipt',
      type: 'transmission',
      intake: false,
      receipt: { id: `transmission:${guid}:${status}`, kind: 'transmission', guid, subject: null, answers: null, messageType: null, status, info: status === 'failed' ? body.slice(0, 500) || null : null, returnTime: null, refused: status === 'failed', fileName },
    };
  }
  if (looksLikePackage(bytes)) {
    const sas = classifySasFile(bytes);
    return sas.ok ? { kind: 'bonded', receipt: sas.receipt, type: sas.receipt.type } : { kind: 'refused', reason: `not a 金二 receipt: ${sas.reason}`.slice(0, 500), issues: [{ field: 'Package', message: sas.reason.slice(0, 500) }] };
  }
  const parsed = parseCebXml(bytes);
  if (!parsed.ok) return { kind: 'refused', reason: 'not a CEB message', issues: parsed.issues };
  const { type, root } = parsed.message;
  if (type === 'CEB900') {
    const mr = root.children.find((c) => c.name === 'MessageReturn' && c.ns === CEB_NS);
    const status = text(mr, 'returnStatus');
    if (!mr || status === undefined) return { kind: 'refused', reason: 'a CEB900 without MessageReturn/returnStatus', issues: [{ field: 'MessageReturn.returnStatus', message: 'required' }] };
    // oriCopMsgId names the message checked; MessageReturn.guid is the fallback some clients fill instead.
    const guid = (GUID.exec(text(mr, 'oriCopMsgId') ?? '')?.[0] ?? GUID.exec(text(mr, 'guid') ?? '')?.[0])?.toUpperCase() ?? null;
    const returnTime = text(mr, 'returnTime') ?? null;
    return {
      kind: 'receipt',
      type,
      intake: false,
      receipt: { id: `CEB900:${guid}:${status}:${returnTime}`, kind: 'format', guid, subject: null, answers: (CEB_OUTGOING_TYPES as readonly string[]).includes(text(mr, 'oriMessageType') ?? '') ? (text(mr, 'oriMessageType') as OutgoingType) : null, messageType: type, status, info: text(mr, 'returnInfo') ?? null, returnTime, refused: isRefusal(status), fileName },
    };
  }
  const answer = ANSWERS[type];
  if (answer) {
    const block = root.children.find((c) => c.name === answer.block && c.ns === CEB_NS);
    const status = text(block, 'returnStatus');
    if (!block || status === undefined) return { kind: 'refused', reason: `a ${type} without ${answer.block}/returnStatus`, issues: [{ field: `${answer.block}.returnStatus`, message: 'required' }] };
    const guid = text(block, 'guid')?.toUpperCase() ?? null;
    const returnTime = text(block, 'returnTime') ?? null;
    return {
      kind: 'receipt',
      type,
      intake: true,
      receipt: { id: `${type}:${guid}:${status}:${returnTime}`, kind: 'business', guid, subject: text(block, 'copNo') ?? null, answers: answer.answers, messageType: type, status, info: text(block, 'returnInfo') ?? null, returnTime, refused: isRefusal(status), fileName },
    };
  }
  return { kind: 'intake', type };
}

/**
 * How a receipt moves a message. Business receipts are final (state receipt; the latest returnTime is the status
 * shown, so a late older receipt changes nothing); a failed transmission or a refused CEB900 fails a message that has
 * no business receipt yet; a success of either only confirms it left (queued → sent when the sender's own
 * bookkeeping was lost, e.g. a hub killed between the rename and the update).
 */
export function receiptTransition<R extends { state: MessageState; transmission: 'succeeded' | 'failed' | null; formatStatus: string | null; formatInfo: string | null; receiptStatus: string | null; receiptInfo: string | null; receiptTime: string | null; receiptMs: number | null; lastError: string | null }>(
  row: R,
  r: ExchangeReceipt,
  nowMs: number,
): R {
  const next = { ...row };
  const fail = (why: string) => {
    if (next.state !== 'receipt') {
      next.state = 'failed';
      next.lastError = why;
    }
  };
  const left = () => {
    if (next.state === 'queued') next.state = 'sent';
  };
  switch (r.kind) {
    case 'transmission':
      if (next.transmission !== 'succeeded' || r.status === 'succeeded') next.transmission = r.status as 'succeeded' | 'failed';
      if (r.refused) fail(`transmission failed${r.info ? `: ${r.info}` : ''}`);
      else left();
      break;
    case 'format':
      next.formatStatus = r.status;
      next.formatInfo = r.info;
      if (r.refused) fail(`CEB900 ${r.status}${r.info ? `: ${r.info}` : ''}`);
      else left();
      break;
    case 'business':
      if (next.receiptTime === null || (r.returnTime ?? '') >= next.receiptTime) {
        next.receiptStatus = r.status;
        next.receiptInfo = r.info;
        next.receiptTime = r.returnTime;
      }
      next.receiptMs ??= nowMs;
      next.state = 'receipt';
      break;
  }
  return next;
}

export interface ZoneParty {
  copCode: string;
  copName: string;
  dxpId: string;
}

/**
 * Build, sign and check the message of an outbox row. Its guid (root and head) is the row's, its appTime the row's
 * creation. A 金二 message (INV101/SAS121) carries `senderId` (the zone's dxpId) in its envelope.
 */
export async function buildSignedMessage(row: { guid: string; messageType: OutgoingType; input: Record<string, unknown>; createdMs: number }, signer: Signer, o: { senderId?: string } = {}): Promise<{ ok: true; xml: string } | { ok: false; stage: 'generate' | 'sign' | 'validate'; issues: FieldIssue[] }> {
  const type = row.messageType;
  if (isSasType(type)) return buildSignedSas({ ...row, messageType: type }, signer, { senderId: o.senderId ?? '', fileName: outboxFileName(type, row.guid) });
  const opts = { signer, newGuid: () => row.guid, now: new Date(row.createdMs) };
  let r: GenerateResult;
  try {
    if (row.messageType === 'CEB711') r = await generateCeb711(row.input as Parameters<typeof generateCeb711>[0], opts);
    else if (row.messageType === 'CEB507') r = await generateCeb507(row.input as Parameters<typeof generateCeb507>[0], opts);
    else r = await generateCeb509({ ...(row.input as Parameters<typeof generateCeb509>[0]), leaveTime: new Date(String(row.input.leaveTime)) }, opts);
  } catch (e) {
    // The signer threw (card away, PIN refused, certificate expired): never sent unsigned.
    return { ok: false, stage: 'sign', issues: [{ field: 'Signature', message: (e as Error).message }] };
  }
  if (!r.ok) return { ok: false, stage: 'generate', issues: r.issues };
  return checkOutgoing(r.xml);
}

/** The last check before a message leaves: a parse of what will be written, every XSD rule, and a ds:Signature present. */
export function checkOutgoing(xml: string): { ok: true; xml: string } | { ok: false; stage: 'sign' | 'validate'; issues: FieldIssue[] } {
  const parsed = parseCebXml(xml);
  if (!parsed.ok) return { ok: false, stage: 'validate', issues: parsed.issues };
  const last = parsed.message.root.children.at(-1);
  if (last?.name !== 'Signature' || last.ns !== DS_NS) return { ok: false, stage: 'sign', issues: [{ field: 'Signature', message: 'the message is not signed (no ds:Signature as the last child of the root)' }] };
  const issues = validateCeb(parsed.message);
  if (issues.length > 0) return { ok: false, stage: 'validate', issues };
  return { ok: true, xml };
}

export type { CebType };
