import { parseDecimal } from '../../../shared/decimal.ts';
import type { FieldIssue } from '../../../shared/errors.ts';
import { conflictingDuplicates, describeConflict } from '../duplicates.ts';
import { CustomsDocument, type DocumentKind, type ReceiptMessageType, type ReceiptRef } from '../documents.ts';
import type { DocumentWarning } from '../warnings.ts';
import { parseCebXml, type CebType } from './parse.ts';
import { CEB_EDITIONS, detectEdition, editionRules, type CebEdition } from './edition.ts';
import { CEB_MESSAGE_TYPES, CEB_XSD_RULES } from './rules.generated.ts';
import { CEB_NS, DS_NS, type Content, type Particle, type ValueRule, type XsdRules } from './schema.ts';
import { checkCeb } from './validate.ts';
import type { XmlElement } from './xml.ts';

/**
 * CEB XML → the hub's normalised customs documents (documents.ts). Parse (hardened, parse.ts), validate against the
 * XSD rule table (validate.ts), then map every business block of the message — a CEB311 carries up to 100 `Order`
 * blocks — to one document each and parse it with the `CustomsDocument` schema.
 *
 * - Values are typed by the XSD: decimal → canonical decimal string (exact at decimal(19,5), shared/decimal.ts), int → number,
 *   strings as written (whitespace collapsed only where the XSD collapses it). Receipts' `returnStatus` (a string in
 *   the XSD) becomes a number when it is an integer.
 * - An empty element of an optional field is treated as absent; an empty element with an XSD fixed/default value
 *   takes that value.
 * - Envelope fields (guid, appType, appTime, appStatus, BaseTransfer, BaseSubscribe, ExtendMessage, Signature) stay
 *   in the XML layer. XSD fields the document schema does not model (CEB311 `orderType`, which is always I; a
 *   receipt's customsCode, statisticsFlag, logisticsStatus, CEB604's orderNo…) are dropped by the schema.
 * - Elements the XSD does not name (district additions) go into `extensions`, keyed by local name: `name` in the head
 *   or block, `OrderList[0].name` in a line, `Parent.child` for an unknown element with children.
 * - Issues name the CEB element: `Order[0].OrderHead.orderNo`, `Order[1].OrderList[0].qty` (0-based, as validateCeb).
 * - Every type of both XSDs is mapped (BUSINESS, RECEIPTS). The edition (edition.ts) is detected first and the message
 *   is checked by that edition's rules; a `CEBnnnMessage` no edition declares is refused with CEB_UNKNOWN_MESSAGE_TYPE
 *   after its root attributes and envelope are checked.
 */

/**
 * `warnings`: what only the XSD documentation rules out and what the schema says nothing about (checkCeb), kept, never
 * refused; `documentWarnings[i]` are those that concern `documents[i]`: its own block's, and the envelope's (every
 * document of the message shares its guid attribute, BaseTransfer…).
 */
export type CebToDocumentsResult =
  | { ok: true; documents: CustomsDocument[]; messageType: CebType; guid: string; edition: CebEdition; warnings: DocumentWarning[]; documentWarnings: DocumentWarning[][] }
  | { ok: false; issues: FieldIssue[] };

/** Message warnings → per business block: `Order[1].…` concerns the second document, anything else all of them. */
function warningsPerBlock(warnings: readonly DocumentWarning[], blockName: string, blocks: number): DocumentWarning[][] {
  const per: DocumentWarning[][] = Array.from({ length: blocks }, () => []);
  const own = new RegExp(`^${blockName}\\[(\\d+)\\](?:\\.|$)`);
  for (const w of warnings) {
    const i = own.exec(w.field)?.[1];
    if (i !== undefined) per[Number(i)]?.push(w);
    else per.forEach((list) => list.push(w));
  }
  return per;
}

export interface BusinessSpec {
  kind: Exclude<DocumentKind, 'receipt'>;
  /** The repeated business block under the root. */
  block: string;
  /** The head inside the block; absent when the block itself holds the fields (CEB505). */
  head?: string;
  /** The repeated line element inside the block. */
  list?: string;
}

