import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toCebTime, toReceiptTime } from '../documents.ts';
import { fieldIssues, type FieldIssue } from '../../../shared/errors.ts';
import { CEB_MESSAGE_XSD, CEB_XSD_RULES, type CebType } from './rules.generated.ts';
import { CEB_NS } from './schema.ts';
import { validateCeb } from './validate.ts';
import { isXmlText, serializeXml, type XmlElement } from './xml.ts';

/**
 * The messages the zone sends: CEB711 (entry detail, 入库明细), CEB507 (arrival, 运抵) and CEB509 (departure, 离境).
 * Inputs are plain values checked by zod; the message is built as a tree in XSD order (leaf order is taken from
 * the rule table derived from the XSD, so it cannot drift), checked with validateCeb, serialised and signed.
 */

export interface Signer {
  /** Returns the signed document: the input with an enveloped ds:Signature as the root's last child. */
  sign(xml: string): Promise<string>;
}

/**
 * NOT A SIGNATURE: returns the XML unchanged. For development and tests only. CEB621/623/625/711 must carry an
 * enveloped ds:Signature (SM2 over SM3 digests in the 2022 edition, made with the enterprise's e-port key); that
 * real signer implements {@link Signer} and replaces this one. Customs rejects a CEB711 sent unsigned, and the
 * official XSD does too.
 */
export class UnsignedNoopSigner implements Signer {
  readonly signs = false;
  async sign(xml: string): Promise<string> {
    return xml;
  }
}

export interface GenerateOptions {
  signer: Signer;
  /** The time written as appTime; customs times are Beijing time whatever the hub's time zone. */
  now?: Date;
  /** Source of the 36-character upper-case guids (root and head); injectable so output can be reproduced. */
  newGuid?: () => string;
  /** Message version attribute; the XSD documents "默认1.0". */
  version?: string;
}

export type GenerateResult = { ok: true; type: CebType; guid: string; xml: string } | { ok: false; issues: FieldIssue[] };

const XML_TEXT = 'contains a character XML cannot carry';
const text = z.string().refine(isXmlText, XML_TEXT);
const required = z.string().min(1).refine(isXmlText, XML_TEXT);
const count = z.number().int().min(1);

export const BaseTransferInput = z.object({
  copCode: required,
  copName: text,
  dxpId: required,
  note: text.optional(),
});

const appType = z.enum(['1', '2', '3']).default('1'); // 1 new, 2 change, 3 delete
const appStatus = z.enum(['1', '2']).default('2'); // 1 stored at the e-port, 2 declared

export const Ceb711Input = z.object({
  baseTransfer: BaseTransferInput,
  appType,
  appStatus,
  customsCode: required,
  copNo: text.optional(),
  preNo: text.optional(),
  rkdNo: text.optional(),
  operatorCode: required,
  operatorName: required,
  ieFlag: z.enum(['I', 'E']).default('I'),
  trafMode: required,
  trafNo: required,
  voyageNo: required,
  billNo: required,
  logisticsCode: required,
  logisticsName: required,
  unloadLocation: text.optional(),
  note: text.optional(),
  list: z.array(z.object({ logisticsNo: required, note: text.optional() })).min(1),
});
export type Ceb711Input = z.infer<typeof Ceb711Input>;

export const Ceb507Input = z.object({
  baseTransfer: BaseTransferInput,
  appType,
  appStatus,
  customsCode: required,
  copNo: required,
  preNo: text.optional(),
  operatorCode: required,
  operatorName: required,
  loctNo: text.optional(),
  ieFlag: z.enum(['I', 'E']).default('E'),
  trafMode: required,
  billNo: text.optional(),
  /** The truck's plate (境内运输工具编号). */
  domesticTrafNo: required,
  logisticsCode: required,
  logisticsName: required,
  // Required by the XSD even for an unsplit message, so an unsplit one is "1 of 1".
  msgCount: count.default(1),
  msgSeqNo: count.default(1),
  note: text.optional(),
  list: z.array(z.object({ logisticsNo: required, totalPackageNo: text.optional(), note: text.optional() })),
});
export type Ceb507Input = z.infer<typeof Ceb507Input>;

export const Ceb509Input = z.object({
  baseTransfer: BaseTransferInput,
  appType,
  appStatus,
  customsCode: required,
  copNo: required,
  preNo: text.optional(),
  logisticsCode: required,
  logisticsName: required,
  trafMode: required,
  trafName: text.optional(),
  voyageNo: text.optional(),
  billNo: text.optional(),
  leaveTime: z.date(),
  msgCount: count.default(1),
  msgSeqNo: count.default(1),
  note: text.optional(),
  list: z.array(z.object({ totalPackageNo: text.optional(), logisticsNo: required, note: text.optional() })).min(1),
});
export type Ceb509Input = z.infer<typeof Ceb509Input>;

/** `YYYYMMDDhhmmss` in Beijing time, the form of every CEB business time (customs.md §2); one formatter, documents.ts. */
export const formatCebTime = (date: Date): string => toCebTime(date.getTime());

/** `YYYYMMDDhhmmssSSS` in Beijing time: receipt times carry milliseconds. */
export const formatCebReturnTime = (date: Date): string => toReceiptTime(date.getTime());

export function newCebGuid(): string {
  return randomUUID().toUpperCase();
}

