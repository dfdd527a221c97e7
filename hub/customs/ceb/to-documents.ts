import { parseDecimal } from '../../../shared/decimal.ts';
import type { FieldIssue } from '../../../shared/errors.ts';
import { conflictingDuplicates, describeConflict } from '../duplicates.ts';
import { CustomsDocument, type DocumentKind, type ReceiptMessageType, type ReceiptRef } from '../documents.ts';
import { parseCebXml, type CebType } from './parse.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES } from './rules.generated.ts';
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
 */

/** `warnings`: what the message holds that the schema says nothing about (kept, not used; see checkCeb). */
export type CebToDocumentsResult = { ok: true; documents: CustomsDocument[]; messageType: CebType; guid: string; warnings: FieldIssue[] } | { ok: false; issues: FieldIssue[] };

interface BusinessSpec {
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
  CEB621: { kind: 'inventory', block: 'Inventory', head: 'InventoryHead', list: 'InventoryList' },
  CEB625: { kind: 'return', block: 'InvtRefund', head: 'InvtRefundHead', list: 'InvtRefundList' },
  CEB303: { kind: 'exportOrder', block: 'Order', head: 'OrderHead', list: 'OrderList' },
  CEB505: { kind: 'exportWaybill', block: 'Logistics' },
  CEB603: { kind: 'exportInventory', block: 'Inventory', head: 'InventoryHead', list: 'InventoryList' },
};

type RefKind = ReceiptRef['kind'];

const RECEIPTS: Record<ReceiptMessageType, { block: string; refersTo: RefKind }> = {
  CEB312: { block: 'OrderReturn', refersTo: 'order' },
  CEB412: { block: 'PaymentReturn', refersTo: 'payment' },
  CEB512: { block: 'LogisticsReturn', refersTo: 'waybill' },
  CEB514: { block: 'LogisticsStatusReturn', refersTo: 'waybill' },
  CEB622: { block: 'InventoryReturn', refersTo: 'inventory' },
  CEB624: { block: 'InvtCancelReturn', refersTo: 'inventory' },
  CEB626: { block: 'InvtRefundReturn', refersTo: 'return' },
  CEB304: { block: 'OrderReturn', refersTo: 'exportOrder' },
  CEB506: { block: 'LogisticsReturn', refersTo: 'exportWaybill' },
  CEB604: { block: 'InventoryReturn', refersTo: 'exportInventory' },
  CEB606: { block: 'InvtCancelReturn', refersTo: 'exportInventory' },
};

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
};

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
  for (const k of REF_KEYS[refersTo]) {
    if (raw[k] === undefined) continue;
    ref[k] = raw[k];
    draft.sources.set(`refersTo.${k}`, draft.sources.get(k) ?? `${blockPath}.${k}`);
  }
  Object.assign(draft.fields, { kind: 'receipt', messageType: type, refersTo: ref });
  for (const k of RECEIPT_FIELDS) if (raw[k] !== undefined) draft.fields[k] = raw[k];
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
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const { type, guid, root } = parsed.message;
  const spec = BUSINESS[type];
  const receipt = isReceiptType(type) ? RECEIPTS[type] : undefined;
  if (!spec && !receipt) return { ok: false, issues: [{ field: '(root)', message: `${type} is not mapped to a customs document` }] };

  const checked = checkCeb(parsed.message);
  if (checked.issues.length > 0) return { ok: false, issues: checked.issues };

  const rules = CEB_XSD_RULES[CEB_MESSAGE_XSD[type]];
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
  return issues.length > 0 ? { ok: false, issues } : { ok: true, documents, messageType: type, guid, warnings: checked.warnings.map(({ field, message }) => ({ field, message })) };
}