const BUSINESS: Partial<Record<CebType, BusinessSpec>> = {
  CEB311: { kind: 'order', block: 'Order', head: 'OrderHead', list: 'OrderList' },
  CEB411: { kind: 'payment', block: 'Payment', head: 'PaymentHead' },
  CEB511: { kind: 'waybill', block: 'Logistics', head: 'LogisticsHead' },
  CEB513: { kind: 'waybillStatus', block: 'LogisticsStatus' },
  CEB621: { kind: 'inventory', block: 'Inventory', head: 'InventoryHead', list: 'InventoryList' },
  CEB623: { kind: 'inventoryCancel', block: 'InvtCancel' },
  CEB625: { kind: 'return', block: 'InvtRefund', head: 'InvtRefundHead', list: 'InvtRefundList' },
  CEB711: { kind: 'delivery', block: 'Delivery', head: 'DeliveryHead', list: 'DeliveryList' },
  CEB816: { kind: 'taxBill', block: 'Tax', head: 'TaxHeadRd', list: 'TaxListRd' },
  CEB818: { kind: 'taxStatus', block: 'Tax', head: 'TaxHeadStatus' },
  CEB303: { kind: 'exportOrder', block: 'Order', head: 'OrderHead', list: 'OrderList' },
  CEB403: { kind: 'exportCollection', block: 'Receipts' },
  CEB505: { kind: 'exportWaybill', block: 'Logistics' },
  CEB507: { kind: 'arrival', block: 'Arrival', head: 'ArrivalHead', list: 'ArrivalList' },
  CEB509: { kind: 'departure', block: 'Departure', head: 'DepartureHead', list: 'DepartureList' },
  CEB603: { kind: 'exportInventory', block: 'Inventory', head: 'InventoryHead', list: 'InventoryList' },
  CEB605: { kind: 'exportInventoryCancel', block: 'InvtCancel' },
  CEB607: { kind: 'consolidation', block: 'WayBill', head: 'WayBillHead', list: 'WayBillList' },
  CEB701: { kind: 'summaryApply', block: 'SummaryApply', head: 'SummaryApplyHead', list: 'SummaryApplyList' },
  CEB792: { kind: 'summaryResult', block: 'SummaryResult', head: 'SummaryResultHead', list: 'SummaryResultList' },
  CEB213: { kind: 'exportReturn', block: 'InvtRefund', head: 'InvtRefundHead', list: 'InvtRefundList' },
  CEB215: { kind: 'exportReturnTally', block: 'InvtRefundDetail' },
};

type RefKind = ReceiptRef['kind'];

/** Receipts: the block, and the kind of what they answer (documents.ts RECEIPT_TYPES). */
const RECEIPTS: Record<ReceiptMessageType, { block: string; refersTo: RefKind }> = {
  CEB312: { block: 'OrderReturn', refersTo: 'order' },
  CEB412: { block: 'PaymentReturn', refersTo: 'payment' },
  CEB512: { block: 'LogisticsReturn', refersTo: 'waybill' },
  CEB514: { block: 'LogisticsStatusReturn', refersTo: 'waybill' },
  CEB622: { block: 'InventoryReturn', refersTo: 'inventory' },
  CEB624: { block: 'InvtCancelReturn', refersTo: 'inventory' },
  CEB626: { block: 'InvtRefundReturn', refersTo: 'return' },
  CEB712: { block: 'DeliveryReturn', refersTo: 'delivery' },
  CEB900: { block: 'MessageReturn', refersTo: 'message' },
  CEB304: { block: 'OrderReturn', refersTo: 'exportOrder' },
  CEB404: { block: 'ReceiptsReturn', refersTo: 'exportCollection' },
  CEB506: { block: 'LogisticsReturn', refersTo: 'exportWaybill' },
  CEB508: { block: 'ArrivalReturn', refersTo: 'arrival' },
  CEB510: { block: 'DepartureReturn', refersTo: 'departure' },
  CEB604: { block: 'InventoryReturn', refersTo: 'exportInventory' },
  CEB606: { block: 'InvtCancelReturn', refersTo: 'exportInventory' },
  CEB608: { block: 'WayBillReturn', refersTo: 'consolidation' },
  CEB702: { block: 'SummaryReturn', refersTo: 'summaryApply' },
  CEB214: { block: 'RefundReturn', refersTo: 'exportReturn' },
  CEB216: { block: 'InvtRefundDetailReturn', refersTo: 'exportReturnTally' },
};