type Values = Record<string, string | number | undefined>;

function el(name: string, children: XmlElement[] = [], text = ''): XmlElement {
  return { ns: CEB_NS, name, attrs: {}, children, text };
}

/**
 * The leaves of global element `element` in the XSD's order, from `values` keyed by CEB field name. Absent
 * (undefined) values are left out; validateCeb reports them if the XSD requires them.
 */
function block(type: CebType, element: string, values: Values): XmlElement {
  const content = CEB_XSD_RULES[CEB_MESSAGE_XSD[type]].elements[element];
  if (content?.kind !== 'sequence') throw new Error(`${element} is not a sequence in the ${type} XSD`);
  const known = new Set(content.sequence.map((p) => p.name));
  const stray = Object.keys(values).filter((k) => !known.has(k));
  if (stray.length > 0) throw new Error(`${element} has no field ${stray.join(', ')} in the XSD`);
  const leaves = content.sequence.flatMap((p) => {
    const v = values[p.name];
    return v === undefined ? [] : [el(p.name, [], String(v))];
  });
  return el(element, leaves);
}

/**
 * A message's head: the input's own fields (its line list and transfer block aside) plus a fresh guid and the
 * application time; `block` puts them in XSD order and refuses any the XSD does not name.
 */
function head(type: CebType, element: string, input: Record<string, unknown>, opts: GenerateOptions, extra: Values = {}): XmlElement {
  const { list: _list, baseTransfer: _bt, ...fields } = input;
  return block(type, element, { ...(fields as Values), guid: (opts.newGuid ?? newCebGuid)(), appTime: formatCebTime(opts.now ?? new Date()), ...extra });
}

function baseTransfer(type: CebType, t: z.infer<typeof BaseTransferInput>): XmlElement {
  return block(type, 'BaseTransfer', { copCode: t.copCode, copName: t.copName, dxpMode: 'DXP', dxpId: t.dxpId, note: t.note });
}

async function finish(type: CebType, body: XmlElement[], opts: GenerateOptions, guid: string): Promise<GenerateResult> {
  const root: XmlElement = { ns: CEB_NS, name: `${type}Message`, attrs: { guid, version: opts.version ?? '1.0' }, children: body, text: '' };
  // The signature is the signer's to add, after this check; everything else must already be valid.
  const issues = validateCeb({ type, guid, version: root.attrs.version ?? '', root }).filter((i) => !(i.rule === 'required' && i.field === 'Signature'));
  if (issues.length > 0) return { ok: false, issues };
  const xml = await opts.signer.sign(serializeXml(root, { [CEB_NS]: 'ceb' }));
  return { ok: true, type, guid, xml };
}

function parsed<S extends z.ZodType>(schema: S, input: unknown): { ok: true; value: z.infer<S> } | { ok: false; issues: FieldIssue[] } {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: fieldIssues(r.error) };
}

/** CEB711 entry detail (入库明细单): the supervised site lists the parcels of a master bill as they enter. Signed. */
export async function generateCeb711(input: z.input<typeof Ceb711Input>, opts: GenerateOptions): Promise<GenerateResult> {
  const p = parsed(Ceb711Input, input);
  if (!p.ok) return p;
  const i = p.value;
  const guid = (opts.newGuid ?? newCebGuid)();
  const h = head('CEB711', 'DeliveryHead', i, opts);
  const lines = i.list.map((l, n) => block('CEB711', 'DeliveryList', { gnum: n + 1, logisticsNo: l.logisticsNo, note: l.note }));
  return finish('CEB711', [el('Delivery', [h, ...lines]), baseTransfer('CEB711', i.baseTransfer)], opts, guid);
}

/** CEB507 arrival (运抵单): export parcels have reached the supervised site on the named truck. */
export async function generateCeb507(input: z.input<typeof Ceb507Input>, opts: GenerateOptions): Promise<GenerateResult> {
  const p = parsed(Ceb507Input, input);
  if (!p.ok) return p;
  const i = p.value;
  const guid = (opts.newGuid ?? newCebGuid)();
  const h = head('CEB507', 'ArrivalHead', i, opts);
  const lines = i.list.map((l, n) => block('CEB507', 'ArrivalList', { gnum: n + 1, logisticsNo: l.logisticsNo, totalPackageNo: l.totalPackageNo, note: l.note }));
  return finish('CEB507', [el('Arrival', [h, ...lines]), baseTransfer('CEB507', i.baseTransfer)], opts, guid);
}

/** CEB509 departure (离境单): the released export parcels have left on the named conveyance at leaveTime. */
export async function generateCeb509(input: z.input<typeof Ceb509Input>, opts: GenerateOptions): Promise<GenerateResult> {
  const p = parsed(Ceb509Input, input);
  if (!p.ok) return p;
  const i = p.value;
  const guid = (opts.newGuid ?? newCebGuid)();
  const h = head('CEB509', 'DepartureHead', i, opts, { leaveTime: formatCebTime(i.leaveTime) });
  const lines = i.list.map((l, n) => block('CEB509', 'DepartureList', { gnum: n + 1, totalPackageNo: l.totalPackageNo, logisticsNo: l.logisticsNo, note: l.note }));
  return finish('CEB509', [el('Departure', [h, ...lines]), baseTransfer('CEB509', i.baseTransfer)], opts, guid);
}