/** The receipts read before every message was mapped: their stored shape stays as it was (no `detail`). */
const LEGACY_RECEIPTS: ReadonlySet<CebType> = new Set(['CEB312', 'CEB412', 'CEB512', 'CEB514', 'CEB622', 'CEB624', 'CEB626', 'CEB304', 'CEB506', 'CEB604', 'CEB606']);

/** The receipt fields that make up `refersTo`, per referenced kind (documents.ts ReceiptRef). */
const REF_KEYS: Record<RefKind, readonly string[]> = {
  order: ['orderNo', 'ebpCode', 'ebcCode'],
  exportOrder: ['orderNo', 'ebpCode', 'ebcCode'],
  payment: ['payCode', 'payTransactionId'],
  waybill: ['logisticsCode', 'logisticsNo'],
  exportWaybill: ['logisticsCode', 'logisticsNo'],
  inventory: ['copNo', 'preNo', 'invtNo', 'ebpCode', 'ebcCode', 'agentCode'],
  return: ['copNo', 'preNo', 'invtNo'],
  exportInventory: ['copNo', 'preNo', 'invtNo'],
  exportCollection: ['ebcCode', 'orderNo', 'payNo'],
  arrival: ['copNo', 'msgSeqNo', 'preNo', 'operatorCode', 'logisticsCode', 'billNo'],
  departure: ['copNo', 'msgSeqNo', 'preNo', 'logisticsCode'],
  consolidation: ['copNo', 'msgSeqNo', 'preNo', 'agentCode', 'logisticsCode', 'billNo'],
  summaryApply: ['copNo', 'msgSeqNo', 'preNo', 'sumNo', 'agentCode', 'ebcCode'],
  delivery: ['copNo', 'preNo', 'rkdNo', 'operatorCode', 'customsCode'],
  exportReturn: ['coElNo', 'invtNo', 'preNo', 'agentCode', 'ebpCode', 'ebcCode'],
  exportReturnTally: ['coElNo', 'logisticsNo', 'logisticsCode', 'operatorCode', 'preNo'],
  message: ['oriMessageType', 'oriCopMsgId'],
};

/** How a message type is read: the document it becomes, or the receipt and what it answers. Undefined: not mapped. */
export function messageMapping(type: CebType): { document: BusinessSpec } | { receipt: { block: string; refersTo: RefKind; refKeys: readonly string[]; detail: boolean } } | undefined {
  const spec = BUSINESS[type];
  if (spec) return { document: spec };
  if (!isReceiptType(type)) return undefined;
  const r = RECEIPTS[type];
  return { receipt: { ...r, refKeys: REF_KEYS[r.refersTo], detail: !LEGACY_RECEIPTS.has(type) } };
}

const RECEIPT_FIELDS = new Set(['returnStatus', 'returnTime', 'returnInfo']);
const ENVELOPE_FIELDS = new Set(['guid', 'appType', 'appTime', 'appStatus']);
const NS_URI = { ceb: CEB_NS, ds: DS_NS } as const;

function isReceiptType(t: CebType): t is ReceiptMessageType {
  return t in RECEIPTS;
}

// ---------------------------------------------------------------------------------------------------------------------
// XSD rule lookup

function sequenceOf(content: Content | undefined, rules: XsdRules): Particle[] | undefined {
  if (!content) return undefined;
  if (content.kind === 'ref') return sequenceOf(rules.elements[content.ref], rules);
  return content.kind === 'sequence' ? content.sequence : undefined;
}

function particleFor(el: XmlElement, particles: readonly Particle[]): Particle | undefined {
  return particles.find((p) => p.name === el.name && NS_URI[p.ns] === el.ns);
}

function childParticles(particles: readonly Particle[], name: string, rules: XsdRules): Particle[] {
  const p = particles.find((q) => q.name === name && q.ns === 'ceb');
  return sequenceOf(p?.content, rules) ?? [];
}

// ---------------------------------------------------------------------------------------------------------------------
// Values

type Converted = { ok: true; value: unknown } | { ok: false; message: string };

/** A leaf's text as the document wants it; `undefined` value = leave the field out. */
function convert(raw: string, rule: ValueRule, optional: boolean): Converted {
  const collapsed = rule.base !== 'string' || rule.whiteSpace === 'collapse' ? raw.replace(/[\t\n\r ]+/g, ' ').trim() : raw;
  const v = collapsed === '' ? (rule.fixed ?? rule.default ?? '') : collapsed;
  if (v === '') return { ok: true, value: optional ? undefined : '' };
  if (rule.base === 'string') return { ok: true, value: v };
  if (rule.base === 'decimal') {
    // Kept as the exact decimal it is (shared/decimal.ts): decimal(19,5) has more digits than a JS number holds.
    const d = parseDecimal(v);
    return d === undefined ? { ok: false, message: `expected a decimal number, got ${JSON.stringify(v)}` } : { ok: true, value: d };
  }
  const n = Number(v);
  if (!Number.isFinite(n)) return { ok: false, message: `expected a number, got ${JSON.stringify(v)}` };
  return { ok: true, value: n };
}

// ---------------------------------------------------------------------------------------------------------------------
// Mapping one block

/** A document under construction: its fields, and where in the CEB message each came from. */
class Draft {
  readonly fields: Record<string, unknown> = {};
  readonly extensions: Record<string, string> = {};
  /** Document path (`lines.0.qty`, `extensions.x`) → CEB path. '' is the fallback for fields that are missing. */
  readonly sources = new Map<string, string>();
  readonly issues: FieldIssue[] = [];

  constructor(fallbackPath: string) {
    this.sources.set('', fallbackPath);
  }

  /** Unknown element → extensions; one with children is flattened to `Parent.child` keys. */
  extension(prefix: string, el: XmlElement, path: string): void {
    if (el.children.length > 0) {
      for (const child of el.children) this.extension(`${prefix}${el.name}.`, child, `${path}.${child.name}`);
      return;
    }
    let key = `${prefix}${el.name}`;
    for (let n = 1; key in this.extensions; n++) key = `${prefix}${el.name}[${n}]`;
    this.extensions[key] = el.text;
    this.sources.set(`extensions.${key}`, path);
  }

  /** Read the value children of `el` into `target`; sub-blocks named in `skip` are the caller's. */
  read(el: XmlElement, particles: readonly Particle[], path: string, target: Record<string, unknown>, docPath: string, extPrefix: string, skip: ReadonlySet<string> = new Set()): void {
    for (const child of el.children) {
      const childPath = `${path}.${child.name}`;
      const p = particleFor(child, particles);
      if (!p) {
        this.extension(extPrefix, child, childPath);
        continue;
      }
      if (skip.has(p.name) || ENVELOPE_FIELDS.has(p.name) || p.content.kind !== 'value') continue;
      const c = convert(child.text, p.content.rule, p.min === 0);
      if (!c.ok) {
        this.issues.push({ field: childPath, message: c.message });
        continue;
      }
      if (c.value === undefined) continue;
      target[p.name] = c.value;
      this.sources.set(`${docPath}${p.name}`, childPath);
    }
  }

  document(): Record<string, unknown> {
    return Object.keys(this.extensions).length > 0 ? { ...this.fields, extensions: this.extensions } : this.fields;
  }

  /** A zod issue path → the CEB element it concerns: the longest mapped prefix plus the rest. */
  cebPath(path: readonly PropertyKey[]): string {
    const parts = path.map(String);
    for (let n = parts.length; n >= 0; n--) {
      const base = this.sources.get(parts.slice(0, n).join('.'));
      if (base !== undefined) return [base, ...parts.slice(n)].join('.');
    }
    return parts.join('.');
  }
}

function elementsNamed(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name && c.ns === CEB_NS);
}

function mapBusiness(spec: BusinessSpec, block: XmlElement, blockPath: string, blockParticles: readonly Particle[], rules: XsdRules): Draft {
  const headPath = spec.head ? `${blockPath}.${spec.head}` : blockPath;
  const draft = new Draft(headPath);
  draft.fields.kind = spec.kind;
  // The block's own children: head, lines and (for CEB505) the fields themselves; anything else is an extension.
  draft.read(block, blockParticles, blockPath, draft.fields, '', '', new Set([spec.head, spec.list].filter((s): s is string => s !== undefined)));
  if (spec.head) {
    const head = elementsNamed(block, spec.head)[0];
    if (head) draft.read(head, childParticles(blockParticles, spec.head, rules), headPath, draft.fields, '', '');
  }
  // A return request without copNo (optional in CEB625) has no other identity of its own than its head's guid, which
  // the XSD requires: kept as the document's `guid` (documents.ts ReturnRequest, documentKey). Other kinds leave the
  // guid in the XML layer, where it is only the message's.
  if (spec.kind === 'return' && draft.fields.copNo === undefined && spec.head) {
    const guid = elementsNamed(block, spec.head)[0]?.children.find((c) => c.name === 'guid' && c.ns === CEB_NS);
    if (guid) {
      draft.fields.guid = guid.text.trim();
      draft.sources.set('guid', `${headPath}.guid`);
    }
  }
  if (spec.list) {
    const listParticles = childParticles(blockParticles, spec.list, rules);
    draft.sources.set('lines', `${blockPath}.${spec.list}`);
    draft.fields.lines = elementsNamed(block, spec.list).map((el, j) => {
      const line: Record<string, unknown> = {};
      const linePath = `${blockPath}.${spec.list}[${j}]`;
      draft.sources.set(`lines.${j}`, linePath);
      draft.read(el, listParticles, linePath, line, `lines.${j}.`, `${spec.list}[${j}].`);
      return line;
    });
  }
  return draft;
}

function mapReceipt(type: ReceiptMessageType, block: XmlElement, blockPath: string, particles: readonly Particle[]): Draft {
  const { refersTo } = RECEIPTS[type];
  const draft = new Draft(blockPath);
  const raw: Record<string, unknown> = {};
  draft.read(block, particles, blockPath, raw, '', '');
  const ref: Record<string, unknown> = { kind: refersTo };
  draft.sources.set('refersTo', blockPath);
  const refKeys = REF_KEYS[refersTo];
  for (const k of refKeys) {
    if (raw[k] === undefined) continue;
    ref[k] = raw[k];
    draft.sources.set(`refersTo.${k}`, draft.sources.get(k) ?? `${blockPath}.${k}`);
  }
  Object.assign(draft.fields, { kind: 'receipt', messageType: type, refersTo: ref });
  for (const k of RECEIPT_FIELDS) if (raw[k] !== undefined) draft.fields[k] = raw[k];
  if (!LEGACY_RECEIPTS.has(type)) {
    const detail: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (refKeys.includes(k) || RECEIPT_FIELDS.has(k)) continue;
      detail[k] = v;
      draft.sources.set(`detail.${k}`, draft.sources.get(k) ?? `${blockPath}.${k}`);
    }
    if (Object.keys(detail).length > 0) draft.fields.detail = detail;
  }
  // A string in the XSD, an integer in the document (customs' own errors are negative).
  const status = draft.fields.returnStatus;
  if (typeof status === 'string' && /^[+-]?\d+$/.test(status.trim())) draft.fields.returnStatus = Number(status.trim());
  return draft;
}

// ---------------------------------------------------------------------------------------------------------------------

/**
 * Parse, validate and map a CEB business message or receipt to documents, one per business block. Never throws on
 * bad input: parse issues (hostile XML included), XSD issues and document-schema issues come back as `issues`.
 */
export function cebToDocuments(xml: string | Uint8Array): CebToDocumentsResult {
  const parsed = parseCebXml(xml);
  if (!parsed.ok) return { ok: false, issues: parsed.unknown ? unknownTypeIssues(parsed.unknown.type, parsed.unknown.root) : parsed.issues };
  const { type, guid, root } = parsed.message;
  const { edition } = detectEdition(parsed.message);
  const rules = editionRules(edition, type);
  const checked = checkCeb(parsed.message, rules);
  const spec = BUSINESS[type];
  const receipt = isReceiptType(type) ? RECEIPTS[type] : undefined;
  // After the XSD check, so a sender learns everything wrong with the message at once.
  if (!spec && !receipt) return { ok: false, issues: [...checked.issues, { field: '(root)', code: 'CEB_UNMAPPED_MESSAGE', message: `${type} is not mapped to a customs document` } as FieldIssue] };
  if (checked.issues.length > 0) return { ok: false, issues: checked.issues };

  const rootParticles = rules.messages[type]?.sequence ?? [];
  const blockName = spec?.block ?? receipt?.block ?? '';
  const blockParticles = childParticles(rootParticles, blockName, rules);

  const documents: CustomsDocument[] = [];
  const drafts: Draft[] = [];
  const issues: FieldIssue[] = [];
  elementsNamed(root, blockName).forEach((block, i) => {
    const blockPath = `${blockName}[${i}]`;
    const draft = spec ? mapBusiness(spec, block, blockPath, blockParticles, rules) : mapReceipt(type as ReceiptMessageType, block, blockPath, blockParticles);
    if (draft.issues.length > 0) {
      issues.push(...draft.issues);
      return;
    }
    const r = CustomsDocument.safeParse(draft.document());
    if (r.success) {
      documents.push(r.data);
      drafts.push(draft);
    } else issues.push(...r.error.issues.map((issue) => ({ field: draft.cebPath(issue.path), message: issue.message })));
  });
  // Blocks of one identity that disagree (one waybill number for two orders): refused, naming each differing element.
  for (const c of issues.length > 0 ? [] : conflictingDuplicates(documents)) {
    for (const f of c.fields) issues.push({ field: drafts[c.second]!.cebPath([f]), message: describeConflict(c, f, (i) => drafts[i]!.cebPath([]).split('.')[0]!) });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, documents, messageType: type, guid, edition, warnings: checked.warnings, documentWarnings: warningsPerBlock(checked.warnings, blockName, documents.length) };
}

/** The envelope every CEB message ends with, in this order (both XSDs, every message that carries it). */
const ENVELOPE_PARTICLES: Particle[] = [
  { name: 'BaseTransfer', ns: 'ceb', min: 0, max: 1, content: { kind: 'ref', ref: 'BaseTransfer' } },
  { name: 'BaseSubscribe', ns: 'ceb', min: 0, max: 5, content: { kind: 'ref', ref: 'BaseSubscribe' } },
  { name: 'ExtendMessage', ns: 'ceb', min: 0, max: 1, content: { kind: 'ref', ref: 'ExtendMessage' } },
  { name: 'Signature', ns: 'ds', min: 0, max: 1, content: { kind: 'opaque' } },
];

/**
 * A `CEBnnnMessage` of a type no edition declares: check what every CEB message shares — the root's guid and version,
 * the envelope blocks — so the sender learns what else is wrong, then refuse it with CEB_UNKNOWN_MESSAGE_TYPE naming
 * the type. Its own blocks cannot be checked (no XSD declares them).
 */
function unknownTypeIssues(type: string, root: XmlElement): FieldIssue[] {
  const rules = CEB_XSD_RULES['import-business.xsd'];
  const attributes = rules.messages.CEB311?.attributes ?? [];
  const probe = { messages: { [type]: { root: root.name, attributes, sequence: ENVELOPE_PARTICLES } }, elements: rules.elements } as XsdRules;
  const { issues } = checkCeb({ type: type as CebType, guid: root.attrs.guid ?? '', version: root.attrs.version ?? '', root }, probe);
  const known = `${CEB_MESSAGE_TYPES.length} types of import-business.xsd and export-business.xsd`;
  return [...issues, { field: '(root)', code: 'CEB_UNKNOWN_MESSAGE_TYPE', message: `${type} is not a CEB message type (the hub reads the ${known}, editions ${CEB_EDITIONS.join(' and ')})` } as FieldIssue];
}
